import {
  CORE_API_VERSION,
  Clock,
  Container,
  ContainerModule,
  CoreClock,
  FlatPhysicalBus,
  InterruptController,
  Machine,
  Metrics,
  MetricsRegistry,
  PhysicalBus,
  PowerControl,
  definePlugin,
  isPopekError,
  type PopekError,
} from '@popek/core';
import { CpuMode, CpuOptions, X86Cpu } from '@popek/cpu-x86';
import { plugin as cpuPlugin } from '@popek/cpu-x86/plugin';
import { mmuModule } from '@popek/mmu';
import { plugin as mmuPlugin } from '@popek/mmu/plugin';
import { describe, expect, it } from 'vitest';
import { hasNasm, prepare, QueuePic } from '../test/support/guest.js';
import { plugin } from './plugin.js';
import { trapEmulateOptionsModule } from './trap-emulate-module.js';
import { TrapEmulateMode } from './trap-emulate-mode.js';

function container(...modules: ContainerModule[]): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(PhysicalBus).toConstantValue(new FlatPhysicalBus(1 << 20));
  c.bind(Metrics).toConstantValue(new MetricsRegistry());
  c.bind(Clock).toConstantValue(new CoreClock({ mode: 'deterministic' }));
  c.bind(InterruptController).toConstantValue(new QueuePic());
  c.bind(PowerControl).toConstantValue({ powerOff: () => {}, reset: () => {} });
  c.bind(CpuOptions).toConstantValue({});
  c.load(mmuModule, cpuPlugin.module, plugin.module, ...modules);
  return c;
}

describe('the cpu-trap-emulate plugin', () => {
  it('declares a cpu-mode plugin that needs a CPU', () => {
    expect(plugin.id).toBe('@popek/cpu-trap-emulate');
    expect(plugin.kind).toBe('cpu-mode');
    expect(plugin.apiVersion).toBe(CORE_API_VERSION);
    expect(plugin.provides).toEqual(['cpu-mode']);
    expect(plugin.requires).toEqual(['cpu']);
  });

  it('binds one mode as the CPU mode, which the CPU installs with its engine', () => {
    const c = container();
    const mode = c.get(TrapEmulateMode);
    expect(c.get(CpuMode)).toBe(mode);
    const cpu = c.get(X86Cpu);
    expect(cpu.policy).toBe(mode);
    expect(cpu.engine).toBe(mode.engine);
    expect(mode.options.virtualizable).toBe(false);
  });

  it('takes its options from trapEmulateOptionsModule', () => {
    const mode = container(trapEmulateOptionsModule({ virtualizable: true, maxHoles: 3 })).get(TrapEmulateMode);
    expect(mode.options.virtualizable).toBe(true);
    expect(mode.options.maxHoles).toBe(3);
  });
});

/** A bus and interrupt controller for a machine built from plugins. */
const testBusPlugin = definePlugin({
  id: 'test:bus',
  kind: 'bus',
  apiVersion: CORE_API_VERSION,
  provides: ['bus', 'interrupt-controller'],
  requires: [],
  module: new ContainerModule(({ bind }) => {
    bind(FlatPhysicalBus).toConstantValue(new FlatPhysicalBus(1 << 20));
    bind(PhysicalBus).toService(FlatPhysicalBus);
    bind(InterruptController).toConstantValue(new QueuePic());
  }),
});

describe.skipIf(!hasNasm)('a machine with the cpu-trap-emulate plugin', () => {
  function build(virtualizable: boolean): { machine: Machine; mode: TrapEmulateMode; bus: FlatPhysicalBus } {
    const options = new ContainerModule(({ bind }) => {
      bind(CpuOptions).toConstantValue({});
    });
    const machine = Machine.build(
      { id: 'test-te', description: 'trap-and-emulate test machine', plugins: [testBusPlugin, mmuPlugin, cpuPlugin, plugin] },
      { clock: { mode: 'deterministic' }, modules: [options, trapEmulateOptionsModule({ virtualizable })] },
    );
    const cpu = machine.processor as X86Cpu;
    return { machine, mode: cpu.policy as TrapEmulateMode, bus: cpu.bus as FlatPhysicalBus };
  }

  it('ends the run with a virtualization-hole error when a POPF hole leaves the guest halted with interrupts off', async () => {
    const { machine, mode, bus } = build(false);
    prepare(machine.processor as X86Cpu, bus, 'pushfd\ncli\npopfd\nhlt');
    const exit = await machine.run();
    expect(exit.reason).toBe('error');
    const error = exit.reason === 'error' ? exit.error : undefined;
    expect(isPopekError(error)).toBe(true);
    expect((error as PopekError).code).toBe('virtualization-hole');
    expect((error as PopekError).message).toContain('POPF at 0x00010002');
    expect(mode.brokenGuest?.cause).toBe('halt');
  });

  it('runs the same guest on a virtualizable x86 until the host stops it', async () => {
    const { machine, mode, bus } = build(true);
    const cpu = machine.processor as X86Cpu;
    prepare(cpu, bus, 'pushfd\ncli\npopfd\nout 0xf4, al\njmp $');
    bus.mapPorts(0xf4, 1, { read: () => 0xff, write: () => machine.stop() });
    const exit = await machine.run();
    expect(exit.reason).toBe('stopped');
    expect(mode.holes).toHaveLength(0);
    expect(mode.trapCounts().get('popf')).toBe(1);
    expect(machine.metrics.value('cpu.trap-emulate.traps', { reason: 'out' })).toBe(1);
  });
});
