import type { IrqLine, IrqSink } from '@popek/core';
import { serviceId } from '@popek/core';

/** Number of ISA interrupt lines (IRQ0–IRQ15 of the PIC pair). */
export const ISA_IRQ_COUNT = 16;
/** Number of PCI interrupt lines into the PIIX3 router (PIRQA#–PIRQD#). */
export const PIRQ_COUNT = 4;

/**
 * Finds the machine's interrupt controller inputs when the bus first needs them (while devices
 * are attached), not when the bus is constructed: the PIC may itself depend on services the bus
 * provides, and resolving it lazily keeps the container free of cycles.
 */
export interface IrqSinkProvider {
  /** The interrupt controller's inputs, or `undefined` when the machine has none. */
  get(): IrqSink | undefined;
}

/** The bus's way to the `IrqSink` (the bus module binds it to a lazy container lookup). */
export const IrqSinkProvider = serviceId<IrqSinkProvider>('@popek/bus:IrqSinkProvider');

/** Drives nothing: the sink of a machine without an interrupt controller. */
const NO_SINK: IrqSink = { setIrq: () => undefined };

/**
 * The interrupt wiring between devices and the PIC: a level-triggered, shared-line model.
 *
 * Every interrupt source (an ISA device's line, a PCI function's INTx#) has a level. A PIRQ is
 * the wired-OR of the INTx# sources swizzled onto it; an ISA IRQ is the OR of the ISA sources on
 * it and of the asserted PIRQs the PIIX3 routes to it. The sink is told only when an ISA IRQ's
 * level changes, so an edge-triggered device's pulse is one rising and one falling edge, and a
 * line that another source holds high shows no edge — as on the real wire.
 */
export class IrqRouter {
  readonly #provider: IrqSinkProvider;
  #sink: IrqSink = NO_SINK;
  #resolved = false;
  readonly #irqCount = new Int32Array(ISA_IRQ_COUNT);
  readonly #pirqCount = new Int32Array(PIRQ_COUNT);
  readonly #pirqRoute = new Int8Array(PIRQ_COUNT).fill(-1);
  #levels = new Uint8Array(16);
  /** Per source: the ISA IRQ (0–15) or 16 + the PIRQ it drives. */
  #targets = new Uint8Array(16);
  #sources = 0;

  /** @param provider - where the interrupt controller's inputs are found */
  constructor(provider: IrqSinkProvider) {
    this.#provider = provider;
  }

  /** Resolves the interrupt controller now (idempotent; the bus calls it at build). */
  resolveSink(): void {
    if (this.#resolved) return;
    this.#resolved = true;
    this.#sink = this.#provider.get() ?? NO_SINK;
  }

  /** Number of sources. */
  get sourceCount(): number {
    return this.#sources;
  }

  /** Adds a source that drives ISA IRQ `irq` (0–15) and returns its id. */
  addIsaSource(irq: number): number {
    if (!Number.isInteger(irq) || irq < 0 || irq >= ISA_IRQ_COUNT) throw new RangeError(`ISA IRQ ${irq} does not exist`);
    return this.#add(irq);
  }

  /** Adds a source that drives PIRQ `pirq` (0–3 for A–D) and returns its id. */
  addPirqSource(pirq: number): number {
    if (!Number.isInteger(pirq) || pirq < 0 || pirq >= PIRQ_COUNT) throw new RangeError(`PIRQ ${pirq} does not exist`);
    return this.#add(ISA_IRQ_COUNT + pirq);
  }

  #add(target: number): number {
    this.resolveSink();
    const id = this.#sources++;
    if (id >= this.#levels.length) {
      const levels = new Uint8Array(this.#levels.length * 2);
      levels.set(this.#levels);
      this.#levels = levels;
      const targets = new Uint8Array(this.#targets.length * 2);
      targets.set(this.#targets);
      this.#targets = targets;
    }
    this.#targets[id] = target;
    return id;
  }

  /**
   * Calls `callback` each time the interrupt controller acknowledges ISA IRQ `irq` (nothing
   * happens when the controller cannot tell).
   */
  onAcknowledge(irq: number, callback: () => void): void {
    this.resolveSink();
    this.#sink.onAcknowledge?.(irq, callback);
  }

  /** The level source `id` drives. */
  sourceLevel(id: number): boolean {
    return this.#levels[id] === 1;
  }

  /** Sets the level of source `id` (the hot path of every interrupt). */
  setSource(id: number, level: boolean): void {
    const l = level ? 1 : 0;
    if (this.#levels[id] === l) return;
    this.#levels[id] = l;
    const delta = level ? 1 : -1;
    const target = this.#targets[id]!;
    if (target < ISA_IRQ_COUNT) {
      this.#adjust(target, delta);
      return;
    }
    const pirq = target - ISA_IRQ_COUNT;
    const before = this.#pirqCount[pirq]!;
    const after = before + delta;
    this.#pirqCount[pirq] = after;
    if (before === 0 || after === 0) {
      const irq = this.#pirqRoute[pirq]!;
      if (irq >= 0) this.#adjust(irq, delta);
    }
  }

  /** Routes PIRQ `pirq` to ISA IRQ `irq`, or disconnects it (`irq` = -1). */
  setPirqRoute(pirq: number, irq: number): void {
    const old = this.#pirqRoute[pirq]!;
    if (old === irq) return;
    this.#pirqRoute[pirq] = irq;
    if (this.#pirqCount[pirq]! > 0) {
      if (old >= 0) this.#adjust(old, -1);
      if (irq >= 0) this.#adjust(irq, 1);
    }
  }

  /** The ISA IRQ PIRQ `pirq` is routed to, or -1. */
  pirqRoute(pirq: number): number {
    return this.#pirqRoute[pirq]!;
  }

  /** Whether ISA IRQ `irq` is asserted (by any source). */
  irqLevel(irq: number): boolean {
    return this.#irqCount[irq]! > 0;
  }

  /** Whether PIRQ `pirq` is asserted (by any INTx# wired to it). */
  pirqLevel(pirq: number): boolean {
    return this.#pirqCount[pirq]! > 0;
  }

  #adjust(irq: number, delta: number): void {
    const before = this.#irqCount[irq]!;
    const after = before + delta;
    this.#irqCount[irq] = after;
    if (before === 0) this.#sink.setIrq(irq, true);
    else if (after === 0) this.#sink.setIrq(irq, false);
  }

  /** Every source's level, by source id (a copy). */
  saveLevels(): Uint8Array {
    return this.#levels.slice(0, this.#sources);
  }

  /**
   * Restores source levels and PIRQ routes without telling the sink: the interrupt controller
   * restores its own input state from its own snapshot.
   *
   * @throws TypeError when `levels` does not have one entry per source
   */
  restore(levels: Uint8Array, routes: readonly number[]): void {
    if (levels.length !== this.#sources) throw new TypeError(`snapshot has ${levels.length} interrupt sources; this machine has ${this.#sources}`);
    this.#irqCount.fill(0);
    this.#pirqCount.fill(0);
    for (let p = 0; p < PIRQ_COUNT; p++) this.#pirqRoute[p] = routes[p] ?? -1;
    for (let id = 0; id < this.#sources; id++) {
      const l = levels[id] === 1 ? 1 : 0;
      this.#levels[id] = l;
      if (l === 0) continue;
      const target = this.#targets[id]!;
      if (target < ISA_IRQ_COUNT) this.#irqCount[target]!++;
      else this.#pirqCount[target - ISA_IRQ_COUNT]!++;
    }
    for (let p = 0; p < PIRQ_COUNT; p++) {
      const irq = this.#pirqRoute[p]!;
      if (this.#pirqCount[p]! > 0 && irq >= 0) this.#irqCount[irq]!++;
    }
  }
}

/**
 * An ISA device's interrupt line: drives one source of the {@link IrqRouter}. Allocation-free and
 * closure-free on every call.
 */
export class RoutedIrqLine implements IrqLine {
  /**
   * @param router - the router
   * @param source - the source id the line drives
   * @param line - the ISA IRQ number, for inspection
   */
  constructor(
    private readonly router: IrqRouter,
    private readonly source: number,
    readonly line: number,
  ) {}

  get level(): boolean {
    return this.router.sourceLevel(this.source);
  }

  raise(): void {
    this.router.setSource(this.source, true);
  }

  lower(): void {
    this.router.setSource(this.source, false);
  }

  pulse(): void {
    this.router.setSource(this.source, true);
    this.router.setSource(this.source, false);
  }

  set(level: boolean): void {
    this.router.setSource(this.source, level);
  }

  onAcknowledge(callback: () => void): void {
    this.router.onAcknowledge(this.line, callback);
  }
}
