import { serviceId } from '../service-id.js';
import type { AccessWidth } from './io.js';

/**
 * Guest-physical memory and I/O ports as the CPU (and its MMU) reach them. The bus implements it.
 *
 * RAM lives in a frame pool (`ram`); the P2M indirection maps each guest frame to a host frame.
 * The fast path asks once per page for the page's host offset and then indexes `ram` directly
 * (the CPU's TLB caches that offset); everything else — MMIO, ROM writes, unassigned space,
 * write-traced or shared pages — goes through the slow `readPhysical`/`writePhysical` path.
 */
export interface PhysicalBus {
  /** The host frame pool holding all guest RAM (less than 2 GiB, so offsets fit in 31 bits). */
  readonly ram: Uint8Array;
  /**
   * The host byte offset of guest-physical page `gfn` (address >>> 12) in `ram` when the page is
   * plain RAM for this kind of access, or -1 when the access must take the slow path (MMIO, ROM
   * on write, unassigned, write-traced, copy-on-write shared).
   */
  ramPageOffset(gfn: number, write: boolean): number;
  /** Reads `width` bytes at a guest-physical address through the slow path. */
  readPhysical(address: number, width: AccessWidth): number;
  /** Writes `width` bytes at a guest-physical address through the slow path. */
  writePhysical(address: number, width: AccessWidth, value: number): void;
  /** Reads an I/O port (unassigned ports read as all ones). */
  ioRead(port: number, width: AccessWidth): number;
  /** Writes an I/O port (writes to unassigned ports are ignored). */
  ioWrite(port: number, width: AccessWidth, value: number): void;
  /**
   * The A20 mask applied to every guest-physical address: 0xFFFFFFFF with the gate open,
   * 0xFFEFFFFF with it closed (real-mode wrap-around).
   */
  readonly a20Mask: number;
  /**
   * Registers a listener called whenever the result of `ramPageOffset` may have changed for some
   * pages (A20 toggled, a page became traced or shared, memory was remapped): caches of host
   * offsets (TLBs, translated code) must be dropped. Returns the function that unregisters it.
   */
  onMappingChange(listener: () => void): () => void;
}

/** The machine's physical bus, as the CPU sees it. */
export const PhysicalBus = serviceId<PhysicalBus>('@popek/core:PhysicalBus');
