import { BufferCharBackend, ContainerModule, Machine, ProfileError, charBackendId } from '@popek/core';
import { ScriptedProcessor, describeDeviceConformance, scriptedCpuPlugin, testBusPlugin, TestBus } from '@popek/testing';
import { describe, expect, it } from 'vitest';
import { DEBUG_PORT_ID, DebugPort } from './debug-port.js';
import { withDebugPort } from './profile.js';

const base = { id: 'test', description: 'test machine', plugins: [scriptedCpuPlugin, testBusPlugin] };

function build(backend: BufferCharBackend): { machine: Machine; cpu: ScriptedProcessor } {
  const bus = new TestBus();
  const machine = Machine.build(withDebugPort(base), {
    clock: { mode: 'deterministic' },
    modules: [
      new ContainerModule(({ bind }) => {
        bind(TestBus).toConstantValue(bus);
        bind(charBackendId(DEBUG_PORT_ID)).toConstantValue(backend);
      }),
    ],
  });
  return { machine, cpu: machine.processor as ScriptedProcessor };
}

describe('debug port plugin', () => {
  it('loads into a custom profile through the container and prints what the guest writes to port 0xE9', () => {
    const backend = new BufferCharBackend();
    const { machine, cpu } = build(backend);
    const text = 'hello from the guest\n';
    cpu.load([...Array.from(text, (c) => ({ op: 'out' as const, port: 0xe9, value: c.charCodeAt(0) })), { op: 'in', port: 0xe9 }]);
    machine.runInstructions(1000);
    expect(backend.text).toBe(text);
    expect(cpu.reads).toEqual([0xe9]);
  });

  it('keeps an unfinished line across a snapshot', async () => {
    const backend = new BufferCharBackend();
    const a = build(backend);
    a.cpu.load(Array.from('abc', (c) => ({ op: 'out' as const, port: 0xe9, value: c.charCodeAt(0) })));
    a.machine.runInstructions(10);
    const saved = await a.machine.saveSnapshot();
    const after = new BufferCharBackend();
    const b = build(after);
    await b.machine.restoreSnapshot(saved);
    b.cpu.load([{ op: 'out', port: 0xe9, value: 0x0a }]);
    b.machine.runInstructions(10);
    expect(after.text).toBe('abc\n');
    expect(backend.text).toBe('');
  });

  it('is refused, with one readable message, by a profile that has no bus', () => {
    const broken = withDebugPort({ id: 'nobus', description: '', plugins: [scriptedCpuPlugin] });
    expect(() => Machine.build(broken)).toThrow(ProfileError);
    expect(() => Machine.build(broken)).toThrow(/requires 'bus', which no plugin in the profile provides/);
  });
});

describeDeviceConformance('DebugPort', () => new DebugPort(new BufferCharBackend()));
