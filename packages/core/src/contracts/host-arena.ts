import { serviceId } from '../service-id.js';

/**
 * A `WebAssembly.Memory`, as the contracts name it. TypeScript declares `WebAssembly` only in its
 * DOM and web-worker libraries, which Popek does not load (its packages run in Node.js as well as
 * in browsers); this interface is the DOM library's `WebAssembly.Memory` member for member, so
 * either is assignable to the other, and the object behind it is always a real
 * `WebAssembly.Memory` (hand it to `WebAssembly.Instance` as an imported memory).
 */
export interface WasmMemory {
  /** The memory's bytes (a `SharedArrayBuffer` at run time when the memory is shared). */
  readonly buffer: ArrayBuffer;
  /** Grows the memory by `delta` 64 KiB pages; returns the previous size in pages. */
  grow(delta: number): number;
}

/**
 * One `WebAssembly.Memory` that the machine's hot state is carved from: guest RAM (the bus's
 * frame pool), the MMU's TLB and the CPU's general registers. Generated WebAssembly code imports
 * that one memory and loads and stores all three directly.
 *
 * Binding it is optional: without it each owner allocates its own `ArrayBuffer` or
 * `SharedArrayBuffer`, as before. An owner that takes a region keeps a typed-array view of
 * `memory.buffer` at the returned offset, so the memory must never detach a view it handed out
 * when it grows: it is a shared memory (its `buffer` is a `SharedArrayBuffer`).
 *
 * Regions are never freed; a machine has one arena, and it lives as long as the machine.
 */
export interface HostArena {
  /** The memory every region lives in (shared, so growing keeps earlier views valid). */
  readonly memory: WasmMemory;
  /**
   * Reserves a fresh region and returns its byte offset in {@link HostArena.memory}, growing the
   * memory as needed. Take views through `memory.buffer` after the call (the buffer object
   * before it may be too short).
   *
   * @param bytes - size of the region (a non-negative integer)
   * @param align - alignment of its offset, a power of two (default 4096)
   * @returns the offset of `bytes` zeroed bytes, a multiple of `align`
   * @throws `PopekError` `memory-unavailable` when the memory cannot grow enough
   */
  allocate(bytes: number, align?: number): number;
}

/** The machine's host arena, when the host binds one (see {@link HostArena}). */
export const HostArena = serviceId<HostArena>('@popek/core:HostArena');
