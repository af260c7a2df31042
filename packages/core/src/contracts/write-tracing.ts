import { serviceId } from '../service-id.js';

/**
 * Told about every write to a page it traces, after the write is done: a binary translator drops
 * the code it translated from the page, a shadow MMU re-synchronises a guest page table.
 */
export interface WriteTracer {
  /** `length` bytes at guest-physical `address` were written (by the CPU or by DMA). */
  onTracedWrite(address: number, length: number): void;
}

/**
 * Write tracing of guest-physical pages, offered by the bus. A traced page never enters a write
 * fast path (the CPU's TLB gets no write permission for it), so every write to it — from any
 * virtual alias, from the interpreter, from translated code or from a device's DMA — reaches the
 * bus's slow path, which performs it and then calls the page's tracers.
 *
 * Starting to trace a page is a mapping change (`PhysicalBus.onMappingChange` listeners run, so
 * cached write permissions are dropped); stopping is not (it only widens what the fast path may do).
 */
export interface WriteTracing {
  /**
   * Traces writes to guest frame `gfn` for `tracer`. Returns false (and does nothing) when the
   * frame is not RAM. Tracing a page twice with the same tracer is one registration.
   */
  trace(gfn: number, tracer: WriteTracer): boolean;
  /** Stops `tracer` tracing frame `gfn` (the page stays traced while other tracers remain). */
  untrace(gfn: number, tracer: WriteTracer): void;
}

/** The machine's write tracing (the bus binds it). */
export const WriteTracing = serviceId<WriteTracing>('@popek/core:WriteTracing');
