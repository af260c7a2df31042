import { serviceId } from '../service-id.js';

/**
 * One interrupt request line, as a device sees it: it can drive the line high or low, nothing
 * else. A device never looks up the interrupt controller; the machine hands it its lines.
 *
 * Level-triggered devices raise while the condition holds and lower when it clears; an
 * edge-triggered device raises then lowers (`pulse`).
 */
export interface IrqLine {
  /** Drives the line high (asserted). */
  raise(): void;
  /** Drives the line low (deasserted). */
  lower(): void;
  /** Raises and lowers the line: one edge. */
  pulse(): void;
  /** Drives the line to `level`. */
  set(level: boolean): void;
  /** The level the device last drove. */
  readonly level: boolean;
  /**
   * Calls `callback` each time the interrupt controller acknowledges a request of this line
   * (the CPU's INTA cycle, or a poll). A timer that fell behind the host re-raises a tick it
   * would otherwise have merged there, as KVM's PIT does. Lines that cannot tell never call it.
   */
  onAcknowledge?(callback: () => void): void;
}

/**
 * What IRQ lines are wired to: an interrupt controller's inputs (the PIC pair, an I/O APIC, a
 * PCI interrupt router). The bus builds {@link IrqLine}s that forward to a sink.
 */
export interface IrqSink {
  /** Sets input `line` of the controller to `level`. */
  setIrq(line: number, level: boolean): void;
  /** Calls `callback` each time the controller acknowledges a request of input `line`. */
  onAcknowledge?(line: number, callback: () => void): void;
}

/** An {@link IrqLine} that drives input `line` of `sink`. */
export class SinkIrqLine implements IrqLine {
  #level = false;

  /**
   * @param sink - the controller the line is wired to
   * @param line - the controller input
   */
  constructor(
    private readonly sink: IrqSink,
    readonly line: number,
  ) {}

  get level(): boolean {
    return this.#level;
  }

  raise(): void {
    this.set(true);
  }

  lower(): void {
    this.set(false);
  }

  pulse(): void {
    this.set(true);
    this.set(false);
  }

  set(level: boolean): void {
    this.#level = level;
    this.sink.setIrq(this.line, level);
  }

  onAcknowledge(callback: () => void): void {
    this.sink.onAcknowledge?.(this.line, callback);
  }
}

/** An IRQ line connected to nothing, for devices whose interrupt is not wired. */
export class DisconnectedIrqLine implements IrqLine {
  /** The level the device last drove (kept so the device can read it back). */
  level = false;

  raise(): void {
    this.level = true;
  }

  lower(): void {
    this.level = false;
  }

  pulse(): void {
    this.level = false;
  }

  set(level: boolean): void {
    this.level = level;
  }
}

/**
 * The machine's interrupt controller inputs (the PIC pair binds itself here); the bus wires
 * device IRQ lines to it.
 */
export const IrqSink = serviceId<IrqSink>('@popek/core:IrqSink');
