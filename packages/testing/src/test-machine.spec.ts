import { Machine } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildTestMachine } from './test-machine.js';

describe('test machine', () => {
  it('runs a port script against the test bus, reading all ones from unassigned ports', () => {
    const t = buildTestMachine([]);
    const seen: Array<[number, number]> = [];
    t.bus.mapPorts(0x80, 1, { read: () => 0x42, write: (_o, _w, v) => seen.push([0x80, v]) });
    t.run([
      { op: 'out', port: 0x80, value: 7 },
      { op: 'in', port: 0x80 },
      { op: 'in', port: 0x1234, width: 2 },
    ]);
    expect(seen).toEqual([[0x80, 7]]);
    expect(t.cpu.reads).toEqual([0x42, 0xffff]);
    expect(t.cpu.halted).toBe(true);
  });

  it('powers off when the script says so', async () => {
    const t = buildTestMachine([]);
    t.cpu.load([{ op: 'nop' }, { op: 'poweroff' }]);
    expect(await t.machine.run()).toEqual({ reason: 'power-off' });
    expect(t.machine).toBeInstanceOf(Machine);
  });
});
