import { describe, expect, it } from 'vitest';
import { PopekError } from '../errors.js';
import { readSnapshot, writeSnapshot, type SnapshotImage } from './snapshot-file.js';
import { StateUpgrades } from './state-upgrades.js';

const image: SnapshotImage = {
  profile: 'test',
  machine: { identity: { memoryMiB: 16 } },
  sections: [
    { id: 'cpu0', type: 'test:Cpu', version: 2, state: { eax: 1, eip: 0xfff0 } },
    { id: 'ram', type: 'test:Ram', version: 1, state: { bytes: new Uint8Array(1 << 20).fill(7, 4096, 8192) } },
  ],
};

describe('snapshot container', () => {
  it('round-trips an image and compresses large sections', async () => {
    const bytes = await writeSnapshot(image);
    expect(bytes.length).toBeLessThan(20_000);
    const read = await readSnapshot(bytes);
    expect(read.sections[0]).toEqual(image.sections[0]);
    const ram = (read.sections[1]!.state as { bytes: Uint8Array }).bytes;
    // Compare 1 MiB as one buffer: vitest's element-wise deep equality is slow on large arrays.
    expect(Buffer.compare(ram, (image.sections[1]!.state as { bytes: Uint8Array }).bytes)).toBe(0);
    expect({ ...read, sections: [] }).toEqual({ ...image, sections: [] });
  });

  it('is a function of the image alone: writing the read image gives the same bytes', async () => {
    const bytes = await writeSnapshot(image);
    expect(await writeSnapshot(await readSnapshot(bytes))).toEqual(bytes);
  });

  it('rejects a file that is not a snapshot, a damaged one, and a truncated one with clear messages', async () => {
    const bytes = await writeSnapshot(image);
    await expect(readSnapshot(new TextEncoder().encode('hello, world, not a snapshot'))).rejects.toThrow(/does not start with the Popek snapshot signature/);
    const damaged = bytes.slice();
    damaged[40] ^= 0x55;
    await expect(readSnapshot(damaged)).rejects.toThrow(/checksum does not match/);
    await expect(readSnapshot(bytes.subarray(0, bytes.length - 100))).rejects.toThrow(PopekError);
    const future = bytes.slice();
    future[8] = 9;
    await expect(readSnapshot(future)).rejects.toThrow(/container format 9/);
  });
});

describe('state upgrades', () => {
  const upgrades = new StateUpgrades()
    .register('test:Uart', 1, (s) => ({ ...(s as object), fifo: new Uint8Array(0) }))
    .register('test:Uart', 2, (s) => {
      const { lcr, ...rest } = s as { lcr: number };
      return { ...rest, lineControl: lcr };
    });

  it('upgrades an old state through every registered step in order', () => {
    expect(upgrades.upgrade('test:Uart', 1, 3, { lcr: 3 })).toEqual({ fifo: new Uint8Array(0), lineControl: 3 });
    expect(upgrades.upgrade('test:Uart', 3, 3, { x: 1 })).toEqual({ x: 1 });
  });

  it('refuses a state newer than the build and a missing step, clearly', () => {
    expect(() => upgrades.upgrade('test:Uart', 4, 3, {})).toThrow(/newer than this build/);
    expect(() => upgrades.upgrade('test:Other', 1, 2, {})).toThrow(/cannot upgrade it past version 1/);
    expect(() => upgrades.register('test:Uart', 1, (s) => s)).toThrow(/already registered/);
  });
});
