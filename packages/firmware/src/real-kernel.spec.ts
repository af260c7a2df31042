/*
 * Parses and plans the real Debian i386 kernel when `popek guest fetch` has cached it
 * ($POPEK_CACHE_DIR/guests/debian-bookworm-i386, else $XDG_CACHE_HOME/popek/..., else
 * ~/.cache/popek/...). Skipped when it is absent: nothing here downloads.
 */
import { FlatGuestMemory } from '@popek/core';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e820Of, FakeBootCpu, pcLayout, u32 } from '../test/fixtures.js';
import { placeAcpiTables } from './acpi-tables.js';
import { parseBzImage, SetupHeader } from './bzimage.js';
import { LinuxBootLoader } from './linux-boot-loader.js';

function guestDir(): string {
  const env = process.env;
  const base = env['POPEK_CACHE_DIR']?.trim() || join(env['XDG_CACHE_HOME']?.trim() || join(env['HOME']?.trim() || homedir(), '.cache'), 'popek');
  return join(base, 'guests', 'debian-bookworm-i386');
}

const dir = guestDir();
const present = existsSync(join(dir, 'vmlinuz'));

describe.skipIf(!present)('the cached Debian i386 kernel', () => {
  const kernel = present ? new Uint8Array(readFileSync(join(dir, 'vmlinuz'))) : new Uint8Array();
  const initrd = present && existsSync(join(dir, 'initrd.cpio.gz')) ? new Uint8Array(readFileSync(join(dir, 'initrd.cpio.gz'))) : undefined;
  const manifest = present && existsSync(join(dir, 'manifest.json')) ? (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { kernel?: { release?: string } }) : {};

  it('is a relocatable 32-bit bzImage of a recent boot protocol', () => {
    const image = parseBzImage(kernel, 'vmlinuz');
    expect(image.protocol).toBeGreaterThanOrEqual(0x020c);
    expect(image.relocatable).toBe(true);
    expect(image.xloadFlags & 1).toBe(0);
    expect(image.payload.length % 16).toBe(0);
    expect(image.setupBytes + image.payload.length).toBeLessThanOrEqual(kernel.length);
    expect(image.prefAddress).toBeGreaterThanOrEqual(0x10_0000);
    expect(image.initSize).toBeGreaterThan(image.payload.length);
    expect(image.cmdlineSize).toBeGreaterThanOrEqual(255);
    if (manifest.kernel?.release !== undefined) expect(image.kernelVersion?.startsWith(manifest.kernel.release)).toBe(true);
  });

  it('plans a boot in 128 MiB: kernel at pref_address, initrd high, the header copied', () => {
    const memory = new FlatGuestMemory(128 * 0x10_0000);
    const loader = new LinuxBootLoader(memory, pcLayout(128 * 0x10_0000));
    const plan = loader.plan({ kind: 'linux', kernel, initrd, cmdline: 'console=ttyS0 panic=-1' }, placeAcpiTables(memory));
    const image = plan.image;
    expect(plan.loadAddress).toBe(image.prefAddress);
    expect(plan.kernelRange.end).toBe(image.prefAddress! + image.initSize);
    if (initrd !== undefined) {
      expect(plan.initrd!.address % 4096).toBe(0);
      expect(plan.initrd!.address + initrd.length).toBeLessThanOrEqual(Math.min(128 * 0x10_0000, image.initrdAddrMax + 1));
      expect(plan.initrd!.address).toBeGreaterThanOrEqual(plan.kernelRange.end);
    }
    // header bytes the loader does not write are the file's
    for (const o of [SetupHeader.SETUP_SECTS, SetupHeader.VERSION, SetupHeader.KERNEL_ALIGNMENT, SetupHeader.INIT_SIZE, SetupHeader.PAYLOAD_OFFSET]) {
      expect(u32(plan.bootParams, o)).toBe(u32(kernel, o));
    }
    expect(e820Of(plan.bootParams).length).toBe(3);
    const cpu = new FakeBootCpu();
    loader.load(plan, cpu);
    expect(cpu.registers['eip']).toBe(plan.loadAddress);
    expect(Buffer.compare(memory.bytes.subarray(plan.loadAddress, plan.loadAddress + image.payload.length), image.payload)).toBe(0);
  });

  it('does not fit in 16 MiB and says how much memory it needs', () => {
    const loader = new LinuxBootLoader(new FlatGuestMemory(16 * 0x10_0000), pcLayout(16 * 0x10_0000));
    expect(() => loader.plan({ kind: 'linux', kernel, cmdline: '' })).toThrow(/Give the machine at least \d+ MiB of memory/);
  });
});
