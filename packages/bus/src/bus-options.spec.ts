import { describe, expect, it } from 'vitest';
import { isPopekError } from '@popek/core';
import { MAX_MEMORY_BYTES, resolveBusOptions, type BusOptions } from './bus-options.js';
import { PcBus } from './pc-bus.js';

function codeOf(options: unknown): string {
  try {
    resolveBusOptions(options as BusOptions);
  } catch (error) {
    if (isPopekError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'ok';
}

describe('BusOptions', () => {
  it('fills in PC defaults', () => {
    expect(resolveBusOptions({ memoryBytes: 128 << 20 })).toEqual({
      memoryBytes: 128 << 20,
      pirqIrqs: [10, 10, 11, 11],
      pciIoBase: 0xc000,
      pciMemoryBase: 0xe000_0000,
      sharedMemory: true,
    });
  });

  it('explains a missing options binding', () => {
    expect(codeOf(undefined)).toMatch(/^bus-options-invalid: .*Bind BusOptions/);
  });

  it('refuses too little, too much and oddly sized memory with a memory-size-invalid error', () => {
    expect(codeOf({ memoryBytes: 512 * 1024 })).toMatch(/^memory-size-invalid: The machine needs at least 1 MiB/);
    expect(codeOf({ memoryBytes: 2 * 1024 * 1024 * 1024 })).toMatch(/^memory-size-invalid: .*at most 2047 MiB/);
    expect(codeOf({ memoryBytes: MAX_MEMORY_BYTES })).toBe('ok');
    expect(codeOf({ memoryBytes: (16 << 20) + 1 })).toMatch(/^memory-size-invalid: .*4 KiB pages/);
    expect(codeOf({ memoryBytes: '16M' })).toMatch(/^memory-size-invalid/);
  });

  it('refuses PIRQ routes the PIIX3 cannot select', () => {
    expect(codeOf({ memoryBytes: 16 << 20, pirqIrqs: [10, 10, 11] })).toMatch(/^bus-options-invalid: pirqIrqs/);
    expect(codeOf({ memoryBytes: 16 << 20, pirqIrqs: [10, 10, 11, 8] })).toMatch(/^bus-options-invalid: pirqIrqs/);
    expect(codeOf({ memoryBytes: 16 << 20, pirqIrqs: [5, 9, 10, 11] })).toBe('ok');
  });

  it('refuses a PCI window that overlaps RAM or the APIC range, and a bad I/O base', () => {
    expect(codeOf({ memoryBytes: 512 << 20, pciMemoryBase: 0x1000_0000 })).toMatch(/^bus-options-invalid: pciMemoryBase/);
    expect(codeOf({ memoryBytes: 16 << 20, pciMemoryBase: 0xfec0_0000 })).toMatch(/^bus-options-invalid: pciMemoryBase/);
    expect(codeOf({ memoryBytes: 16 << 20, pciIoBase: 0x3f8 })).toMatch(/^bus-options-invalid: pciIoBase/);
    expect(codeOf({ memoryBytes: 16 << 20, sharedMemory: 'yes' })).toMatch(/^bus-options-invalid: sharedMemory/);
  });

  it('makes the bus refuse to build with bad options', () => {
    expect(() => new PcBus({ memoryBytes: 0 })).toThrow(/at least 1 MiB/);
  });
});
