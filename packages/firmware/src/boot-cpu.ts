import {
  FLAT_CODE_ACCESS_RIGHTS,
  FLAT_DATA_ACCESS_RIGHTS,
  type BootProcessorState,
  type BootRegisters,
  type SegmentName,
} from '@popek/core';

/**
 * The code selector both boot protocols enter with: Linux's `__BOOT_CS` (GDT entry 2,
 * Documentation/arch/x86/boot.rst "32-bit Boot Protocol"). Multiboot leaves the selector values
 * undefined (0.6.96 §3.2), so the same GDT serves it.
 */
export const BOOT_CS = 0x10;
/** The data selector: Linux's `__BOOT_DS` (GDT entry 3). */
export const BOOT_DS = 0x18;

/** Entries in the boot GDT: null, unused, code (0x10), data (0x18). */
export const BOOT_GDT_ENTRIES = 4;
/** Size of the boot GDT in bytes. */
export const BOOT_GDT_BYTES = BOOT_GDT_ENTRIES * 8;

/**
 * A flat 4 GiB ring-0 code descriptor (Intel SDM Vol. 3A §3.4.5, Figure 3-8): base 0, limit
 * 0xFFFFF with G=1, D=1, P=1, DPL=0, S=1, type 0xB (execute/read, accessed). Accessed is preset
 * so the CPU never writes the GDT back.
 */
const FLAT_CODE_DESCRIPTOR_HIGH = 0x00cf_9b00;
/** A flat 4 GiB ring-0 data descriptor: as the code one with type 0x3 (read/write, accessed). */
const FLAT_DATA_DESCRIPTOR_HIGH = 0x00cf_9300;
/** Low dword of both flat descriptors: limit 15:0 = 0xFFFF, base 15:0 = 0. */
const FLAT_DESCRIPTOR_LOW = 0x0000_ffff;

/** CR0.PE, protection enable (Intel SDM Vol. 3A §2.5). */
export const CR0_PE = 1 << 0;
/** CR0.ET, extension type: hard-wired to 1 on every processor since the i486. */
export const CR0_ET = 1 << 4;
/** EFLAGS with only the reserved bit 1 set: interrupts disabled, no virtual-8086 mode. */
export const BOOT_EFLAGS = 0x2;

/** The bytes of the boot GDT (null, unused, flat code at 0x10, flat data at 0x18). */
export function bootGdtBytes(): Uint8Array {
  const bytes = new Uint8Array(BOOT_GDT_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32((BOOT_CS >> 3) * 8, FLAT_DESCRIPTOR_LOW, true);
  view.setUint32((BOOT_CS >> 3) * 8 + 4, FLAT_CODE_DESCRIPTOR_HIGH, true);
  view.setUint32((BOOT_DS >> 3) * 8, FLAT_DESCRIPTOR_LOW, true);
  view.setUint32((BOOT_DS >> 3) * 8 + 4, FLAT_DATA_DESCRIPTOR_HIGH, true);
  return bytes;
}

const DATA_SEGMENTS: readonly SegmentName[] = ['ds', 'es', 'ss', 'fs', 'gs'];

/**
 * Puts the CPU in the state both boot protocols specify: 32-bit protected mode with paging off
 * (CR0 = PE | ET, CR3 = CR4 = 0), GDTR on the boot GDT at `gdtBase`, CS = 0x10 flat
 * execute/read, DS = ES = SS = FS = GS = 0x18 flat read/write, interrupts disabled (EFLAGS =
 * 0x2). IDTR is loaded with limit 0, so a fault before the kernel sets up its own IDT shuts the
 * machine down (triple fault) rather than jumping through a garbage vector. The general registers
 * not named in `registers` are zeroed.
 */
export function enterFlatProtectedMode(cpu: BootProcessorState, gdtBase: number, registers: BootRegisters): void {
  cpu.setControlRegister(4, 0);
  cpu.setControlRegister(3, 0);
  cpu.setControlRegister(0, CR0_PE | CR0_ET);
  cpu.setDescriptorTable('gdtr', gdtBase, BOOT_GDT_BYTES - 1);
  cpu.setDescriptorTable('idtr', 0, 0);
  cpu.setSegment('cs', { selector: BOOT_CS, base: 0, limit: 0xffff_ffff, accessRights: FLAT_CODE_ACCESS_RIGHTS });
  for (const name of DATA_SEGMENTS) {
    cpu.setSegment(name, { selector: BOOT_DS, base: 0, limit: 0xffff_ffff, accessRights: FLAT_DATA_ACCESS_RIGHTS });
  }
  cpu.setRegisters({ eax: 0, ebx: 0, ecx: 0, edx: 0, esi: 0, edi: 0, ebp: 0, esp: 0, eflags: BOOT_EFLAGS, ...registers });
}
