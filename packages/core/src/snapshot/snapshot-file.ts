import { PopekError } from '../errors.js';
import { crc32 } from './crc32.js';
import { decodeState, encodeState } from './state-codec.js';
import type { StateRecord, StateValue } from './state.js';

/** One component's saved state inside a snapshot. */
export interface SnapshotSection {
  /** The component instance id (`cpu0`, `com1`). */
  readonly id: string;
  /** The state schema (`@popek/dev-serial:Uart16550`). */
  readonly type: string;
  /** The schema version the state follows. */
  readonly version: number;
  /** The state itself. */
  readonly state: StateValue;
}

/** A whole-machine snapshot, decoded. */
export interface SnapshotImage {
  /** The profile that built the machine. */
  readonly profile: string;
  /** Machine-level facts a restore checks (options that shape the machine, such as memory size). */
  readonly machine: StateRecord;
  /** One section per component. */
  readonly sections: readonly SnapshotSection[];
}

/** The magic bytes at the start of every Popek snapshot file. */
export const SNAPSHOT_MAGIC = 'POPEKSNP';
/** The version of the snapshot container format this build writes and reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** Sections at least this large are stored deflated. */
const COMPRESS_THRESHOLD = 1024;

const Encoding = { Raw: 0, Deflate: 1 } as const;

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(input).arrayBuffer());
}

function invalid(message: string, cause?: unknown): PopekError {
  return new PopekError('snapshot-invalid', `This is not a usable Popek snapshot: ${message}.`, { cause });
}

/**
 * Writes a snapshot container:
 *
 * ```
 * "POPEKSNP"  u32 format version  u32 header length  header (encoded state)
 * section payloads, in header order
 * u32 CRC-32 of everything before it
 * ```
 *
 * The header records, for each section, its id, type, version, encoding (raw or deflate), stored
 * length, unpacked length and CRC-32 of the unpacked encoding. RAM and other large sections are
 * deflated. The output is a function of the image alone (no timestamps), so equal machines give
 * equal files.
 */
export async function writeSnapshot(image: SnapshotImage): Promise<Uint8Array> {
  const headers: StateRecord[] = [];
  const payloads: Uint8Array[] = [];
  for (const section of image.sections) {
    const encoded = encodeState(section.state);
    const deflate = encoded.length >= COMPRESS_THRESHOLD;
    const stored = deflate ? await transform(encoded, new CompressionStream('deflate-raw')) : encoded;
    headers.push({
      id: section.id,
      type: section.type,
      version: section.version,
      encoding: deflate ? Encoding.Deflate : Encoding.Raw,
      stored: stored.length,
      length: encoded.length,
      crc: crc32(encoded),
    });
    payloads.push(stored);
  }
  const header = encodeState({ profile: image.profile, machine: image.machine, sections: headers });
  const total = 8 + 4 + 4 + header.length + payloads.reduce((n, p) => n + p.length, 0) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
  view.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let at = 16 + header.length;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

function headerNumber(record: StateValue, key: string): number {
  const v = (record as StateRecord)[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(`the header's ${key} field is malformed`);
  return v;
}

function headerString(record: StateValue, key: string): string {
  const v = (record as StateRecord)[key];
  if (typeof v !== 'string') throw invalid(`the header's ${key} field is malformed`);
  return v;
}

function isRecord(v: StateValue | undefined): v is StateRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * Reads and verifies a snapshot container.
 *
 * @throws {@link PopekError} (`snapshot-invalid`) with a clear message for a file that is not a
 *   snapshot, is truncated, fails a checksum, or has an unknown format version
 */
export async function readSnapshot(bytes: Uint8Array): Promise<SnapshotImage> {
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
    throw invalid('it does not start with the Popek snapshot signature');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(8, true);
  if (format !== SNAPSHOT_FORMAT_VERSION) {
    throw invalid(`it uses container format ${format}, and this build reads format ${SNAPSHOT_FORMAT_VERSION}`);
  }
  const end = bytes.length - 4;
  if (crc32(bytes.subarray(0, end)) !== view.getUint32(end, true)) throw invalid('its checksum does not match (the file is damaged or truncated)');
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > end) throw invalid('its header is truncated');
  let header: StateValue;
  try {
    header = decodeState(bytes.subarray(16, 16 + headerLength));
  } catch (cause) {
    throw invalid('its header cannot be decoded', cause);
  }
  if (!isRecord(header) || !Array.isArray(header['sections']) || !isRecord(header['machine'])) {
    throw invalid('its header is malformed');
  }
  const sections: SnapshotSection[] = [];
  let at = 16 + headerLength;
  for (const entry of header['sections'] as StateValue[]) {
    if (!isRecord(entry)) throw invalid('a section header is malformed');
    const stored = headerNumber(entry, 'stored');
    if (at + stored > end) throw invalid('a section is truncated');
    const payload = bytes.subarray(at, at + stored);
    at += stored;
    const encoding = headerNumber(entry, 'encoding');
    let encoded: Uint8Array;
    try {
      if (encoding === Encoding.Raw) encoded = payload;
      else if (encoding === Encoding.Deflate) encoded = await transform(payload, new DecompressionStream('deflate-raw'));
      else throw invalid(`a section uses unknown encoding ${encoding}`);
    } catch (cause) {
      throw cause instanceof PopekError ? cause : invalid('a compressed section cannot be inflated', cause);
    }
    const id = headerString(entry, 'id');
    if (encoded.length !== headerNumber(entry, 'length') || crc32(encoded) !== headerNumber(entry, 'crc')) {
      throw invalid(`section '${id}' fails its checksum`);
    }
    let state: StateValue;
    try {
      state = decodeState(encoded);
    } catch (cause) {
      throw invalid(`section '${id}' cannot be decoded`, cause);
    }
    sections.push({ id, type: headerString(entry, 'type'), version: headerNumber(entry, 'version'), state });
  }
  if (at !== end) throw invalid('it has trailing bytes after the last section');
  return { profile: headerString(header, 'profile'), machine: header['machine'], sections };
}
