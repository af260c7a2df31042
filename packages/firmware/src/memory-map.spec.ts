import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildMemoryMap, checkLayout, contiguousRamFrom, E820Type, usableRam } from './memory-map.js';
import { alignDown, alignUp, PhysicalAllocator } from './physical-allocator.js';

describe('buildMemoryMap', () => {
  it('maps RAM to type 1 and ROM and reserved regions to type 2, merging neighbours of one type', () => {
    const map = buildMemoryMap([
      { base: 0, size: 0x8_0000, kind: 'ram' },
      { base: 0x8_0000, size: 0x2_0000, kind: 'ram' },
      { base: 0xc_0000, size: 0x2_0000, kind: 'rom' },
      { base: 0xe_0000, size: 0x2_0000, kind: 'reserved' },
      { base: 0x10_0000, size: 0x10_0000, kind: 'ram' },
    ]);
    expect(map).toEqual([
      { base: 0, size: 0xa_0000, type: 1 },
      { base: 0xc_0000, size: 0x4_0000, type: 2 },
      { base: 0x10_0000, size: 0x10_0000, type: 1 },
    ]);
  });

  it('never reports the legacy hole as usable, even when the layout says RAM', () => {
    expect(buildMemoryMap([{ base: 0, size: 0x20_0000, kind: 'ram' }])).toEqual([
      { base: 0, size: 0xa_0000, type: 1 },
      { base: 0xa_0000, size: 0x6_0000, type: 2 },
      { base: 0x10_0000, size: 0x10_0000, type: 1 },
    ]);
  });

  it('paints reservations over what the layout says, splitting RAM', () => {
    const map = buildMemoryMap(
      [{ base: 0, size: 0x20_0000, kind: 'ram' }],
      [{ base: 0x9_fc00, size: 0x400, type: E820Type.Reserved, what: 'EBDA' }, { base: 0x18_0000, size: 0x1000, type: E820Type.Acpi, what: 'tables' }],
    );
    expect(map).toEqual([
      { base: 0, size: 0x9_fc00, type: 1 },
      { base: 0x9_fc00, size: 0x6_0400, type: 2 },
      { base: 0x10_0000, size: 0x8_0000, type: 1 },
      { base: 0x18_0000, size: 0x1000, type: 3 },
      { base: 0x18_1000, size: 0x7_f000, type: 1 },
    ]);
  });

  it('keeps usable RAM below 4 GiB and measures contiguous RAM', () => {
    const map = buildMemoryMap([
      { base: 0, size: 0xa_0000, kind: 'ram' },
      { base: 0x10_0000, size: 0xf00_0000, kind: 'ram' },
      { base: 0xffff_0000, size: 0x2_0000, kind: 'ram' },
    ]);
    expect(usableRam(map).at(-1)).toEqual({ base: 0xffff_0000, size: 0x1_0000, type: 1 });
    expect(contiguousRamFrom(map, 0)).toBe(0xa_0000);
    expect(contiguousRamFrom(map, 0x10_0000)).toBe(0xf00_0000);
    expect(contiguousRamFrom(map, 0xa_0000)).toBe(0);
  });

  it('rejects a layout that breaks the MemoryLayout contract', () => {
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return isPopekError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => checkLayout([{ base: 0x1000, size: 0x1000, kind: 'ram' }, { base: 0x1800, size: 0x1000, kind: 'ram' }]))).toBe('memory-layout-invalid');
    expect(code(() => checkLayout([{ base: -1, size: 0x1000, kind: 'ram' }]))).toBe('memory-layout-invalid');
    expect(code(() => checkLayout([{ base: 0, size: Number.NaN, kind: 'ram' }]))).toBe('memory-layout-invalid');
    expect(code(() => checkLayout([{ base: 0, size: 0x1000, kind: 'ram' }]))).toBeUndefined();
  });
});

describe('PhysicalAllocator', () => {
  const ram = () =>
    new PhysicalAllocator([
      { base: 0x10_0000, size: 0x10_0000, type: 1 },
      { base: 0, size: 0xa_0000, type: 1 },
    ]);

  it('aligns with any positive alignment', () => {
    expect(alignUp(0x1001, 0x1000)).toBe(0x2000);
    expect(alignUp(0x2000, 0x1000)).toBe(0x2000);
    expect(alignDown(0x1fff, 0x1000)).toBe(0x1000);
    expect(alignDown(0xffff_ffff, 0x1000)).toBe(0xffff_f000);
  });

  it('finds the highest aligned place under a limit, avoiding claims', () => {
    const a = ram();
    expect(a.highest(0x1000, 0x1000, 0x1_0000_0000)).toBe(0x1f_f000);
    a.claim(0x1f_0000, 0x1_0000, 'top');
    expect(a.highest(0x1000, 0x1000, 0x1_0000_0000)).toBe(0x1e_f000);
    expect(a.highest(0x1000, 0x1000, 0x10_0800)).toBe(0x9_f000); // only low RAM is below the limit wholly
    expect(a.highest(0x20_0000, 0x1000, 0x1_0000_0000)).toBeUndefined();
  });

  it('finds the lowest aligned place above a minimum, avoiding claims', () => {
    const a = ram();
    expect(a.lowest(0x100, 0x1000, 0x1000, 0x1_0000_0000)).toBe(0x1000);
    a.claim(0x1000, 0x9_e000, 'low');
    expect(a.lowest(0x2000, 0x1000, 0x1000, 0x1_0000_0000)).toBe(0x10_0000);
    expect(a.lowest(0x1000, 0x1000, 0x1000, 0x1_0000_0000)).toBe(0x9_f000);
    expect(a.overlap(0x9_f800, 0x1000)).toBeUndefined();
    expect(a.overlap(0x2000, 1)?.what).toBe('low');
  });

  it('knows what is RAM', () => {
    const a = ram();
    expect(a.ramBytes).toBe(0xa_0000 + 0x10_0000);
    expect(a.isRam(0x9_f000, 0x1000)).toBe(true);
    expect(a.isRam(0x9_f000, 0x1001)).toBe(false);
    expect(a.ramEndAt(0x10_0000)).toBe(0x20_0000);
    expect(a.ramEndAt(0xa_0000)).toBeUndefined();
  });
});
