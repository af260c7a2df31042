import { FLAT_CODE_ACCESS_RIGHTS, FlatGuestMemory, isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildAoutKernel, buildElf32, cstring, FakeBootCpu, pcLayout, patternBytes, u32, u64 } from '../test/fixtures.js';
import { placeAcpiTables } from './acpi-tables.js';
import type { MultibootBootOptions } from './boot-options.js';
import { parseMultibootImage } from './multiboot-image.js';
import { MultibootInfo, MultibootLoader } from './multiboot-loader.js';

const MiB = 0x10_0000;

function setup(ramBytes = 32 * MiB) {
  const memory = new FlatGuestMemory(ramBytes);
  memory.bytes.fill(0xcc);
  const loader = new MultibootLoader(memory, pcLayout(ramBytes));
  return { memory, loader, cpu: new FakeBootCpu() };
}

function mb(kernel: Uint8Array, extra: Partial<MultibootBootOptions> = {}): MultibootBootOptions {
  return { kind: 'multiboot', kernel, cmdline: '/boot/kernel.elf verbose', ...extra };
}

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isPopekError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a PopekError');
}

describe('MultibootLoader with ELF kernels', () => {
  const text = patternBytes(0x1800, 11);
  const data = patternBytes(0x300, 12);
  const kernel = buildElf32({
    entry: 0x10_0010,
    segments: [
      { paddr: 0x10_0000, data: text },
      { paddr: 0x10_2000, data, memsz: 0x2000 }, // 0x1D00 bytes of bss
    ],
  });

  it('loads PT_LOAD segments at p_paddr and zeroes their bss', () => {
    const { memory, loader, cpu } = setup();
    loader.load(loader.plan(mb(kernel)), cpu);
    expect([...memory.bytes.subarray(0x10_0000, 0x10_1800)]).toEqual([...text]);
    expect([...memory.bytes.subarray(0x10_2000, 0x10_2300)]).toEqual([...data]);
    expect(memory.bytes.subarray(0x10_2300, 0x10_4000).every((b) => b === 0)).toBe(true);
    expect(memory.bytes[0x10_4000]).toBe(0xcc); // nothing past memsz
  });

  it('enters with EAX = 0x2BADB002, EBX = the information structure, flat segments, interrupts off', () => {
    const { loader, cpu } = setup();
    const plan = loader.plan(mb(kernel));
    loader.load(plan, cpu);
    expect(cpu.registers).toMatchObject({ eax: 0x2bad_b002, ebx: plan.infoAddress, eip: 0x10_0010, eflags: 0x2 });
    expect(cpu.cr[0]! & 0x8000_0001).toBe(1); // PE on, PG off
    expect(cpu.segments.cs).toMatchObject({ base: 0, limit: 0xffff_ffff, accessRights: FLAT_CODE_ACCESS_RIGHTS });
    expect(cpu.segments.ss?.selector).toBe(0x18);
    expect(cpu.gdtr).toEqual({ base: plan.gdtAddress, limit: 31 });
    expect(cpu.registers['esp']).toBe(plan.stackTop);
  });

  it('fills the information structure: memory, command line, loader name, modules, memory map', () => {
    const { memory, loader, cpu } = setup();
    const mod0 = patternBytes(0x1234, 21);
    const mod1 = patternBytes(0x10, 22);
    const plan = loader.plan(
      mb(kernel, { modules: [{ data: mod0, cmdline: '/boot/initrd root=x' }, { data: mod1, cmdline: 'second' }] }),
      placeAcpiTables(memory),
    );
    loader.load(plan, cpu);
    const info = memory.bytes.subarray(plan.infoAddress, plan.infoAddress + MultibootInfo.BYTES);
    expect(u32(info, 0)).toBe(0x24d); // MEMORY | CMDLINE | MODS | MMAP | BOOT_LOADER_NAME
    expect(u32(info, 4)).toBe(640);
    expect(u32(info, 8)).toBe(31 * 1024);
    expect(cstring(memory.bytes, u32(info, 16))).toBe('/boot/kernel.elf verbose');
    expect(cstring(memory.bytes, u32(info, 64))).toBe('Popek');

    expect(u32(info, 20)).toBe(2);
    const mods = u32(info, 24);
    const m0 = { start: u32(memory.bytes, mods), end: u32(memory.bytes, mods + 4), string: u32(memory.bytes, mods + 8) };
    const m1 = { start: u32(memory.bytes, mods + 16), end: u32(memory.bytes, mods + 20), string: u32(memory.bytes, mods + 24) };
    expect(m0.start % 4096).toBe(0);
    expect(m0.start).toBeGreaterThanOrEqual(0x10_4000); // after the kernel's bss
    expect(m0.end - m0.start).toBe(mod0.length);
    expect([...memory.bytes.subarray(m0.start, m0.end)]).toEqual([...mod0]);
    expect(cstring(memory.bytes, m0.string)).toBe('/boot/initrd root=x');
    expect(m1.start % 4096).toBe(0);
    expect(m1.start).toBeGreaterThanOrEqual(m0.end);
    expect([...memory.bytes.subarray(m1.start, m1.end)]).toEqual([...mod1]);
    expect(cstring(memory.bytes, m1.string)).toBe('second');

    const length = u32(info, 44);
    const addr = u32(info, 48);
    const entries: { size: number; base: number; length: number; type: number }[] = [];
    for (let at = addr; at < addr + length; at += u32(memory.bytes, at) + 4) {
      entries.push({ size: u32(memory.bytes, at), base: u64(memory.bytes, at + 4), length: u64(memory.bytes, at + 12), type: u32(memory.bytes, at + 20) });
    }
    expect(entries).toEqual([
      { size: 20, base: 0, length: 0xa_0000, type: 1 },
      { size: 20, base: 0xa_0000, length: 0x6_0000, type: 2 },
      { size: 20, base: 0x10_0000, length: 31 * MiB, type: 1 },
    ]);
  });

  it('puts its own data where neither the kernel nor the modules are', () => {
    const { loader } = setup();
    const plan = loader.plan(mb(kernel, { modules: [{ data: new Uint8Array(0x3000), cmdline: 'm' }] }));
    const used = [
      [0x10_0000, 0x10_4000],
      [plan.modules[0]!.address, plan.modules[0]!.address + 0x3000],
    ];
    for (const [a, b] of used) expect(plan.areaAddress + plan.area.length <= a! || plan.areaAddress >= b!).toBe(true);
    expect(plan.areaAddress).toBeGreaterThanOrEqual(0x1000);
  });

  it('translates a higher-half entry point through its segment', () => {
    const { loader, cpu } = setup();
    const hh = buildElf32({ entry: 0xc010_0020, segments: [{ paddr: 0x10_0000, vaddr: 0xc010_0000, data: text }] });
    loader.load(loader.plan(mb(hh)), cpu);
    expect(cpu.registers['eip']).toBe(0x10_0020);
  });

  it('rejects segments outside RAM, overlapping segments and entries outside every segment', () => {
    const { loader } = setup(8 * MiB);
    const outside = buildElf32({ entry: 0x90_0000, segments: [{ paddr: 0x90_0000, data: text }] });
    const f = failure(() => loader.plan(mb(outside)));
    expect(f.code).toBe('not-enough-memory');
    expect(f.message).toContain('which is not usable RAM in this machine (its usable RAM is 0x0-0x9ffff, 0x100000-0x7fffff)');
    const inHole = buildElf32({ entry: 0xb_8000, segments: [{ paddr: 0xb_8000, data: text }] });
    expect(failure(() => loader.plan(mb(inHole))).code).toBe('not-enough-memory');

    const overlap = buildElf32({ entry: 0x10_0000, segments: [{ paddr: 0x10_0000, data: text }, { paddr: 0x10_1000, data }] });
    expect(failure(() => parseMultibootImage(overlap)).message).toMatch(/segments at 0x100000-0x101800 and 0x101000-0x101300 overlap/);
    const lost = buildElf32({ entry: 0x20_0000, segments: [{ paddr: 0x10_0000, data: text }] });
    expect(failure(() => parseMultibootImage(lost)).message).toContain('its entry point 0x200000 is in none of its loadable segments');
  });

  it('rejects malformed ELF files with clear messages', () => {
    const k = (patch: [number, number][]) => buildElf32({ entry: 0x10_0000, segments: [{ paddr: 0x10_0000, data: text }], patch });
    expect(failure(() => parseMultibootImage(k([[4, 2]]))).code).toBe('kernel-64-bit');
    expect(failure(() => parseMultibootImage(k([[5, 2]]))).message).toContain('not little-endian');
    expect(failure(() => parseMultibootImage(k([[18, 62]]))).message).toContain('not the i386');
    expect(failure(() => parseMultibootImage(k([[16, 3]]))).message).toContain('not an executable');
    const pastEnd = buildElf32({ entry: 0x10_0000, segments: [{ paddr: 0x10_0000, data: text, offset: 0x10_0000 }] });
    expect(failure(() => parseMultibootImage(pastEnd)).code).toBe('kernel-truncated');
    const bigBss = buildElf32({ entry: 0x10_0000, segments: [{ paddr: 0xffff_f000, data: text, memsz: 0x10_0000 }] });
    expect(failure(() => parseMultibootImage(bigBss)).message).toContain('runs past 4 GiB');
    const fileLarger = buildElf32({ entry: 0x10_0000, segments: [{ paddr: 0x10_0000, data: text, memsz: 0x100 }] });
    expect(failure(() => parseMultibootImage(fileLarger)).message).toContain('more bytes in the file');
  });

  it('refuses a module that does not fit', () => {
    const { loader } = setup(4 * MiB);
    const f = failure(() => loader.plan(mb(kernel, { modules: [{ data: new Uint8Array(4 * MiB), cmdline: 'big' }] })));
    expect(f.code).toBe('not-enough-memory');
    expect(f.message).toMatch(/^Multiboot module 0 \(4 MiB\) does not fit/);
  });
});

describe('MultibootLoader with a.out-kludge kernels', () => {
  it('loads from the file offset that header_addr and load_addr imply, zeroing the bss', () => {
    const { memory, loader, cpu } = setup();
    // header at file offset 0x40; text starts at file 0 and loads at 0x200000
    const kernel = buildAoutKernel({ loadAddr: 0x20_0000, loadEndAddr: 0x20_1000, bssEndAddr: 0x20_3000, entry: 0x20_0100 });
    const plan = loader.plan(mb(kernel));
    expect(plan.image.format).toBe('aout-kludge');
    loader.load(plan, cpu);
    expect([...memory.bytes.subarray(0x20_0000, 0x20_1000)]).toEqual([...kernel.subarray(0, 0x1000)]);
    expect(memory.bytes.subarray(0x20_1000, 0x20_3000).every((b) => b === 0)).toBe(true);
    expect(cpu.registers['eip']).toBe(0x20_0100);
  });

  it('skips file bytes before the text when header_addr - load_addr is less than the header offset', () => {
    const { memory, loader, cpu } = setup();
    const kernel = buildAoutKernel({ loadAddr: 0x10_0000, headerOffset: 0x1000, headerAddr: 0x10_0010, entry: 0x10_0000 });
    loader.load(loader.plan(mb(kernel)), cpu);
    // file offset 0x1000 - 0x10 = 0xFF0 loads at 0x100000, to the end of the file
    expect([...memory.bytes.subarray(0x10_0000, 0x10_0000 + kernel.length - 0xff0)]).toEqual([...kernel.subarray(0xff0)]);
  });

  it('uses the a.out kludge even for an ELF file when flags bit 16 is set', () => {
    const elf = buildElf32({ entry: 0x30_0000, segments: [{ paddr: 0x30_0000, data: new Uint8Array(0x100) }], multibootFlags: 0x1_0000 });
    const v = new DataView(elf.buffer);
    v.setUint32(0x100 + 12, 0x10_0100, true); // header_addr
    v.setUint32(0x100 + 16, 0x10_0000, true); // load_addr
    v.setUint32(0x100 + 28, 0x10_0000, true); // entry
    expect(parseMultibootImage(elf).format).toBe('aout-kludge');
    expect(parseMultibootImage(elf).segments[0]!.address).toBe(0x10_0000);
  });

  it('rejects inconsistent address fields', () => {
    const bad = (spec: Parameters<typeof buildAoutKernel>[0]) => failure(() => parseMultibootImage(buildAoutKernel(spec)));
    expect(bad({ loadAddr: 0x10_0000, headerAddr: 0xf_0000 }).message).toContain('load_addr 0x100000 is above header_addr 0xf0000');
    expect(bad({ loadAddr: 0x10_0000, headerAddr: 0x10_1000 }).message).toContain('so the text would start before the file');
    expect(bad({ loadAddr: 0x10_0000, loadEndAddr: 0x10_8000 }).code).toBe('kernel-truncated');
    expect(bad({ loadAddr: 0x10_0000, loadEndAddr: 0xf_0000 }).message).toContain('below load_addr');
    expect(bad({ loadAddr: 0x10_0000, loadEndAddr: 0x10_1000, bssEndAddr: 0x10_0800 }).message).toContain('bss_end_addr');
    expect(bad({ loadAddr: 0x10_0000, entry: 0x50_0000 }).message).toContain('entry_addr 0x500000 is outside the loaded image');
    expect(bad({ loadAddr: 0xffff_f000, bssEndAddr: 0xffff_ffff, length: 0x3000 }).message).toMatch(/past 4 GiB|below load_end_addr/);
  });
});

describe('parseMultibootImage header search', () => {
  it('rejects a file without a Multiboot header in its first 8192 bytes', () => {
    const f = failure(() => parseMultibootImage(new Uint8Array(16384), 'kernel.bin'));
    expect(f.code).toBe('kernel-not-multiboot');
    expect(f.message).toBe('kernel.bin is not a Multiboot kernel: it has no Multiboot header (magic 0x1BADB002 on a 4-byte boundary) in its first 8192 bytes.');
  });

  it('does not find a header past 8192 bytes or off a 4-byte boundary', () => {
    const file = new Uint8Array(16384);
    const v = new DataView(file.buffer);
    v.setUint32(8192, 0x1bad_b002, true);
    v.setUint32(8196, 0, true);
    v.setUint32(8200, (-0x1bad_b002) >>> 0, true);
    v.setUint32(0x102, 0x1bad_b002, true);
    expect(failure(() => parseMultibootImage(file)).code).toBe('kernel-not-multiboot');
  });

  it('names a header with a wrong checksum', () => {
    const f = failure(() => parseMultibootImage(buildAoutKernel({ loadAddr: 0x10_0000, checksum: 1 })));
    expect(f.code).toBe('kernel-invalid');
    expect(f.message).toContain('has a Multiboot header at offset 0x40 whose checksum is wrong');
  });

  it('refuses requirement bits it cannot meet (video mode)', () => {
    const f = failure(() => parseMultibootImage(buildAoutKernel({ loadAddr: 0x10_0000, flags: 0x1_0007 })));
    expect(f.code).toBe('kernel-unsupported');
    expect(f.message).toContain('header flag bit 2 (video mode information)');
  });

  it('needs either the a.out kludge or an ELF file', () => {
    const f = failure(() => parseMultibootImage(buildAoutKernel({ loadAddr: 0x10_0000, flags: 0x3 })));
    expect(f.message).toContain('without load addresses (flags bit 16 clear) and is not an ELF file');
  });

  it('points a Linux bzImage at the Linux loader', () => {
    const file = new Uint8Array(2048);
    new DataView(file.buffer).setUint32(0x202, 0x5372_6448, true);
    expect(failure(() => parseMultibootImage(file)).message).toContain('boot it with kind "linux"');
  });
});
