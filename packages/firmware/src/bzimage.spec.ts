import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildBzImage, patternBytes } from '../test/fixtures.js';
import { describeFormat, formatProtocol, parseBzImage } from './bzimage.js';

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isPopekError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a PopekError');
}

describe('parseBzImage', () => {
  it('reads the fields a loader needs from a protocol 2.15 header', () => {
    const payload = patternBytes(0x2345, 1);
    const image = parseBzImage(
      buildBzImage({
        payload,
        setupSects: 3,
        relocatable: true,
        kernelAlignment: 0x100_0000,
        prefAddress: 0x100_0000,
        initSize: 0x140_0000,
        initrdAddrMax: 0x37ff_ffff,
        cmdlineSize: 2047,
        kernelVersion: '6.1.0-99-686 (test@popek) #1 SMP',
      }),
    );
    expect(image.protocol).toBe(0x020f);
    expect(image.setupSects).toBe(3);
    expect(image.setupBytes).toBe(4 * 512);
    expect(image.payload.length).toBe(0x2350); // syssize paragraphs: the padded payload
    expect([...image.payload.subarray(0, payload.length)]).toEqual([...payload]);
    expect(image.relocatable).toBe(true);
    expect(image.kernelAlignment).toBe(0x100_0000);
    expect(image.prefAddress).toBe(0x100_0000);
    expect(image.initSize).toBe(0x140_0000);
    expect(image.initrdAddrMax).toBe(0x37ff_ffff);
    expect(image.cmdlineSize).toBe(2047);
    expect(image.headerEnd).toBe(0x26c);
    expect(image.kernelVersion).toBe('6.1.0-99-686 (test@popek) #1 SMP');
  });

  it('reads setup_sects 0 as 4', () => {
    const image = parseBzImage(buildBzImage({ setupSects: 0 }));
    expect(image.setupSects).toBe(4);
    expect(image.setupBytes).toBe(5 * 512);
  });

  it('uses the defaults of old protocols for fields they lack', () => {
    const image = parseBzImage(buildBzImage({ protocol: 0x0202, initrdAddrMax: 0x1000, cmdlineSize: 9999, relocatable: true, prefAddress: 0x200_0000 }));
    expect(image.initrdAddrMax).toBe(0x37ff_ffff);
    expect(image.cmdlineSize).toBe(255);
    expect(image.relocatable).toBe(false);
    expect(image.prefAddress).toBeUndefined();
    expect(image.initSize).toBe(0);
  });

  it('takes the whole rest of the file as the payload before protocol 2.04, whatever syssize says', () => {
    const image = parseBzImage(buildBzImage({ protocol: 0x0203, payload: new Uint8Array(0x100), syssize: 1 }));
    expect(image.payload.length).toBe(0x100);
  });

  it('ends the copied header where the jump at 0x200 lands', () => {
    expect(parseBzImage(buildBzImage({ jump: 0x66 })).headerEnd).toBe(0x268);
    expect(parseBzImage(buildBzImage({ jump: 0xfe })).headerEnd).toBe(0x26c); // backwards jump: default
  });

  it('ignores a pref_address above 4 GiB', () => {
    const bytes = buildBzImage({ prefAddress: 0x100_0000 });
    new DataView(bytes.buffer).setUint32(0x25c, 1, true);
    expect(parseBzImage(bytes).prefAddress).toBeUndefined();
  });

  it('rejects a file too short to hold a header, naming the file', () => {
    const f = failure(() => parseBzImage(new Uint8Array(100), '/tmp/tiny'));
    expect(f.code).toBe('kernel-not-linux');
    expect(f.message).toBe('/tmp/tiny is not a Linux kernel image: it is only 100 bytes long, too short for a boot sector and setup header.');
  });

  it('rejects an image without the 0xAA55 boot sector signature', () => {
    const f = failure(() => parseBzImage(buildBzImage({ bootFlag: 0x1234 }), 'vmlinuz'));
    expect(f.code).toBe('kernel-not-linux');
    expect(f.message).toContain('vmlinuz is not a Linux kernel image: it has no boot sector signature');
  });

  it("rejects an image without the 'HdrS' header", () => {
    const f = failure(() => parseBzImage(buildBzImage({ magic: 0 }), 'vmlinuz'));
    expect(f.code).toBe('kernel-not-linux');
    expect(f.message).toMatch(/^vmlinuz is not a Linux kernel image: it has no 'HdrS' boot header at offset 0x202/);
  });

  it('says what an ELF file or a compressed file is when given one', () => {
    const elf = new Uint8Array(2048);
    elf.set([0x7f, 0x45, 0x4c, 0x46]);
    expect(failure(() => parseBzImage(elf, 'vmlinux')).message).toContain('it is an ELF file');
    const gz = new Uint8Array(2048);
    gz.set([0x1f, 0x8b]);
    expect(failure(() => parseBzImage(gz)).message).toContain('gzip-compressed');
  });

  it('rejects a protocol older than 2.02', () => {
    const f = failure(() => parseBzImage(buildBzImage({ protocol: 0x0201 }), 'old'));
    expect(f.code).toBe('kernel-protocol-too-old');
    expect(f.message).toBe('old uses Linux boot protocol 2.01; Popek needs protocol 2.02 or newer (Linux 2.4 or later).');
  });

  it('rejects a zImage (LOADED_HIGH missing)', () => {
    const f = failure(() => parseBzImage(buildBzImage({ loadFlags: 0 }), 'zImage'));
    expect(f.code).toBe('kernel-not-bzimage');
    expect(f.message).toMatch(/^zImage is a zImage, not a bzImage: its loadflags lack LOADED_HIGH/);
  });

  it('rejects a 64-bit kernel', () => {
    const f = failure(() => parseBzImage(buildBzImage({ xloadFlags: 0x1 })));
    expect(f.code).toBe('kernel-64-bit');
  });

  it('rejects a file that ends inside its setup code', () => {
    const bytes = buildBzImage({ setupSects: 30 }).subarray(0, 4096);
    const f = failure(() => parseBzImage(bytes, 'k'));
    expect(f.code).toBe('kernel-truncated');
    expect(f.message).toBe('k is truncated: the header says it has 15872 bytes of boot sector and real-mode setup code (setup_sects = 30) but the file has only 4096 bytes.');
  });

  it('rejects a file shorter than syssize says', () => {
    const f = failure(() => parseBzImage(buildBzImage({ payload: new Uint8Array(0x1000), truncateBy: 0x10 }), 'k'));
    expect(f.code).toBe('kernel-truncated');
    expect(f.message).toBe('k is truncated: the header says 4096 bytes of protected-mode code but the file has 4080.');
  });

  it('accepts trailing bytes after syssize (an appended signature) and does not load them', () => {
    const bytes = buildBzImage({ payload: new Uint8Array(0x1000) });
    const longer = new Uint8Array(bytes.length + 0x200);
    longer.set(bytes);
    expect(parseBzImage(longer).payload.length).toBe(0x1000);
  });

  it('rejects syssize 0 and a relocatable kernel with a bad alignment', () => {
    expect(failure(() => parseBzImage(buildBzImage({ syssize: 0 }))).code).toBe('kernel-invalid');
    expect(failure(() => parseBzImage(buildBzImage({ relocatable: true, kernelAlignment: 0x30_0000 }))).message).toContain('is not a power of two');
  });

  it('ignores a version string that points outside the setup code', () => {
    const bytes = buildBzImage();
    new DataView(bytes.buffer).setUint16(0x20e, 0xfff0, true);
    expect(parseBzImage(bytes).kernelVersion).toBeUndefined();
  });
});

describe('formatProtocol and describeFormat', () => {
  it('formats protocol versions as major.minor', () => {
    expect(formatProtocol(0x020f)).toBe('2.15');
    expect(formatProtocol(0x0202)).toBe('2.02');
  });

  it('recognises a Multiboot kernel', () => {
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setUint32(16, 0x1badb002, true);
    expect(describeFormat(bytes)).toContain('kind "multiboot"');
    expect(describeFormat(new Uint8Array(64))).toBeUndefined();
  });
});
