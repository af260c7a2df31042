import {
  PhysicalBus,
  PowerControl,
  SliceExit,
  arrayField,
  inject,
  injectable,
  numberField,
  type AccessWidth,
  type Processor,
  type StateValue,
} from '@popek/core';

/** One step of a {@link ScriptedProcessor}'s program; each counts as one instruction. */
export type ScriptStep =
  | {
      /** Write a port. */
      readonly op: 'out';
      /** The port. */
      readonly port: number;
      /** The value. */
      readonly value: number;
      /** Access width (default 1). */
      readonly width?: AccessWidth;
    }
  | {
      /** Read a port into {@link ScriptedProcessor.reads}. */
      readonly op: 'in';
      /** The port. */
      readonly port: number;
      /** Access width (default 1). */
      readonly width?: AccessWidth;
    }
  | {
      /** Do nothing (`nop`), halt until woken (`hlt`), or request power-off (`poweroff`). */
      readonly op: 'nop' | 'hlt' | 'poweroff';
    };

/**
 * A processor for device tests that executes a script of port accesses instead of x86 code:
 * each step is one "instruction", so deterministic time advances with it. The values read by
 * `in` steps are collected in {@link ScriptedProcessor.reads}. At the end of the script it halts.
 */
@injectable()
export class ScriptedProcessor implements Processor {
  readonly snapshotId = 'cpu0';
  readonly stateType = '@popek/testing:ScriptedProcessor';
  readonly stateVersion = 1;
  /** Values returned by `in` steps, in order. */
  readonly reads: number[] = [];
  #script: readonly ScriptStep[] = [];
  #pc = 0;
  #retired = 0;
  #halted = false;
  #exit = false;

  /**
   * @param bus - where port accesses go
   * @param power - for the `poweroff` step
   */
  constructor(
    @inject(PhysicalBus) private readonly bus: PhysicalBus,
    @inject(PowerControl) private readonly power: PowerControl,
  ) {}

  /** Replaces the program and un-halts the processor. */
  load(script: readonly ScriptStep[]): void {
    this.#script = script;
    this.#pc = 0;
    this.#halted = false;
  }

  /** Un-halts a processor halted by an `hlt` step (as an interrupt would). */
  wake(): void {
    this.#halted = false;
  }

  get halted(): boolean {
    return this.#halted;
  }

  retired(): number {
    return this.#retired;
  }

  runSlice(maxInstructions: number): SliceExit {
    this.#exit = false;
    for (let i = 0; i < maxInstructions; i++) {
      if (this.#halted) return SliceExit.Halted;
      const step = this.#script[this.#pc];
      if (step === undefined) {
        this.#halted = true;
        return SliceExit.Halted;
      }
      this.#pc++;
      this.#retired++;
      switch (step.op) {
        case 'out':
          this.bus.ioWrite(step.port, step.width ?? 1, step.value);
          break;
        case 'in':
          this.reads.push(this.bus.ioRead(step.port, step.width ?? 1));
          break;
        case 'hlt':
          this.#halted = true;
          break;
        case 'poweroff':
          this.power.powerOff();
          break;
        case 'nop':
          break;
      }
      if (this.#exit) return SliceExit.Requested;
    }
    return SliceExit.Budget;
  }

  reset(): void {
    this.#pc = 0;
    this.#halted = false;
  }

  requestExit(): void {
    this.#exit = true;
  }

  saveState(): StateValue {
    return { pc: this.#pc, retired: this.#retired, halted: this.#halted, reads: this.reads.slice() };
  }

  loadState(state: StateValue): void {
    this.#pc = numberField(state, 'pc');
    this.#retired = numberField(state, 'retired');
    this.#halted = state !== null && (state as { halted?: unknown }).halted === true;
    this.reads.length = 0;
    for (const v of arrayField(state, 'reads')) this.reads.push(v as number);
  }
}
