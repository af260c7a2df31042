import { BufferCharBackend, ContainerModule, HostArena, PopekError, WasmHostArena, profileProblems, type MachineProfile } from '@popek/core';
import { PcBus } from '@popek/bus';
import { X86Cpu } from '@popek/cpu-x86';
import { Mmu } from '@popek/mmu';
import { describe, expect, it } from 'vitest';
import { createMachine } from './machine-config.js';
import { microvmProfile } from './microvm-profile.js';
import { pcProfile } from './pc-profile.js';
import { findProfile } from './profiles.js';

/** A minimal, valid bzImage: boot sector, setup header (protocol 2.15, relocatable), payload. */
function tinyBzImage(): Uint8Array {
  const setupSects = 4;
  const image = new Uint8Array((setupSects + 1) * 512 + 4096);
  const v = new DataView(image.buffer);
  image[0x1f1] = setupSects;
  v.setUint16(0x1fe, 0xaa55, true);
  v.setUint32(0x202, 0x5372_6448, true); // "HdrS"
  v.setUint16(0x206, 0x020f, true);
  image[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x214, 0x10_0000, true); // code32_start
  v.setUint32(0x22c, 0x7fff_ffff, true); // initrd_addr_max
  v.setUint32(0x230, 0x20_0000, true); // kernel_alignment
  image[0x234] = 1; // relocatable
  v.setUint32(0x238, 2048, true); // cmdline_size
  v.setUint32(0x1f4, 4096 / 16, true); // syssize
  v.setUint32(0x260, 0x10_0000, true); // init_size
  image[(setupSects + 1) * 512] = 0xf4; // hlt
  return image;
}

/**
 * A Multiboot kernel, assembled by hand, that uses COM1 as a polling driver does, with the UART as
 * reset left it (FIFOs off): writes 'A' to THR, reads LSR at once, waits for TEMT, then sends one
 * digit telling what that first read said — bit 0 THRE, bit 1 TEMT ('3': both set, '0': neither)
 * — waits for TEMT again and halts.
 */
function lsrProbeKernel(): Uint8Array {
  const base = 0x10_0000;
  const header = new Uint32Array([0x1bad_b002, 0x0001_0000, 0, base, base, 0, 0, base + 32]);
  header[2] = (-(header[0]! + header[1]!)) >>> 0;
  const code = [
    0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8 (THR)
    0xb0, 0x41, //             mov al, 'A'
    0xee, //                   out dx, al
    0x66, 0xba, 0xfd, 0x03, // mov dx, 0x3fd (LSR)
    0xec, //                   in al, dx
    0x88, 0xc3, //             mov bl, al
    0xec, //                   1: in al, dx
    0xa8, 0x40, //             test al, 0x40 (TEMT)
    0x74, 0xfb, //             jz 1b
    0x88, 0xd8, //             mov al, bl
    0xc0, 0xe8, 0x05, //       shr al, 5
    0x24, 0x03, //             and al, 3
    0x04, 0x30, //             add al, '0'
    0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
    0xee, //                   out dx, al
    0x66, 0xba, 0xfd, 0x03, // mov dx, 0x3fd
    0xec, //                   2: in al, dx
    0xa8, 0x40, //             test al, 0x40
    0x74, 0xfb, //             jz 2b
    0xfa, 0xf4, //             cli; hlt
  ];
  const image = new Uint8Array(32 + code.length);
  image.set(new Uint8Array(header.buffer), 0);
  image.set(code, 32);
  return image;
}

/** What the LSR probe kernel prints on `profile`'s COM1 with the given serial timing (and host bindings). */
function probeLsr(profile: string, serialTiming?: 'fast' | 'realistic', more: { cpuMode?: string; modules?: ContainerModule[] } = {}): string {
  const serial = new BufferCharBackend();
  const machine = createMachine({
    profile,
    memoryMiB: 32,
    boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' },
    clock: 'deterministic',
    serial,
    ...(serialTiming !== undefined ? { serialTiming } : {}),
    ...more,
  });
  machine.runInstructions(10_000_000);
  machine.dispose();
  return serial.text;
}

describe('built-in profiles', () => {
  it('pc and microvm are valid plugin sets', () => {
    expect(profileProblems(pcProfile)).toEqual([]);
    expect(profileProblems(microvmProfile)).toEqual([]);
  });

  it('an unknown profile gets one message that lists the profiles', () => {
    expect(() => findProfile('mainframe')).toThrow("There is no machine profile 'mainframe'. The profiles are: pc, microvm.");
  });
});

describe('createMachine', () => {
  it('builds a pc and a microvm around a kernel image', () => {
    for (const profile of ['pc', 'microvm']) {
      const machine = createMachine({ profile, memoryMiB: 64, boot: { kind: 'linux', kernel: tinyBzImage(), cmdline: 'console=ttyS0' }, clock: 'deterministic', serial: new BufferCharBackend() });
      expect(machine.profile.id).toBe(profile);
      expect(machine.devices.map((d) => d.id)).toContain('com1');
      machine.dispose();
    }
  });

  it.each([8, 4096, 1.5])('refuses %s MiB of memory with a clear message', (memoryMiB) => {
    expect(() => createMachine({ profile: 'pc', memoryMiB, boot: { kind: 'linux', kernel: tinyBzImage(), cmdline: '' } })).toThrow(/Guest memory must be a whole number of MiB from 16 to 2000/);
  });

  it('refuses a file that is not a kernel before anything runs', () => {
    const notKernel = new TextEncoder().encode('#!/bin/sh\necho this is a shell script, not a kernel\n');
    let error: unknown;
    try {
      createMachine({ profile: 'pc', memoryMiB: 64, boot: { kind: 'linux', kernel: notKernel, cmdline: '', kernelName: "The kernel 'run.sh'" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as Error).message).toMatch(/^The kernel 'run.sh'/);
  });

  it('refuses an initrd larger than memory', () => {
    expect(() =>
      createMachine({ profile: 'pc', memoryMiB: 16, boot: { kind: 'linux', kernel: tinyBzImage(), initrd: new Uint8Array(20 << 20), cmdline: '' } }),
    ).toThrow(PopekError);
  });
});

describe('serial timing', () => {
  it.each(['pc', 'microvm'])('%s transmits at once by default: THRE and TEMT read 1 right after a THR write', (profile) => {
    expect(probeLsr(profile)).toBe('A3');
    expect(probeLsr(profile, 'fast')).toBe('A3');
  });

  it.each(['pc', 'microvm'])("%s paces the line with serialTiming 'realistic': THRE and TEMT read 0 right after a THR write", (profile) => {
    expect(probeLsr(profile, 'realistic')).toBe('A0');
  });

  it('keeps the profile otherwise as it is: COM1 with id com1, in the same place', () => {
    const machine = createMachine({ profile: 'pc', memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' }, serialTiming: 'realistic' });
    expect(machine.profile.plugins.map((p) => p.id)).toEqual(pcProfile.plugins.map((p) => p.id));
    expect(machine.devices.map((d) => d.id)).toContain('com1');
    machine.dispose();
  });

  it('refuses a timing that is neither fast nor realistic with one clear message', () => {
    let error: unknown;
    try {
      createMachine({ profile: 'pc', memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' }, serialTiming: 'slow' as 'fast' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as PopekError).code).toBe('serial-timing-invalid');
    expect((error as Error).message).toBe("The serial timing must be 'fast' or 'realistic'; 'slow' is neither.");
  });

  it('refuses serialTiming with a profile object: the profile configures its serial plugin itself', () => {
    const own: MachineProfile = { ...pcProfile, id: 'my-pc' };
    let error: unknown;
    try {
      createMachine({ profile: own, memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' }, serialTiming: 'realistic' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as PopekError).code).toBe('serial-timing-invalid');
    expect((error as Error).message).toMatch(/^The serialTiming option applies only to the built-in profiles \(pc, microvm\), not to the profile 'my-pc'\./);
    expect((error as Error).message).toContain('configures its serial plugin itself');
  });

  it('leaves a profile object without serialTiming as it is', () => {
    const own: MachineProfile = { ...pcProfile, id: 'my-pc' };
    const machine = createMachine({ profile: own, memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' } });
    expect(machine.profile.plugins).toEqual(own.plugins);
    machine.dispose();
  });
});

describe('a host arena', () => {
  /** A module that binds `arena` and records the bus, MMU and CPU the machine resolves. */
  function arenaModule(arena: WasmHostArena, seen: { bus?: PcBus; mmu?: Mmu; cpu?: X86Cpu } = {}): ContainerModule {
    return new ContainerModule(({ bind, onActivation }) => {
      bind(HostArena).toConstantValue(arena);
      onActivation(PcBus, (_context, bus) => (seen.bus = bus));
      onActivation(Mmu, (_context, mmu) => (seen.mmu = mmu));
      onActivation(X86Cpu, (_context, cpu) => (seen.cpu = cpu));
    });
  }

  it('puts guest RAM, the TLB and the CPU registers in its one memory', () => {
    const arena = new WasmHostArena();
    const seen: { bus?: PcBus; mmu?: Mmu; cpu?: X86Cpu } = {};
    const machine = createMachine({ profile: 'pc', memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' }, modules: [arenaModule(arena, seen)] });
    const { bus, mmu, cpu } = seen;
    expect(bus?.ram).toBeDefined();
    expect(mmu?.tlb).toBe(cpu?.tlb);
    const memory = (): Uint8Array => new Uint8Array(arena.memory.buffer);
    bus!.ram[0x7777] = 0x5a;
    expect(memory()[bus!.ram.byteOffset + 0x7777]).toBe(0x5a);
    mmu!.tlb[0x1234] = 0x0102_0304;
    expect(new DataView(memory().buffer).getInt32(mmu!.tlb.byteOffset + 0x1234 * 4, true)).toBe(0x0102_0304);
    cpu!.r8[1] = 0xc3; // AH
    expect(memory()[cpu!.regs.byteOffset + 1]).toBe(0xc3);
    const regions = [bus!.ram, mmu!.tlb, cpu!.regs].map((v) => [v.byteOffset, v.byteOffset + v.byteLength] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < regions.length; i++) expect(regions[i]![0]).toBeGreaterThanOrEqual(regions[i - 1]![1]);
    expect(regions.at(-1)![1]).toBeLessThanOrEqual(arena.memory.buffer.byteLength);
    machine.dispose();
  });

  it.each(['interpreter', 'bt'])('runs a guest as without one (%s), wherever guest RAM sits in the memory', (cpuMode) => {
    expect(probeLsr('pc', undefined, { cpuMode, modules: [arenaModule(new WasmHostArena())] })).toBe('A3');
    const arena = new WasmHostArena();
    arena.allocate(1); // guest RAM then starts at 4096, not at byte 0 of the memory
    expect(probeLsr('pc', undefined, { cpuMode, modules: [arenaModule(arena)] })).toBe('A3');
  });

  it('refuses a machine larger than the arena with a message that says what to do', () => {
    const arena = new WasmHostArena({ maximumPages: 256 }); // 16 MiB
    let error: unknown;
    try {
      createMachine({ profile: 'pc', memoryMiB: 32, boot: { kind: 'multiboot', kernel: lsrProbeKernel(), cmdline: '' }, modules: [arenaModule(arena)] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as PopekError).code).toBe('memory-unavailable');
    expect((error as Error).message).toMatch(/Give the machine less memory\.$/);
  });
});
