import { FlatGuestMemory, isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { decodeAml } from '../test/aml-decoder.js';
import { HoleyMemory, u16, u32, u64, u8 } from '../test/fixtures.js';
import { byteSum } from './acpi-header.js';
import { AcpiTables, Fadt, installAcpiTables, PC_ACPI_PLATFORM, placeAcpiTables } from './acpi-tables.js';

const image = new AcpiTables().build(0xe_0000);
const at = (address: number, length: number): Uint8Array => image.bytes.subarray(address - image.base, address - image.base + length);
const sig = (b: Uint8Array, n = 4): string => String.fromCharCode(...b.subarray(0, n));
const table = (address: number): Uint8Array => at(address, u32(at(address, 8), 4));

/** Finds the RSDP as Linux's acpi_find_root_pointer does: 16-byte steps, signature and checksum. */
function scanForRsdp(memory: Uint8Array, from: number, to: number): number | undefined {
  for (let a = from; a < to; a += 16) {
    if (sig(memory.subarray(a), 8) === 'RSD PTR ' && byteSum(memory.subarray(a, a + 20)) === 0) return a;
  }
  return undefined;
}

describe('AcpiTables', () => {
  const rsdp = at(image.rsdpAddress, 36);
  const rsdtAddress = u32(rsdp, 16);
  const xsdtAddress = u64(rsdp, 24);
  const rsdt = table(rsdtAddress);
  const xsdt = table(xsdtAddress);
  const fadtAddress = u32(rsdt, 36);
  const fadt = table(fadtAddress);

  it('writes an ACPI 2.0 RSDP with both checksums right', () => {
    expect(sig(rsdp, 8)).toBe('RSD PTR ');
    expect(image.rsdpAddress % 16).toBe(0);
    expect(byteSum(rsdp.subarray(0, 20))).toBe(0);
    expect(byteSum(rsdp)).toBe(0);
    expect(sig(rsdp.subarray(9), 6)).toBe('POPEK ');
    expect(u8(rsdp, 15)).toBe(2);
    expect(u32(rsdp, 20)).toBe(36);
  });

  it('points the RSDT and the XSDT at the one FADT', () => {
    expect(sig(rsdt)).toBe('RSDT');
    expect(u32(rsdt, 4)).toBe(40);
    expect(sig(xsdt)).toBe('XSDT');
    expect(u32(xsdt, 4)).toBe(44);
    expect(u64(xsdt, 36)).toBe(fadtAddress);
    expect(sig(fadt)).toBe('FACP');
  });

  it('gives every table a correct checksum', () => {
    for (const t of image.tables) {
      if (t.signature === 'FACS') continue; // the FACS has no checksum
      const bytes = t.signature === 'RSD PTR ' ? at(t.address, 36) : table(t.address);
      expect(bytes.length, t.signature).toBe(t.length);
      expect(byteSum(bytes), t.signature).toBe(0);
    }
  });

  it('writes a revision-6 FADT with the PC fixed hardware, the reset register and no GPE blocks', () => {
    expect(u8(fadt, 8)).toBe(6);
    expect(fadt.length).toBe(276);
    expect(u8(fadt, Fadt.MINOR_VERSION)).toBe(5);
    expect(u16(fadt, 46)).toBe(9); // SCI_INT
    expect(u32(fadt, 48)).toBe(0); // SMI_CMD: ACPI always enabled
    expect(u32(fadt, 56)).toBe(0x600); // PM1a_EVT_BLK
    expect(u32(fadt, 60)).toBe(0); // PM1b_EVT_BLK
    expect(u32(fadt, 64)).toBe(0x604); // PM1a_CNT_BLK
    expect(u32(fadt, 72)).toBe(0); // PM2_CNT_BLK
    expect(u32(fadt, 76)).toBe(0x608); // PM_TMR_BLK
    expect(u32(fadt, 80)).toBe(0); // GPE0_BLK
    expect(u32(fadt, 84)).toBe(0); // GPE1_BLK
    expect([u8(fadt, 88), u8(fadt, 89), u8(fadt, 90), u8(fadt, 91), u8(fadt, 92), u8(fadt, 93)]).toEqual([4, 2, 0, 4, 0, 0]);
    expect(u16(fadt, 96)).toBe(101); // no C2
    expect(u16(fadt, 98)).toBe(1001); // no C3
    expect(u8(fadt, 108)).toBe(0x32); // CENTURY
    expect(u16(fadt, 109)).toBe(0x3); // LEGACY_DEVICES | 8042
    expect(u32(fadt, 112)).toBe(0x425); // WBINVD | PROC_C1 | SLP_BUTTON | RESET_REG_SUP; TMR_VAL_EXT clear: 24-bit timer
    expect([...fadt.subarray(116, 128)]).toEqual([1, 8, 0, 1, 0xf9, 0x0c, 0, 0, 0, 0, 0, 0]); // I/O 0xCF9, 8 bits
    expect(u8(fadt, 128)).toBe(0x06); // RESET_VALUE
  });

  it('fills the X_ fields with the same addresses as the 32-bit ones, except X_FIRMWARE_CTRL, which must be zero', () => {
    expect(u64(fadt, 132)).toBe(0);
    expect(u64(fadt, 140)).toBe(u32(fadt, 40));
    expect([...fadt.subarray(148, 160)]).toEqual([1, 32, 0, 2, 0x00, 0x06, 0, 0, 0, 0, 0, 0]);
    expect([...fadt.subarray(172, 184)]).toEqual([1, 16, 0, 2, 0x04, 0x06, 0, 0, 0, 0, 0, 0]);
    expect([...fadt.subarray(208, 220)]).toEqual([1, 32, 0, 3, 0x08, 0x06, 0, 0, 0, 0, 0, 0]);
    for (const o of [160, 184, 196, 220, 232, 244, 256]) expect([...fadt.subarray(o, o + 12)].every((b) => b === 0)).toBe(true);
  });

  it('points the FADT at a 64-byte aligned FACS', () => {
    const facsAddress = u32(fadt, 36);
    expect(facsAddress % 64).toBe(0);
    const facs = at(facsAddress, 64);
    expect(sig(facs)).toBe('FACS');
    expect(u32(facs, 4)).toBe(64);
    expect(u8(facs, 32)).toBe(2);
  });

  it('writes a DSDT that is exactly Name (\\_S5, Package () {0, 0, 0, 0})', () => {
    const dsdt = table(u32(fadt, 40));
    expect(sig(dsdt)).toBe('DSDT');
    expect(u8(dsdt, 8)).toBe(2);
    // hand-checked against ACPI 6.5 §20.2: NameOp, \ _S5_, PackageOp, PkgLength 6, 4 elements, 4 ZeroOps
    expect([...dsdt.subarray(36)]).toEqual([0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00]);
    expect(decodeAml(dsdt.subarray(36))).toEqual([
      {
        op: 'Name',
        name: '\\_S5_',
        value: { op: 'Package', numElements: 4, elements: Array.from({ length: 4 }, () => ({ op: 'Integer', value: 0n })) },
      },
    ]);
  });

  it('puts a non-zero S5 sleep type in both SLP_TYP elements', () => {
    const dsdt = new AcpiTables({ ...PC_ACPI_PLATFORM, s5SleepType: 5 }).dsdt();
    expect([...dsdt.subarray(36)]).toEqual([0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00]);
    expect(byteSum(dsdt)).toBe(0);
    expect(() => new AcpiTables({ ...PC_ACPI_PLATFORM, s5SleepType: 8 })).toThrow(RangeError);
  });

  it('refuses a base that is not 16-byte aligned', () => {
    expect(() => new AcpiTables().build(0xe_0008)).toThrow(RangeError);
  });
});

describe('placing the ACPI tables', () => {
  it('uses the BIOS area when it is RAM, where the legacy scan finds the RSDP', () => {
    const memory = new FlatGuestMemory(0x20_0000);
    const placement = placeAcpiTables(memory);
    expect(placement.image.base).toBe(0xe_0000);
    expect(placement.reservation).toMatchObject({ base: 0xe_0000, size: 0x2_0000, type: 2 });
    installAcpiTables(memory, placement);
    expect(scanForRsdp(memory.bytes, 0xe_0000, 0x10_0000)).toBe(0xe_0000);
  });

  it('falls back to an EBDA at 0x9FC00, pointed at by the BDA, when the BIOS area is not RAM', () => {
    const memory = new HoleyMemory(0x20_0000, 0xa_0000, 0x10_0000);
    const placement = placeAcpiTables(memory);
    expect(placement.image.base).toBe(0x9_fc00);
    expect(placement.reservation).toMatchObject({ base: 0x9_fc00, size: 0x400, type: 2 });
    installAcpiTables(memory, placement);
    const ebda = u16(memory.bytes, 0x40e) << 4;
    expect(ebda).toBe(0x9_fc00);
    expect(scanForRsdp(memory.bytes, ebda, ebda + 1024)).toBe(0x9_fc00);
  });

  it('says so when there is no room at all', () => {
    try {
      placeAcpiTables(new FlatGuestMemory(0x8_0000));
      expect.unreachable();
    } catch (e) {
      expect(isPopekError(e) && e.code).toBe('acpi-no-room');
    }
  });
});
