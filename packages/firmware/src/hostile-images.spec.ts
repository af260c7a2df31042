/*
 * The boot image is hostile input. These tests corrupt valid images at random (deterministically,
 * from a fixed seed) and check the one property that matters: the loader either plans a boot
 * whose every range lies in usable RAM, or throws a PopekError. Never another exception, never a
 * write outside RAM.
 */
import { FlatGuestMemory, isPopekError, MemoryStatus, type GuestMemory } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildAoutKernel, buildBzImage, buildElf32, FakeBootCpu, pcLayout, patternBytes } from '../test/fixtures.js';
import { placeAcpiTables } from './acpi-tables.js';
import { LinuxBootLoader } from './linux-boot-loader.js';
import { MultibootLoader } from './multiboot-loader.js';

const RAM = 16 * 0x10_0000;

/** A xorshift PRNG: the same corruptions on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Guest memory that records every write and refuses any outside usable RAM of a PC layout. */
class CheckedMemory implements GuestMemory {
  readonly inner = new FlatGuestMemory(RAM);
  outside = 0;
  get limit(): number {
    return RAM;
  }
  isRam(address: number, length: number): boolean {
    return this.inner.isRam(address, length);
  }
  read(address: number, dest: Uint8Array): MemoryStatus {
    return this.inner.read(address, dest);
  }
  write(address: number, src: Uint8Array): MemoryStatus {
    const end = address + src.length;
    const inLow = end <= 0xa_0000;
    const inHigh = address >= 0x10_0000 && end <= RAM;
    const inBios = address >= 0xe_0000 && end <= 0x10_0000; // the ACPI tables
    if (!(inLow || inHigh || inBios)) this.outside++;
    return this.inner.write(address, src);
  }
  onWrite(): () => void {
    return () => undefined;
  }
}

function corrupt(base: Uint8Array, random: () => number, region: [number, number], edits: number): Uint8Array {
  const bytes = base.slice();
  for (let i = 0; i < edits; i++) {
    const at = region[0] + Math.floor(random() * (region[1] - region[0]));
    const r = random();
    bytes[at] = r < 0.3 ? 0xff : r < 0.5 ? 0 : Math.floor(random() * 256);
  }
  const cut = random();
  return cut < 0.1 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
}

function attempt(run: () => void): 'ok' | 'refused' {
  try {
    run();
    return 'ok';
  } catch (e) {
    // firmware-write-failed would mean a plan that passed its checks wrote outside RAM: a bug
    if (isPopekError(e) && e.code !== 'firmware-write-failed') return 'refused';
    throw e;
  }
}

describe('hostile boot images', () => {
  it('corrupted bzImage headers are planned inside RAM or refused with a PopekError', () => {
    const random = prng(0x5eed);
    const base = buildBzImage({ payload: patternBytes(0x2000, 1), relocatable: true, prefAddress: 0x20_0000, initSize: 0x40_0000 });
    const outcomes = { ok: 0, refused: 0 };
    const memory = new CheckedMemory();
    for (let i = 0; i < 1500; i++) {
      const loader = new LinuxBootLoader(memory, pcLayout(RAM));
      const kernel = corrupt(base, random, [0x1f1, 0x270], 1 + Math.floor(random() * 6));
      outcomes[attempt(() => loader.load(loader.plan({ kind: 'linux', kernel, initrd: patternBytes(0x1800, 2), cmdline: 'x' }, placeAcpiTables(memory)), new FakeBootCpu()))]++;
      expect(memory.outside).toBe(0);
    }
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('corrupted ELF Multiboot kernels are loaded inside RAM or refused with a PopekError', () => {
    const random = prng(0xe1f);
    const base = buildElf32({
      entry: 0x10_0010,
      segments: [
        { paddr: 0x10_0000, data: patternBytes(0x800, 3) },
        { paddr: 0x10_2000, data: patternBytes(0x100, 4), memsz: 0x1000 },
      ],
    });
    const outcomes = { ok: 0, refused: 0 };
    const memory = new CheckedMemory();
    for (let i = 0; i < 1500; i++) {
      const loader = new MultibootLoader(memory, pcLayout(RAM));
      const kernel = corrupt(base, random, random() < 0.5 ? [0, 0x74] : [0x100, 0x10c], 1 + Math.floor(random() * 4));
      outcomes[attempt(() => loader.load(loader.plan({ kind: 'multiboot', kernel, cmdline: 'k', modules: [{ data: new Uint8Array(99), cmdline: 'm' }] }), new FakeBootCpu()))]++;
      expect(memory.outside).toBe(0);
    }
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('corrupted a.out-kludge headers are loaded inside RAM or refused with a PopekError', () => {
    const random = prng(0xa0e);
    const base = buildAoutKernel({ loadAddr: 0x10_0000, loadEndAddr: 0x10_1000, bssEndAddr: 0x10_4000, entry: 0x10_0100 });
    const outcomes = { ok: 0, refused: 0 };
    const memory = new CheckedMemory();
    for (let i = 0; i < 1500; i++) {
      const loader = new MultibootLoader(memory, pcLayout(RAM));
      const kernel = corrupt(base, random, [0x40 + 12, 0x60], 1 + Math.floor(random() * 3));
      outcomes[attempt(() => loader.load(loader.plan({ kind: 'multiboot', kernel, cmdline: '' }), new FakeBootCpu()))]++;
      expect(memory.outside).toBe(0);
    }
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('random files of every small length are refused, never crash', () => {
    const random = prng(0x0dd);
    const memory = new FlatGuestMemory(RAM);
    for (let length = 0; length < 3000; length += 7) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      expect(attempt(() => new LinuxBootLoader(memory, pcLayout(RAM)).plan({ kind: 'linux', kernel: bytes, cmdline: '' }))).toBe('refused');
      expect(attempt(() => new MultibootLoader(memory, pcLayout(RAM)).plan({ kind: 'multiboot', kernel: bytes, cmdline: '' }))).toBe('refused');
    }
  });
});
