import { serviceId } from '../service-id.js';

/**
 * The outcome of a guest-memory access made on behalf of a device (DMA) or the monitor.
 * Accesses never throw for a bad guest address: they return a status.
 */
export const MemoryStatus = {
  /** The access completed. */
  Ok: 0,
  /** Part of the range lies outside guest-physical memory (or wraps around 4 GiB). */
  OutOfRange: 1,
  /** Part of the range is not RAM (MMIO or ROM for a write); DMA does not reach devices. */
  NotRam: 2,
  /** A field of a record does not fit the type it is read into (a 64-bit value above 2^53). */
  Unrepresentable: 3,
} as const;

/** One of the {@link MemoryStatus} values. */
export type MemoryStatus = (typeof MemoryStatus)[keyof typeof MemoryStatus];

/** Called after every successful write, with the range written: for dirty tracking. */
export type DirtyHook = (address: number, length: number) => void;

/**
 * Guest-physical memory as a device doing DMA (or the monitor) sees it. Every address and length
 * comes from the guest and is checked: an access that does not lie wholly in RAM does nothing and
 * returns a status. An access may span several RAM regions; it is split as needed.
 */
export interface GuestMemory {
  /** One past the highest guest-physical address that may be RAM. */
  readonly limit: number;
  /** Copies `dest.length` bytes at `address` into `dest`. */
  read(address: number, dest: Uint8Array): MemoryStatus;
  /** Copies `src` to guest memory at `address`. */
  write(address: number, src: Uint8Array): MemoryStatus;
  /** Whether `[address, address + length)` is RAM: what a device checks before a long transfer. */
  isRam(address: number, length: number): boolean;
  /** Adds a hook called after every successful write; returns the function that removes it. */
  onWrite(hook: DirtyHook): () => void;
}

/** The machine's guest-physical memory for DMA. */
export const GuestMemory = serviceId<GuestMemory>('@popek/core:GuestMemory');

/** The field types a {@link RecordLayout} knows; all little-endian. */
export type FieldType = 'u8' | 'u16' | 'u32' | 'u64';

const FIELD_SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/**
 * A fixed-layout, little-endian record in guest memory: a virtio descriptor, a DMA PRD entry.
 * Fields are packed in the order given, unless an explicit offset is given.
 */
export interface RecordLayout<K extends string> {
  /** Size of the record in bytes. */
  readonly size: number;
  /** Each field's offset and type. */
  readonly fields: Readonly<Record<K, RecordField>>;
}

/** Where a field of a {@link RecordLayout} sits and what it holds. */
export interface RecordField {
  /** Byte offset in the record. */
  readonly offset: number;
  /** The field's type. */
  readonly type: FieldType;
}

/**
 * Defines a record layout from its fields in order.
 *
 * @example
 * ```ts
 * const VirtqDesc = defineRecordLayout({ addr: 'u64', len: 'u32', flags: 'u16', next: 'u16' });
 * ```
 */
export function defineRecordLayout<K extends string>(fields: Record<K, FieldType>): RecordLayout<K> {
  let offset = 0;
  const out = {} as Record<K, RecordField>;
  for (const name of Object.keys(fields) as K[]) {
    const type = fields[name];
    out[name] = { offset, type };
    offset += FIELD_SIZE[type];
  }
  return { size: offset, fields: out };
}

/** The result of {@link readRecord}. */
export type RecordResult<K extends string> =
  | {
      /** The record was read. */
      readonly ok: true;
      /** Its fields. */
      readonly value: Record<K, number>;
    }
  | {
      /** The record could not be read. */
      readonly ok: false;
      /** Why not. */
      readonly status: MemoryStatus;
    };

/**
 * Reads one record from guest memory. 64-bit fields become numbers; a value above 2^53 − 1 yields
 * `Unrepresentable` rather than a silently rounded address.
 *
 * @param scratch - a buffer of at least `layout.size` bytes, reused across calls by the caller
 */
export function readRecord<K extends string>(
  memory: GuestMemory,
  address: number,
  layout: RecordLayout<K>,
  scratch: Uint8Array = new Uint8Array(layout.size),
): RecordResult<K> {
  const bytes = scratch.length === layout.size ? scratch : scratch.subarray(0, layout.size);
  const status = memory.read(address, bytes);
  if (status !== MemoryStatus.Ok) return { ok: false, status };
  const view = new DataView(bytes.buffer, bytes.byteOffset, layout.size);
  const value = {} as Record<K, number>;
  for (const name of Object.keys(layout.fields) as K[]) {
    const { offset, type } = layout.fields[name];
    switch (type) {
      case 'u8':
        value[name] = view.getUint8(offset);
        break;
      case 'u16':
        value[name] = view.getUint16(offset, true);
        break;
      case 'u32':
        value[name] = view.getUint32(offset, true);
        break;
      case 'u64': {
        const lo = view.getUint32(offset, true);
        const hi = view.getUint32(offset + 4, true);
        if (hi > 0x1f_ffff) return { ok: false, status: MemoryStatus.Unrepresentable };
        value[name] = hi * 0x1_0000_0000 + lo;
        break;
      }
    }
  }
  return { ok: true, value };
}

/** Writes one record to guest memory (numbers above the field's range are truncated to it). */
export function writeRecord<K extends string>(
  memory: GuestMemory,
  address: number,
  layout: RecordLayout<K>,
  value: Readonly<Record<K, number>>,
): MemoryStatus {
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  for (const name of Object.keys(layout.fields) as K[]) {
    const { offset, type } = layout.fields[name];
    const v = value[name];
    switch (type) {
      case 'u8':
        view.setUint8(offset, v & 0xff);
        break;
      case 'u16':
        view.setUint16(offset, v & 0xffff, true);
        break;
      case 'u32':
        view.setUint32(offset, v >>> 0, true);
        break;
      case 'u64':
        view.setUint32(offset, v >>> 0, true);
        view.setUint32(offset + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
        break;
    }
  }
  return memory.write(address, bytes);
}

/**
 * Guest memory made of one RAM block at guest-physical address 0: for small machines and for
 * device tests. A machine with holes and MMIO uses the bus's implementation instead.
 */
export class FlatGuestMemory implements GuestMemory {
  /** The RAM, indexed by guest-physical address. */
  readonly bytes: Uint8Array;
  readonly #hooks = new Set<DirtyHook>();

  /** @param bytesOrSize - the RAM to use, or its size in bytes */
  constructor(bytesOrSize: Uint8Array | number) {
    this.bytes = typeof bytesOrSize === 'number' ? new Uint8Array(bytesOrSize) : bytesOrSize;
  }

  get limit(): number {
    return this.bytes.length;
  }

  isRam(address: number, length: number): boolean {
    return (
      Number.isInteger(address) && Number.isInteger(length) && address >= 0 && length >= 0 && address + length <= this.bytes.length
    );
  }

  read(address: number, dest: Uint8Array): MemoryStatus {
    if (!this.isRam(address, dest.length)) return MemoryStatus.OutOfRange;
    dest.set(this.bytes.subarray(address, address + dest.length));
    return MemoryStatus.Ok;
  }

  write(address: number, src: Uint8Array): MemoryStatus {
    if (!this.isRam(address, src.length)) return MemoryStatus.OutOfRange;
    this.bytes.set(src, address);
    for (const hook of this.#hooks) hook(address, src.length);
    return MemoryStatus.Ok;
  }

  onWrite(hook: DirtyHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }
}
