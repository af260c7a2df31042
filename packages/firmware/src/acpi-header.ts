/** Size of the System Description Table Header (ACPI 6.5 §5.2.6, Table 5.4). */
export const ACPI_TABLE_HEADER_BYTES = 36;

/** Offsets in the System Description Table Header (ACPI 6.5 §5.2.6, Table 5.4). */
export const AcpiHeader = {
  /** Signature (4 ASCII bytes). */
  SIGNATURE: 0,
  /** Length of the whole table. */
  LENGTH: 4,
  /** Revision of the table structure. */
  REVISION: 8,
  /** Checksum: the table sums to 0. */
  CHECKSUM: 9,
  /** OEM ID (6 bytes). */
  OEM_ID: 10,
  /** OEM table ID (8 bytes). */
  OEM_TABLE_ID: 16,
  /** OEM revision. */
  OEM_REVISION: 24,
  /** Creator ID (4 bytes). */
  CREATOR_ID: 28,
  /** Creator revision. */
  CREATOR_REVISION: 32,
} as const;

/** Who made a table: the OEM and creator fields of every header. */
export interface AcpiIds {
  /** OEM ID, up to 6 ASCII characters (space-padded). */
  readonly oemId: string;
  /** OEM table ID, up to 8 ASCII characters (space-padded). */
  readonly oemTableId: string;
  /** OEM revision. */
  readonly oemRevision: number;
  /** Creator ID (the tool that made the table), up to 4 ASCII characters. */
  readonly creatorId: string;
  /** Creator revision. */
  readonly creatorRevision: number;
}

/** Popek's identity in its ACPI tables. */
export const POPEK_ACPI_IDS: AcpiIds = Object.freeze({
  oemId: 'POPEK',
  oemTableId: 'POPEKVM',
  oemRevision: 1,
  creatorId: 'PPEK',
  creatorRevision: 1,
});

/** Writes `text` as fixed-width, space-padded ASCII (ACPI ID fields). */
export function writeAscii(bytes: Uint8Array, offset: number, text: string, width: number): void {
  for (let i = 0; i < width; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20;
    bytes[offset + i] = c > 0x7e || c < 0x20 ? 0x3f : c;
  }
}

/**
 * Writes a System Description Table Header at the start of `table` (whose length is the table's
 * length) with a zero checksum; call {@link fixChecksum} once the table is complete.
 */
export function writeTableHeader(table: Uint8Array, signature: string, revision: number, ids: AcpiIds = POPEK_ACPI_IDS): void {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  writeAscii(table, AcpiHeader.SIGNATURE, signature, 4);
  view.setUint32(AcpiHeader.LENGTH, table.length, true);
  view.setUint8(AcpiHeader.REVISION, revision);
  view.setUint8(AcpiHeader.CHECKSUM, 0);
  writeAscii(table, AcpiHeader.OEM_ID, ids.oemId, 6);
  writeAscii(table, AcpiHeader.OEM_TABLE_ID, ids.oemTableId, 8);
  view.setUint32(AcpiHeader.OEM_REVISION, ids.oemRevision >>> 0, true);
  writeAscii(table, AcpiHeader.CREATOR_ID, ids.creatorId, 4);
  view.setUint32(AcpiHeader.CREATOR_REVISION, ids.creatorRevision >>> 0, true);
}

/** The byte sum of `bytes` modulo 256: zero for a table with a correct checksum. */
export function byteSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/** Sets `bytes[checksumOffset]` so that all of `bytes` sums to zero (ACPI 6.5 §5.2.6). */
export function fixChecksum(bytes: Uint8Array, checksumOffset: number = AcpiHeader.CHECKSUM): void {
  bytes[checksumOffset] = 0;
  bytes[checksumOffset] = (0x100 - byteSum(bytes)) & 0xff;
}
