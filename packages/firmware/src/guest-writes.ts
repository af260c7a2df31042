import { MemoryStatus, PopekError, type GuestMemory } from '@popek/core';

const ZERO_CHUNK = new Uint8Array(0x1_0000);

/**
 * Writes firmware data into guest RAM. The loaders check every range against the memory layout
 * before they write, so a failure here means the layout and the guest memory disagree (a bus
 * fault): a clear error rather than a half-loaded guest.
 */
export function writeGuest(memory: GuestMemory, address: number, bytes: Uint8Array, what: string): void {
  const status = memory.write(address, bytes);
  if (status !== MemoryStatus.Ok) throw writeError(address, bytes.length, what, status);
}

/** Zeroes `length` bytes of guest RAM at `address` in 64 KiB pieces (no allocation per call). */
export function zeroGuest(memory: GuestMemory, address: number, length: number, what: string): void {
  let done = 0;
  while (done < length) {
    const n = Math.min(ZERO_CHUNK.length, length - done);
    const status = memory.write(address + done, n === ZERO_CHUNK.length ? ZERO_CHUNK : ZERO_CHUNK.subarray(0, n));
    if (status !== MemoryStatus.Ok) throw writeError(address + done, n, what, status);
    done += n;
  }
}

function writeError(address: number, length: number, what: string, status: MemoryStatus): PopekError {
  const why = status === MemoryStatus.NotRam ? 'is not RAM' : 'is outside guest memory';
  return new PopekError(
    'firmware-write-failed',
    `The firmware could not write ${what} (${length} bytes at 0x${address.toString(16)}): the range ${why}, although the machine's memory layout lists it as RAM.`,
  );
}

/** Formats a byte count for messages: `12.5 MiB`, `640 KiB`, `17 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 0x10_0000) return `${+(n / 0x10_0000).toFixed(1)} MiB`;
  if (n >= 0x400) return `${+(n / 0x400).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Formats an address for messages: `0x100000`. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
