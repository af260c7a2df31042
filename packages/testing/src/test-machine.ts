import {
  CORE_API_VERSION,
  ContainerModule,
  DeviceHost,
  GuestMemory,
  IrqSink,
  Machine,
  PhysicalBus,
  Processor,
  definePlugin,
  type MachineOptions,
  type PluginDescriptor,
} from '@popek/core';
import { ScriptedProcessor, type ScriptStep } from './scripted-processor.js';
import { TestBus } from './test-bus.js';

/** The test CPU plugin: a {@link ScriptedProcessor}. */
export const scriptedCpuPlugin: PluginDescriptor = definePlugin({
  id: '@popek/testing:scripted-cpu',
  kind: 'cpu',
  apiVersion: CORE_API_VERSION,
  provides: ['cpu'],
  requires: ['bus'],
  description: 'A processor that runs a script of port accesses, for device tests.',
  module: new ContainerModule(({ bind }) => {
    bind(ScriptedProcessor).toSelf().inSingletonScope();
    bind(Processor).toService(ScriptedProcessor);
  }),
});

/** The test bus plugin: a {@link TestBus}. */
export const testBusPlugin: PluginDescriptor = definePlugin({
  id: '@popek/testing:test-bus',
  kind: 'bus',
  apiVersion: CORE_API_VERSION,
  provides: ['bus', 'interrupt-sink'],
  requires: [],
  description: 'Flat RAM, port windows and recorded IRQ levels, for device tests.',
  // The TestBus instance itself is bound by `buildTestMachine`, which keeps a handle on it.
  module: new ContainerModule(({ bind }) => {
    bind(DeviceHost).toService(TestBus);
    bind(PhysicalBus).toService(TestBus);
    bind(GuestMemory).toService(TestBus);
    bind(IrqSink).toService(TestBus);
  }),
});

/** A test machine and direct handles on its test CPU and bus. */
export interface TestMachine {
  /** The machine. */
  readonly machine: Machine;
  /** Its scripted processor. */
  readonly cpu: ScriptedProcessor;
  /** Its test bus. */
  readonly bus: TestBus;
  /** Loads `script` and runs it to its end (or `maxInstructions`). */
  run(script: readonly ScriptStep[], maxInstructions?: number): void;
}

/**
 * Builds a machine of the test CPU, the test bus and `plugins` (devices under test), with a
 * deterministic clock unless `options.clock` says otherwise.
 */
export function buildTestMachine(plugins: readonly PluginDescriptor[], options: MachineOptions = {}): TestMachine {
  const bus = new TestBus();
  const machine = Machine.build(
    { id: 'test', description: 'Popek test machine', plugins: [scriptedCpuPlugin, testBusPlugin, ...plugins] },
    {
      clock: { mode: 'deterministic' },
      ...options,
      modules: [new ContainerModule(({ bind }) => void bind(TestBus).toConstantValue(bus)), ...(options.modules ?? [])],
    },
  );
  const cpu = machine.processor as ScriptedProcessor;
  return {
    machine,
    cpu,
    bus,
    run(script, maxInstructions = 1_000_000) {
      cpu.load(script);
      machine.runInstructions(maxInstructions);
    },
  };
}
