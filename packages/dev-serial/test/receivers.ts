import type { CharReceiver } from '@popek/core';

/** A device stand-in that takes at most `limit` bytes per call to `canAccept` (0 pauses it). */
export class TestReceiver implements CharReceiver {
  readonly bytes: number[] = [];
  constructor(public limit = Infinity) {}
  canAccept(): number {
    return this.limit;
  }
  accept(bytes: Uint8Array): void {
    if (bytes.length > this.limit) throw new Error(`accepted ${bytes.length} bytes, more than the ${this.limit} allowed`);
    this.bytes.push(...bytes);
  }
  get text(): string {
    return new TextDecoder().decode(Uint8Array.from(this.bytes));
  }
}

/** Waits until `condition` holds, polling; fails after `ms` so a broken test cannot hang. */
export async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
