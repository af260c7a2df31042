import type { AccessWidth, IoHandler } from './io.js';
import { allOnes } from './io.js';
import type { PhysicalBus } from './physical-bus.js';
import type { WriteTracer, WriteTracing } from './write-tracing.js';
import type { HostArena } from './host-arena.js';

/**
 * A minimal {@link PhysicalBus}: RAM from address 0, port handlers registered by hand, everything
 * else unassigned. For CPU and MMU tests and small test machines; real machines use `@popek/bus`.
 */
export class FlatPhysicalBus implements PhysicalBus, WriteTracing {
  /** The RAM. */
  readonly ram: Uint8Array;
  a20Mask = 0xffff_ffff;
  readonly #ports = new Map<number, IoHandler>();
  readonly #listeners = new Set<() => void>();
  readonly #tracers = new Map<number, WriteTracer[]>();

  /**
   * @param ramBytes - RAM size in bytes (a multiple of 4096)
   * @param arena - where the RAM is allocated (its own buffer when absent)
   */
  constructor(ramBytes: number, arena?: HostArena) {
    if (ramBytes % 4096 !== 0) throw new RangeError('RAM size must be a multiple of 4096');
    if (arena === undefined) this.ram = new Uint8Array(ramBytes);
    else {
      const at = arena.allocate(ramBytes);
      this.ram = new Uint8Array(arena.memory.buffer, at, ramBytes);
    }
  }

  ramPageOffset(gfn: number, write = false): number {
    const offset = gfn * 4096;
    if (write && this.#tracers.has(gfn)) return -1;
    return offset < this.ram.length ? offset : -1;
  }

  readPhysical(address: number, width: AccessWidth): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) {
      const a = (address + i) >>> 0;
      v = v * 256 + (a < this.ram.length ? this.ram[a]! : 0xff);
    }
    return v >>> 0;
  }

  writePhysical(address: number, width: AccessWidth, value: number): void {
    for (let i = 0; i < width; i++) {
      const a = (address + i) >>> 0;
      if (a < this.ram.length) this.ram[a] = (value >>> (8 * i)) & 0xff;
    }
    if (this.#tracers.size === 0) return;
    const first = address >>> 12;
    const last = (address + width - 1) >>> 12;
    for (let gfn = first; gfn <= last; gfn++) {
      const list = this.#tracers.get(gfn);
      if (list !== undefined) for (const t of [...list]) t.onTracedWrite(address, width);
    }
  }

  /** Traces writes to page `gfn` (see `WriteTracing`); a mapping change for the listeners. */
  trace(gfn: number, tracer: WriteTracer): boolean {
    if (gfn * 4096 >= this.ram.length) return false;
    const list = this.#tracers.get(gfn);
    if (list === undefined) {
      this.#tracers.set(gfn, [tracer]);
      for (const l of this.#listeners) l();
    } else if (!list.includes(tracer)) list.push(tracer);
    return true;
  }

  /** Stops `tracer` tracing page `gfn`. */
  untrace(gfn: number, tracer: WriteTracer): void {
    const list = this.#tracers.get(gfn);
    if (list === undefined) return;
    const rest = list.filter((t) => t !== tracer);
    if (rest.length === 0) this.#tracers.delete(gfn);
    else this.#tracers.set(gfn, rest);
  }

  /** Routes ports `[base, base + size)` to `handler` (at offsets from `base`). */
  mapPorts(base: number, size: number, handler: IoHandler): void {
    for (let p = base; p < base + size; p++) this.#ports.set(p, { read: (o, w) => handler.read(o + p - base, w), write: (o, w, v) => handler.write(o + p - base, w, v) });
  }

  ioRead(port: number, width: AccessWidth): number {
    const h = this.#ports.get(port & 0xffff);
    return h === undefined ? allOnes(width) : h.read(0, width);
  }

  ioWrite(port: number, width: AccessWidth, value: number): void {
    this.#ports.get(port & 0xffff)?.write(0, width, value);
  }

  /** Opens or closes the A20 gate, telling the listeners. */
  setA20(enabled: boolean): void {
    this.a20Mask = enabled ? 0xffff_ffff : 0xffef_ffff;
    for (const l of this.#listeners) l();
  }

  onMappingChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
