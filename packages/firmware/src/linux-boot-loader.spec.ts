import { FLAT_CODE_ACCESS_RIGHTS, FLAT_DATA_ACCESS_RIGHTS, FlatGuestMemory, isPopekError, type MemoryRegion } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildBzImage, cstring, e820Of, FakeBootCpu, FakeLayout, HoleyMemory, pcLayout, patternBytes, u16, u32, u64, u8 } from '../test/fixtures.js';
import { placeAcpiTables } from './acpi-tables.js';
import type { LinuxBootOptions } from './boot-options.js';
import { BootParams, describeLinuxPlan, deterministicRngSeed, LinuxBootLoader, LinuxLowMemory, RNG_SEED_BYTES, SETUP_RNG_SEED } from './linux-boot-loader.js';

const MiB = 0x10_0000;

function setup(ramBytes = 64 * MiB, layout = pcLayout(ramBytes)) {
  const memory = new FlatGuestMemory(ramBytes);
  const loader = new LinuxBootLoader(memory, layout);
  const cpu = new FakeBootCpu();
  return { memory, loader, cpu, layout };
}

function linux(kernel: Uint8Array, extra: Partial<LinuxBootOptions> = {}): LinuxBootOptions {
  return { kind: 'linux', kernel, cmdline: 'console=ttyS0 earlyprintk=serial', ...extra };
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

describe('LinuxBootLoader', () => {
  it('builds the zero page: header copied from the image, loader fields set, sentinel clear', () => {
    const { memory, loader, cpu } = setup();
    const kernel = buildBzImage();
    const plan = loader.plan(linux(kernel), placeAcpiTables(memory));
    loader.load(plan, cpu);
    const zp = memory.bytes.subarray(LinuxLowMemory.ZERO_PAGE, LinuxLowMemory.ZERO_PAGE + 0x1000);
    // copied from the image: the header from 0x1F1 to the jump target
    expect(u8(zp, 0x1f1)).toBe(4);
    expect(u32(zp, 0x202)).toBe(0x5372_6448);
    expect(u16(zp, 0x206)).toBe(0x020f);
    expect(u32(zp, 0x248)).toBe(0x1234); // payload_offset, read-only, kept
    expect(u8(zp, BootParams.SENTINEL)).toBe(0); // the image's 0xFF at 0x1EF is not copied
    for (let i = 0x26c; i < 0x290; i++) expect(zp[i]).toBe(0); // setup code after the header is not copied
    // written by the loader
    expect(u8(zp, 0x210)).toBe(0xff); // type_of_loader
    expect(u8(zp, 0x211)).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(u16(zp, 0x1fa)).toBe(0xffff); // vid_mode normal
    expect(u16(zp, 0x224)).toBe(0xde00); // heap_end_ptr
    expect(u32(zp, 0x214)).toBe(0x10_0000); // code32_start
    expect(u32(zp, 0x228)).toBe(LinuxLowMemory.CMDLINE);
    expect(cstring(memory.bytes, LinuxLowMemory.CMDLINE)).toBe('console=ttyS0 earlyprintk=serial');
    expect(u32(zp, 0x218)).toBe(0); // no initrd
    expect(u32(zp, 0x21c)).toBe(0);
    expect(u64(zp, BootParams.ACPI_RSDP_ADDR)).toBe(0xe_0000);
    expect(u8(zp, BootParams.ORIG_VIDEO_IS_VGA)).toBe(0); // serial console: no VGA text screen described
    expect(u32(zp, BootParams.ALT_MEM_K)).toBe(63 * 1024);
    expect([...zp.subarray(0, 0x40)].every((b) => b === 0)).toBe(true); // screen_info left zero
  });

  it('reports RAM, the legacy hole and the ACPI area in the e820 table', () => {
    const { memory, loader } = setup();
    const plan = loader.plan(linux(buildBzImage()), placeAcpiTables(memory));
    expect(e820Of(plan.bootParams)).toEqual([
      { base: 0, size: 0xa_0000, type: 1 },
      { base: 0xa_0000, size: 0x6_0000, type: 2 },
      { base: 0x10_0000, size: 63 * MiB, type: 1 },
    ]);
  });

  it('reports RAM that the bus put in the BIOS area as reserved, and ROM as reserved', () => {
    const { memory, loader } = setup(32 * MiB, pcLayout(32 * MiB, 'ram'));
    const map = e820Of(loader.plan(linux(buildBzImage()), placeAcpiTables(memory)).bootParams);
    expect(map).toContainEqual({ base: 0xa_0000, size: 0x6_0000, type: 2 });
    const rom = setup(32 * MiB, pcLayout(32 * MiB, 'rom'));
    expect(e820Of(rom.loader.plan(linux(buildBzImage())).bootParams)).toContainEqual({ base: 0xa_0000, size: 0x6_0000, type: 2 });
  });

  it('reports RAM above a PCI hole, beyond 4 GiB, with 64-bit fields', () => {
    const regions: MemoryRegion[] = [
      { base: 0, size: 0xa_0000, kind: 'ram' },
      { base: 0x10_0000, size: 63 * MiB, kind: 'ram' },
      { base: 0xe000_0000, size: 0x2000_0000, kind: 'reserved' },
      { base: 0x1_0000_0000, size: 0x4000_0000, kind: 'ram' },
    ];
    const memory = new FlatGuestMemory(64 * MiB);
    const loader = new LinuxBootLoader(memory, new FakeLayout(regions));
    const map = e820Of(loader.plan(linux(buildBzImage()), placeAcpiTables(memory)).bootParams);
    expect(map.slice(-2)).toEqual([
      { base: 0xe000_0000, size: 0x2000_0000, type: 2 },
      { base: 0x1_0000_0000, size: 0x4000_0000, type: 1 },
    ]);
  });

  it('reserves the EBDA and points boot_params at it when the ACPI tables fall back there', () => {
    const memory = new HoleyMemory(32 * MiB, 0xa_0000, 0x10_0000);
    const loader = new LinuxBootLoader(memory, pcLayout(32 * MiB, 'rom'));
    const plan = loader.plan(linux(buildBzImage()), placeAcpiTables(memory));
    loader.load(plan, new FakeBootCpu());
    expect(e820Of(plan.bootParams).slice(0, 2)).toEqual([
      { base: 0, size: 0x9_fc00, type: 1 },
      { base: 0x9_fc00, size: 0x6_0400, type: 2 },
    ]);
    expect(u64(plan.bootParams, BootParams.ACPI_RSDP_ADDR)).toBe(0x9_fc00);
    expect(u16(memory.bytes, 0x40e)).toBe(0x9fc0);
    expect(String.fromCharCode(...memory.bytes.subarray(0x9_fc00, 0x9_fc08))).toBe('RSD PTR ');
  });

  it('loads the protected-mode code at 0x100000 and writes the boot GDT', () => {
    const { memory, loader, cpu } = setup();
    const payload = patternBytes(0x5000, 9);
    loader.load(loader.plan(linux(buildBzImage({ payload }))), cpu);
    expect([...memory.bytes.subarray(0x10_0000, 0x10_5000)]).toEqual([...payload]);
    expect([...memory.bytes.subarray(LinuxLowMemory.GDT, LinuxLowMemory.GDT + 32)]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, // 0x10: flat 4 GiB execute/read code
      0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0, // 0x18: flat 4 GiB read/write data
    ]);
  });

  it('starts the CPU at the 32-bit entry in flat protected mode with ESI on the zero page', () => {
    const { loader, cpu } = setup();
    loader.load(loader.plan(linux(buildBzImage())), cpu);
    expect(cpu.cr[0]).toBe(0x11);
    expect(cpu.cr[3]).toBe(0);
    expect(cpu.cr[4]).toBe(0);
    expect(cpu.gdtr).toEqual({ base: LinuxLowMemory.GDT, limit: 31 });
    expect(cpu.idtr).toEqual({ base: 0, limit: 0 });
    expect(cpu.segments.cs).toEqual({ selector: 0x10, base: 0, limit: 0xffff_ffff, accessRights: FLAT_CODE_ACCESS_RIGHTS });
    for (const s of ['ds', 'es', 'ss', 'fs', 'gs'] as const) {
      expect(cpu.segments[s]).toEqual({ selector: 0x18, base: 0, limit: 0xffff_ffff, accessRights: FLAT_DATA_ACCESS_RIGHTS });
    }
    expect(cpu.registers).toMatchObject({ esi: 0x7000, ebp: 0, edi: 0, ebx: 0, eflags: 0x2, eip: 0x10_0000, esp: 0x7000 });
    expect(cpu.registers['esp']!).toBeLessThanOrEqual(LinuxLowMemory.ZERO_PAGE);
    // control registers and tables are set before the segments and registers
    expect(cpu.calls.indexOf('cr0')).toBeLessThan(cpu.calls.indexOf('segment:cs'));
    expect(cpu.calls.at(-1)).toBe('registers');
  });

  it('loads a relocatable kernel at its pref_address when memory allows, and sets code32_start and EIP there', () => {
    const { memory, loader, cpu } = setup();
    const payload = patternBytes(0x4000, 5);
    const kernel = buildBzImage({ payload, relocatable: true, kernelAlignment: 0x20_0000, prefAddress: 0x100_0000, initSize: 0x80_0000 });
    const plan = loader.plan(linux(kernel));
    loader.load(plan, cpu);
    expect(plan.loadAddress).toBe(0x100_0000);
    expect(plan.kernelRange).toEqual({ base: 0x100_0000, end: 0x180_0000 });
    expect(u32(plan.bootParams, 0x214)).toBe(0x100_0000);
    expect(cpu.registers['eip']).toBe(0x100_0000);
    expect([...memory.bytes.subarray(0x100_0000, 0x100_4000)]).toEqual([...payload]);
  });

  it('falls back to 0x100000 when pref_address is not usable, and still keeps room for the runtime range', () => {
    const { loader } = setup(16 * MiB);
    const kernel = buildBzImage({ relocatable: true, kernelAlignment: 0x20_0000, prefAddress: 0x200_0000, initSize: 0x40_0000 });
    // pref_address 32 MiB is beyond RAM: load low; the decompressor still runs at max(align_up(1 MiB), pref) = 32 MiB
    expect(failure(() => loader.plan(linux(kernel))).code).toBe('not-enough-memory');
    const ok = buildBzImage({ relocatable: true, kernelAlignment: 0x20_0000, prefAddress: 0x90_0000, initSize: 0x40_0000 });
    // pref 9 MiB is not aligned to 2 MiB: not used; runtime start is 9 MiB (LOAD_PHYSICAL_ADDR)
    const plan = loader.plan(linux(ok));
    expect(plan.loadAddress).toBe(0x10_0000);
    expect(plan.kernelRange).toEqual({ base: 0x10_0000, end: 0xd0_0000 });
  });

  it('places the initrd as high as possible, page-aligned, below initrd_addr_max and inside RAM', () => {
    const { memory, loader, cpu } = setup(64 * MiB);
    const initrd = patternBytes(0x12345, 3);
    const plan = loader.plan(linux(buildBzImage(), { initrd }));
    loader.load(plan, cpu);
    const expected = Math.floor((64 * MiB - initrd.length) / 4096) * 4096;
    expect(plan.initrd?.address).toBe(expected);
    expect(u32(plan.bootParams, 0x218)).toBe(expected);
    expect(u32(plan.bootParams, 0x21c)).toBe(initrd.length);
    expect([...memory.bytes.subarray(expected, expected + initrd.length)]).toEqual([...initrd]);

    const capped = loader.plan(linux(buildBzImage({ initrdAddrMax: 0x1ff_ffff }), { initrd }));
    const address = capped.initrd!.address;
    expect(address % 4096).toBe(0);
    expect(address + initrd.length - 1).toBeLessThanOrEqual(0x1ff_ffff);
    expect(address).toBe(Math.floor((0x200_0000 - initrd.length) / 4096) * 4096);
  });

  it('keeps the initrd below a hole and clear of the kernel', () => {
    const regions: MemoryRegion[] = [
      { base: 0, size: 0xa_0000, kind: 'ram' },
      { base: 0x10_0000, size: 15 * MiB, kind: 'ram' },
      { base: 0x100_0000, size: 0x100_0000, kind: 'reserved' },
      { base: 0x200_0000, size: 32 * MiB, kind: 'ram' },
    ];
    const memory = new FlatGuestMemory(64 * MiB);
    const loader = new LinuxBootLoader(memory, new FakeLayout(regions));
    const initrd = new Uint8Array(0x10_0000);
    const plan = loader.plan(linux(buildBzImage({ initrdAddrMax: 0x17f_ffff, initSize: 0x80_0000 }), { initrd }));
    // the highest place below 24 MiB is under the 16 MiB hole
    expect(plan.initrd!.address).toBe(0x100_0000 - 0x10_0000);
    expect(plan.initrd!.address).toBeGreaterThanOrEqual(plan.kernelRange.end);
  });

  it('rejects an initrd larger than the whole memory', () => {
    const { loader } = setup(16 * MiB);
    const f = failure(() => loader.plan(linux(buildBzImage(), { initrd: new Uint8Array(17 * MiB), initrdName: 'initrd.img' })));
    expect(f.code).toBe('initrd-too-large');
    expect(f.message).toMatch(/^initrd\.img is 17 MiB, more than the machine's 15\.6 MiB of usable RAM/);
  });

  it('rejects a kernel and initrd that do not fit together', () => {
    const { loader } = setup(16 * MiB);
    const kernel = buildBzImage({ initSize: 0xa0_0000 }); // 10 MiB from 1 MiB
    const f = failure(() => loader.plan(linux(kernel, { initrd: new Uint8Array(6 * MiB) })));
    expect(f.code).toBe('not-enough-memory');
    expect(f.message).toContain('does not fit in the machine\'s RAM below');
    expect(f.message).toContain('beside the kernel, which needs 0x100000-0xb00000');
  });

  it('rejects a kernel whose init_size exceeds the memory', () => {
    const { loader } = setup(8 * MiB);
    const f = failure(() => loader.plan(linux(buildBzImage({ initSize: 0x100_0000 }), { kernelName: 'bzImage' })));
    expect(f.code).toBe('not-enough-memory');
    expect(f.message).toMatch(/^bzImage needs RAM from 0x100000 to 0x1100000 .* Give the machine at least 17 MiB of memory\.$/);
  });

  it('rejects a hostile init_size of 4 GiB without allocating anything', () => {
    const { loader } = setup(8 * MiB);
    expect(failure(() => loader.plan(linux(buildBzImage({ initSize: 0xffff_ffff })))).code).toBe('not-enough-memory');
  });

  it('rejects a command line longer than cmdline_size, and accepts one exactly that long', () => {
    const { loader } = setup();
    const f = failure(() => loader.plan(linux(buildBzImage({ cmdlineSize: 10 }), { cmdline: 'console=ttyS0' })));
    expect(f.code).toBe('cmdline-too-long');
    expect(f.message).toBe('The kernel command line is 13 bytes long; The kernel image accepts at most 10 (its cmdline_size).');
    const plan = loader.plan(linux(buildBzImage({ cmdlineSize: 13 }), { cmdline: 'console=ttyS0' }));
    expect(plan.cmdline.length).toBe(14);
    expect(plan.cmdline[13]).toBe(0);
  });

  it('limits protocol 2.02 kernels to 255-byte command lines and writes no ACPI pointer before 2.14', () => {
    const { memory, loader } = setup();
    expect(failure(() => loader.plan(linux(buildBzImage({ protocol: 0x0205 }), { cmdline: 'x'.repeat(256) }))).code).toBe('cmdline-too-long');
    const plan = loader.plan(linux(buildBzImage({ protocol: 0x020d })), placeAcpiTables(memory));
    expect(u64(plan.bootParams, BootParams.ACPI_RSDP_ADDR)).toBe(0);
  });

  it('needs RAM at the fixed low-memory addresses', () => {
    const layout = new FakeLayout([{ base: 0x10_0000, size: 15 * MiB, kind: 'ram' }]);
    const { loader } = setup(16 * MiB, layout);
    const f = failure(() => loader.plan(linux(buildBzImage())));
    expect(f.code).toBe('not-enough-memory');
    expect(f.message).toContain('0x1000-0x7fff');
  });

  it('refuses a memory map longer than the zero page holds', () => {
    const regions: MemoryRegion[] = [];
    for (let i = 0; i < 130; i++) regions.push({ base: 0x1000_0000 + i * 0x2000, size: 0x1000, kind: i % 2 ? 'ram' : 'reserved' });
    const { loader } = setup(64 * MiB, new FakeLayout([...pcLayout(64 * MiB).list, ...regions]));
    expect(failure(() => loader.plan(linux(buildBzImage()))).code).toBe('memory-map-too-large');
  });

  it('loads the same bytes again on a second load (reset)', () => {
    const { memory, loader, cpu } = setup();
    const plan = loader.plan(linux(buildBzImage(), { initrd: patternBytes(5000, 2) }));
    loader.load(plan, cpu);
    const first = memory.bytes.slice();
    memory.bytes.fill(0xcc, 0x10_0000, 0x10_1000); // the guest scribbles over its kernel
    memory.bytes.fill(0xcc, LinuxLowMemory.ZERO_PAGE, LinuxLowMemory.ZERO_PAGE + 0x100);
    loader.load(plan, cpu);
    expect(Buffer.compare(memory.bytes, first)).toBe(0);
  });

  it('hands the kernel a random seed: boot_params.setup_data points at one SETUP_RNG_SEED entry', () => {
    const { memory, loader, cpu } = setup();
    const plan = loader.plan(linux(buildBzImage()));
    const seed = patternBytes(RNG_SEED_BYTES, 9);
    loader.load(plan, cpu, seed);
    const zp = memory.bytes.subarray(LinuxLowMemory.ZERO_PAGE, LinuxLowMemory.ZERO_PAGE + 0x1000);
    expect(plan.rngSeedAddress).toBe(LinuxLowMemory.SETUP_DATA);
    expect(u64(zp, 0x250)).toBe(LinuxLowMemory.SETUP_DATA);
    const entry = LinuxLowMemory.SETUP_DATA;
    expect(u64(memory.bytes, entry)).toBe(0); // next: the end of the list
    expect(u32(memory.bytes, entry + 8)).toBe(SETUP_RNG_SEED);
    expect(u32(memory.bytes, entry + 12)).toBe(RNG_SEED_BYTES);
    expect([...memory.bytes.subarray(entry + 16, entry + 16 + RNG_SEED_BYTES)]).toEqual([...seed]);
    // The entry is the loader's: nothing else is planned over it.
    expect(plan.initrd).toBeUndefined();
    expect(plan.kernelRange.base).toBeGreaterThan(entry + 16 + RNG_SEED_BYTES);
  });

  it('without a seed given, writes one that is a function of the command line alone', () => {
    const { memory, loader, cpu } = setup();
    const plan = loader.plan(linux(buildBzImage()));
    loader.load(plan, cpu);
    const data = (): number[] => [...memory.bytes.subarray(LinuxLowMemory.SETUP_DATA + 16, LinuxLowMemory.SETUP_DATA + 16 + RNG_SEED_BYTES)];
    const first = data();
    expect(first).toEqual([...deterministicRngSeed(plan.cmdline)]);
    expect(new Set(first).size).toBeGreaterThan(16); // not a constant fill
    loader.load(plan, cpu);
    expect(data()).toEqual(first);
    const other = loader.plan(linux(buildBzImage(), { cmdline: 'console=ttyS1' }));
    expect([...deterministicRngSeed(other.cmdline)]).not.toEqual(first);
    expect(() => loader.load(plan, cpu, new Uint8Array(8))).toThrow(RangeError);
  });

  it('passes no seed when the options turn it off, or to a kernel older than boot protocol 2.09', () => {
    for (const [kernel, extra] of [
      [buildBzImage(), { rngSeed: false }],
      [buildBzImage({ protocol: 0x0208 }), {}],
    ] as const) {
      const { memory, loader, cpu } = setup();
      const plan = loader.plan(linux(kernel, extra));
      loader.load(plan, cpu);
      expect(plan.rngSeedAddress).toBeUndefined();
      expect(u64(memory.bytes, LinuxLowMemory.ZERO_PAGE + 0x250)).toBe(0);
      expect(memory.bytes.subarray(LinuxLowMemory.SETUP_DATA, LinuxLowMemory.SETUP_DATA + 48).every((b) => b === 0)).toBe(true);
      expect(describeLinuxPlan(plan)).not.toContain('random seed');
    }
  });

  it('describes a plan in one line', () => {
    const { loader } = setup();
    const text = describeLinuxPlan(loader.plan(linux(buildBzImage({ kernelVersion: '6.1.0-test' }), { initrd: new Uint8Array(4096) })));
    expect(text).toMatch(/^Linux boot protocol 2\.15, kernel 6\.1\.0-test, .* loaded at 0x100000, initrd 4 KiB at 0x3fff000, random seed, 3 e820 entries$/);
  });
});
