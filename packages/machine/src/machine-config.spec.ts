import { BufferCharBackend, PopekError, profileProblems } from '@popek/core';
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
