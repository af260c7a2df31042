import { ContainerModule } from 'inversify';
import { HostArena, type WasmMemory } from './contracts/host-arena.js';
import { PopekError } from './errors.js';

/** The global `WebAssembly` object, as far as the arena uses it (absent in a few hosts). */
type WasmGlobal = {
  readonly WebAssembly?: { readonly Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory };
};

/** Bytes in a WebAssembly page. */
const WASM_PAGE_SIZE = 0x1_0000;

/** The default and largest {@link WasmHostArenaOptions.maximumPages}: 2 GiB. */
export const HOST_ARENA_MAX_PAGES = 32_768;

/** Options of a {@link WasmHostArena}. */
export interface WasmHostArenaOptions {
  /**
   * The most the memory may grow to, in 64 KiB pages (default and at most
   * {@link HOST_ARENA_MAX_PAGES}, 2 GiB, so every offset fits in 31 bits).
   */
  readonly maximumPages?: number;
}

/**
 * A {@link HostArena} over a shared `WebAssembly.Memory` that starts at one page and grows on
 * demand; regions are handed out by a bump pointer.
 *
 * Every region is zero because it was never handed out before and WebAssembly memory starts (and
 * grows) zeroed; nothing is ever freed, so one arena serves one machine for its whole life. The
 * memory is shared, so growing it never detaches the views taken of earlier regions: their old
 * `SharedArrayBuffer` and the new, longer one alias the same bytes.
 */
export class WasmHostArena implements HostArena {
  /** The memory (a shared `WebAssembly.Memory`). */
  readonly memory: WasmMemory;
  /** The most pages the memory may have. */
  readonly maximumPages: number;
  #next = 0;

  /**
   * @param options - the memory's maximum size
   * @throws RangeError when `maximumPages` is not an integer from 1 to {@link HOST_ARENA_MAX_PAGES}
   * @throws `PopekError` `memory-unavailable` when the host refuses to create the memory (or has
   * no WebAssembly)
   */
  constructor(options: WasmHostArenaOptions = {}) {
    const maximum = options.maximumPages ?? HOST_ARENA_MAX_PAGES;
    if (!Number.isInteger(maximum) || maximum < 1 || maximum > HOST_ARENA_MAX_PAGES) {
      throw new RangeError(`a host arena of at most ${maximum} pages is not between 1 page and ${HOST_ARENA_MAX_PAGES} pages`);
    }
    this.maximumPages = maximum;
    try {
      const Memory = (globalThis as WasmGlobal).WebAssembly?.Memory;
      if (Memory === undefined) throw new TypeError('this host has no WebAssembly');
      this.memory = new Memory({ initial: 1, maximum, shared: true });
    } catch (cause) {
      throw unavailable(WASM_PAGE_SIZE, maximum, cause);
    }
  }

  /**
   * Reserves a fresh zeroed region and returns its byte offset in {@link WasmHostArena.memory},
   * growing the memory as needed. Take views through `memory.buffer` after the call.
   *
   * @param bytes - size of the region
   * @param align - alignment of its offset (default 4096)
   * @throws `PopekError` `memory-unavailable` when the memory would exceed its maximum or the
   * host refuses to grow it
   * @throws RangeError when `bytes` is negative or fractional, or `align` is not a power of two
   * up to 65536
   */
  allocate(bytes: number, align = 4096): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`a host arena region of ${bytes} bytes is not a whole number of bytes`);
    if (!Number.isSafeInteger(align) || align < 1 || (align & (align - 1)) !== 0 || align > WASM_PAGE_SIZE) {
      throw new RangeError(`an alignment of ${align} bytes is not a power of two up to ${WASM_PAGE_SIZE}`);
    }
    const offset = Math.ceil(this.#next / align) * align;
    const end = offset + bytes;
    const pages = this.memory.buffer.byteLength / WASM_PAGE_SIZE;
    const needed = Math.ceil(end / WASM_PAGE_SIZE);
    if (needed > pages) {
      if (needed > this.maximumPages) throw unavailable(end, this.maximumPages, undefined);
      try {
        this.memory.grow(needed - pages);
      } catch (cause) {
        throw unavailable(end, this.maximumPages, cause);
      }
    }
    this.#next = end;
    return offset;
  }
}

/** The error for a memory that cannot hold `bytes` (its limit being `maximumPages`). */
function unavailable(bytes: number, maximumPages: number, cause: unknown): PopekError {
  const mib = (n: number): number => Math.ceil(n / 0x10_0000);
  return new PopekError(
    'memory-unavailable',
    `The host could not provide ${mib(bytes)} MiB of WebAssembly memory for guest RAM and the processor's state (the limit is ${mib(maximumPages * WASM_PAGE_SIZE)} MiB). Give the machine less memory.`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Binds a {@link WasmHostArena} (default options, one per container) as the machine's
 * {@link HostArena}, unless something loaded before it bound one: load it after the modules
 * that may provide their own.
 */
export const defaultHostArenaModule = new ContainerModule(({ bind, isBound }) => {
  if (!isBound(HostArena)) bind(HostArena).toDynamicValue(() => new WasmHostArena()).inSingletonScope();
});
