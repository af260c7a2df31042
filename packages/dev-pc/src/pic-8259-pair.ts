import {
  Metrics,
  PopekError,
  field,
  inject,
  injectable,
  optional,
  type Counter,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type InterruptController,
  type IrqSink,
  type MetricsRegistry,
  type StateValue,
} from '@popek/core';
import { ByteRegisterWindow } from './byte-register-window.js';
import type { ElcrControl } from './elcr-control.js';
import { Pic8259Chip } from './pic-8259-chip.js';
import { PicOptions } from './pic-options.js';

/** Master 8259A command/data ports (PC/AT I/O map). */
export const PIC_MASTER_BASE = 0x20;
/** Slave 8259A command/data ports. */
export const PIC_SLAVE_BASE = 0xa0;
/** ELCR1/ELCR2: edge/level control of IRQ 0–7 and 8–15 (PIIX4 datasheet §3.6.1, ports 4D0h–4D1h). */
export const PIC_ELCR_BASE = 0x4d0;
/** The master input the slave's INT is wired to on a PC. */
export const PIC_CASCADE_IR = 2;
/** ELCR1 bits that exist: IRQ 0, 1 and 2 are always edge-triggered (PIIX4 §3.6.1). */
const ELCR1_MASK = 0xf8;
/** ELCR2 bits that exist: IRQ 8 and 13 are always edge-triggered. */
const ELCR2_MASK = 0xde;
const CASCADE_BIT = 1 << PIC_CASCADE_IR;
/** The IR a spurious INTA cycle reports (datasheet: "the 8259A will issue an IR7"). */
const SPURIOUS_IR = 7;

/** The registers of one chip as the guest reaches them (A0 selects command or data port). */
class PicPortWindow extends ByteRegisterWindow {
  constructor(
    private readonly pair: Pic8259Pair,
    private readonly slave: boolean,
  ) {
    super(2);
  }

  protected readByte(offset: number): number {
    return this.pair.readPort(this.slave, offset);
  }

  protected writeByte(offset: number, value: number): void {
    this.pair.writePort(this.slave, offset, value);
  }
}

/** ELCR1 (offset 0) and ELCR2 (offset 1). */
class ElcrWindow extends ByteRegisterWindow {
  constructor(private readonly pair: Pic8259Pair) {
    super(2);
  }

  protected readByte(offset: number): number {
    return offset === 0 ? this.pair.master.elcr : this.pair.slave.elcr;
  }

  protected writeByte(offset: number, value: number): void {
    this.pair.writeElcr(offset, value);
  }
}

/**
 * The PC's cascaded pair of Intel 8259A interrupt controllers: the master at 0x20–0x21 with the
 * slave's INT on its IR2, the slave at 0xA0–0xA1, and the PIIX-style ELCR at 0x4D0–0x4D1.
 *
 * Devices' IRQ lines arrive through {@link setIrq} (the bus wires `IrqLine`s to it); the CPU asks
 * {@link hasInterrupt}, which is a cached flag, and runs the INTA cycle with {@link acknowledge}.
 * It supports everything Linux's `i8259.c` uses — ICW1–ICW4 with the cascade on IR2, AEOI,
 * specific and non-specific EOI, rotation, OCW3 register reads and poll, special mask mode —
 * and delivers IR7/IR15 for a spurious INTA cycle as the hardware does.
 */
@injectable()
export class Pic8259Pair implements Device, InterruptController, IrqSink, ElcrControl {
  readonly id = 'pic';
  readonly snapshotId = 'pic';
  readonly stateType = '@popek/dev-pc:Pic8259Pair';
  readonly stateVersion = 1;

  /** The master 8259A (IRQ 0–7). */
  readonly master = new Pic8259Chip(ELCR1_MASK);
  /** The slave 8259A (IRQ 8–15). */
  readonly slave = new Pic8259Chip(ELCR2_MASK);

  /** Cached INT output of the master: what {@link hasInterrupt} returns. */
  #output = false;
  /** The power-on ELCR (16 bits) the profile chose. */
  #defaultElcr = 0;
  readonly #delivered: Counter[] = [];
  readonly #spurious: Counter;
  readonly #badLine: Counter;
  /** Per IRQ, what to call when a request of it is acknowledged (registered at build). */
  readonly #onAck: ((() => void)[] | undefined)[] = [];
  readonly #masterWindow = new PicPortWindow(this, false);
  readonly #slaveWindow = new PicPortWindow(this, true);
  readonly #elcrWindow = new ElcrWindow(this);

  /**
   * @param metrics - the machine's metrics registry
   * @param options - the IRQs that are level-triggered at power-on (PCI interrupts)
   * @throws `PopekError` (`invalid-options`) for an IRQ outside 0–15 or one that is always
   *   edge-triggered
   */
  constructor(@inject(Metrics) metrics: MetricsRegistry, @inject(PicOptions) @optional() options?: PicOptions) {
    for (const irq of options?.levelTriggeredIrqs ?? []) {
      const bit = Number.isInteger(irq) && irq >= 0 && irq < 16 ? 1 << irq : 0;
      if ((bit & (ELCR1_MASK | (ELCR2_MASK << 8))) === 0) {
        throw new PopekError('invalid-options', `ISA IRQ ${String(irq)} cannot be level-triggered; only IRQ 3–7, 9–12, 14 and 15 can.`);
      }
      this.#defaultElcr |= bit;
    }
    for (let irq = 0; irq < 16; irq++) {
      this.#delivered.push(metrics.counter('pic.interrupts', 'Interrupts delivered to the CPU, by IRQ', { irq: String(irq) }));
    }
    this.#spurious = metrics.counter('pic.spurious', 'INTA cycles with no request left (IR7 or IR15 delivered)');
    this.#badLine = metrics.counter('pic.bad-line', 'setIrq calls for a line outside 0–15 (ignored)');
    this.reset();
  }

  resources(): DeviceResources {
    return {
      ports: [
        { name: 'master', size: 2, base: PIC_MASTER_BASE, handler: this.#masterWindow },
        { name: 'slave', size: 2, base: PIC_SLAVE_BASE, handler: this.#slaveWindow },
        { name: 'elcr', size: 2, base: PIC_ELCR_BASE, handler: this.#elcrWindow },
      ],
    };
  }

  attach(_attachment: DeviceAttachment): void {
    // Fixed ports, no IRQ lines of its own: nothing to keep.
  }

  reset(): void {
    this.master.reset(this.#defaultElcr & 0xff);
    this.slave.reset(this.#defaultElcr >>> 8);
    this.#update();
  }

  // --- IrqSink -------------------------------------------------------------------------------

  /** Drives ISA IRQ `line` (0–15) to `level`. Other line numbers are counted and ignored. */
  setIrq(line: number, level: boolean): void {
    if (!(line >= 0 && line < 16) || (line | 0) !== line) {
      this.#badLine.value++;
      return;
    }
    if (line < 8) this.master.setPin(line, level === true);
    else this.slave.setPin(line - 8, level === true);
    this.#update();
  }

  /** Calls `callback` each time a request of IRQ `line` (0–15) is acknowledged by INTA or a poll. */
  onAcknowledge(line: number, callback: () => void): void {
    if (!(line >= 0 && line < 16) || (line | 0) !== line) throw new RangeError(`ISA IRQ ${line} does not exist (0–15)`);
    (this.#onAck[line] ??= []).push(callback);
  }

  /**
   * Tells whoever asked that IRQ `irq`'s request was acknowledged; nobody when `irq` is the
   * master's cascade input (a slave request that vanished), which is no device's.
   */
  #acknowledged(irq: number): void {
    if (irq === PIC_CASCADE_IR && !this.master.singleMode) return;
    const callbacks = this.#onAck[irq];
    if (callbacks !== undefined) for (const callback of callbacks) callback();
  }

  // --- InterruptController -------------------------------------------------------------------

  /** The cached INT output changes only when a line, a register or an INTA cycle changes it. */
  readonly eventDriven = true;

  hasInterrupt(): boolean {
    return this.#output;
  }

  acknowledge(): number {
    const ir = this.master.pendingIr(CASCADE_BIT);
    if (ir < 0) {
      // The request went away before INTA: the master answers with IR7 and sets no ISR bit.
      this.#spurious.value++;
      return this.master.vectorBase | SPURIOUS_IR;
    }
    this.master.acknowledge(ir);
    let vector: number;
    let irq = ir;
    if (ir === PIC_CASCADE_IR && !this.master.singleMode) {
      const slaveIr = this.slave.pendingIr(0);
      if (slaveIr < 0) {
        // The slave's request vanished: it answers IR7 (IRQ 15) while the master's IR2 is in
        // service, which is why Linux sends the master an EOI for a spurious IRQ 15.
        this.#spurious.value++;
        vector = this.slave.vectorBase | SPURIOUS_IR;
      } else {
        this.slave.acknowledge(slaveIr);
        this.#delivered[8 + slaveIr]!.value++;
        vector = this.slave.vectorBase | slaveIr;
        irq = 8 + slaveIr;
      }
    } else {
      this.#delivered[ir]!.value++;
      vector = this.master.vectorBase | ir;
    }
    this.#update();
    this.#acknowledged(irq);
    return vector;
  }

  // --- ElcrControl ---------------------------------------------------------------------------

  setLevelTriggered(line: number, levelTriggered: boolean): void {
    if (!(line >= 0 && line < 16) || (line | 0) !== line) throw new RangeError(`ISA IRQ ${line} does not exist (0–15)`);
    const bit = 1 << line;
    const next = levelTriggered ? this.#defaultElcr | bit : this.#defaultElcr & ~bit;
    this.#defaultElcr = next & (ELCR1_MASK | (ELCR2_MASK << 8));
    const chip = line < 8 ? this.master : this.slave;
    const chipBit = 1 << (line & 7);
    chip.setElcr(levelTriggered ? chip.elcr | chipBit : chip.elcr & ~chipBit);
    this.#update();
  }

  isLevelTriggered(line: number): boolean {
    if (!(line >= 0 && line < 16)) return false;
    const chip = line < 8 ? this.master : this.slave;
    return (chip.levelMask & (1 << (line & 7))) !== 0;
  }

  // --- Port access (from the windows) --------------------------------------------------------

  /** A guest read of the command (offset 0) or data (offset 1) port of one chip. */
  readPort(slave: boolean, offset: number): number {
    const chip = slave ? this.slave : this.master;
    const polled = chip.pollPending;
    const cascadeBit = slave ? 0 : CASCADE_BIT;
    const value = offset === 0 ? chip.readCommand(cascadeBit) : chip.readData(cascadeBit);
    if (polled) {
      // A poll acknowledges like INTA. Polling the slave directly bypasses the master, so the
      // cascade request it latched is withdrawn as well (else a spurious IRQ 15 would follow).
      if (slave && (value & 0x80) !== 0 && (this.master.levelMask & CASCADE_BIT) === 0) this.master.irr &= ~CASCADE_BIT;
      this.#update();
      if ((value & 0x80) !== 0) this.#acknowledged((slave ? 8 : 0) + (value & 7));
    }
    return value;
  }

  /** A guest write to the command (offset 0) or data (offset 1) port of one chip. */
  writePort(slave: boolean, offset: number, value: number): void {
    const chip = slave ? this.slave : this.master;
    if (offset === 0) chip.writeCommand(value);
    else chip.writeData(value);
    this.#update();
  }

  /** A guest write to ELCR1 (offset 0) or ELCR2 (offset 1). */
  writeElcr(offset: number, value: number): void {
    (offset === 0 ? this.master : this.slave).setElcr(value);
    this.#update();
  }

  /** Recomputes the slave's INT (the master's IR2 input) and the master's INT output. */
  #update(): void {
    const slaveInt = this.slave.pendingIr(0) >= 0;
    if (slaveInt !== ((this.master.pins & CASCADE_BIT) !== 0)) this.master.setPin(PIC_CASCADE_IR, slaveInt);
    this.#output = this.master.pendingIr(CASCADE_BIT) >= 0;
  }

  // --- Snapshot ------------------------------------------------------------------------------

  saveState(): StateValue {
    return { master: this.master.saveState(), slave: this.slave.saveState() };
  }

  loadState(state: StateValue): void {
    this.master.loadState(field(state, 'master'));
    this.slave.loadState(field(state, 'slave'));
    this.#update();
  }
}
