import { CoreClock, MetricsRegistry, SinkIrqLine, StateUpgrades, type IrqLine } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { Pic8259Pair } from './pic-8259-pair.js';
import { PIT_HZ, PIT_MAX_OWED_TICKS, PIT_STATE_UPGRADES, Pit8254 } from './pit-8254.js';

/** An IRQ line whose controller never acknowledges: what the PIT owes piles up. */
const neverAcknowledged = (): IrqLine => ({ level: false, raise() {}, lower() {}, pulse() {}, set() {}, onAcknowledge() {} });

const LATCH_250HZ = Math.floor((PIT_HZ + 125) / 250);
const PERIOD_NS = (LATCH_250HZ * 1e9) / PIT_HZ;

/**
 * A PIT and a PIC on a realtime clock whose host time the test moves, and a CPU that takes every
 * interrupt the PIC presents at once (INTA, then a non-specific EOI, as Linux's timer path does).
 */
function rig(options: { line?: (pic: Pic8259Pair) => IrqLine } = {}) {
  let hostMs = 0;
  const retired = { n: 0, retired: () => retired.n };
  const clock = new CoreClock({ mode: 'realtime' }, { now: () => hostMs });
  clock.setInstructionCounter(retired);
  clock.resume();
  const metrics = new MetricsRegistry();
  const pic = new Pic8259Pair(metrics);
  const pit = new Pit8254(clock, metrics);
  const line = options.line?.(pic) ?? new SinkIrqLine(pic, 0);
  pit.attach({ ports: {}, mmio: {}, irqs: { irq: line } });
  pit.reset();
  // Linux's init_8259A: ICW1–ICW4 on the master (vectors 0x20–0x27, slave on IR2), all unmasked.
  for (const [offset, value] of [[0, 0x11], [1, 0x20], [1, 0x04], [1, 0x01], [1, 0x00]] as const) pic.writePort(false, offset, value);
  // The clockevent's periodic mode: counter 0, mode 2, LSB then MSB.
  pit.writeCounterPort(3, 0x34);
  pit.writeCounterPort(0, LATCH_250HZ & 0xff);
  pit.writeCounterPort(0, LATCH_250HZ >> 8);
  let ticks = 0;
  const takeInterrupts = (): void => {
    while (pic.hasInterrupt()) {
      if (pic.acknowledge() === 0x20) ticks++;
      pic.writePort(false, 0, 0x20);
    }
  };
  takeInterrupts();
  ticks = 0;
  return {
    clock,
    pit,
    pic,
    metrics,
    ticks: () => ticks,
    /** Host time moves `ms` at once (the host fell behind), then timers fire and the CPU runs. */
    stall(ms: number): void {
      hostMs += ms;
      clock.runDue();
      takeInterrupts();
    },
    /** Host time moves `ms` in steps of `stepMs`, timers firing and the CPU running after each. */
    run(ms: number, stepMs: number): void {
      for (let t = 0; t < ms; t += stepMs) this.stall(stepMs);
    },
  };
}

describe('8254 when the host falls behind guest time (realtime)', () => {
  it('delivers every tick when its timer fires on time', () => {
    const r = rig();
    r.run(1000, 0.1);
    expect(r.ticks()).toBe(Math.floor(1e9 / PERIOD_NS));
    expect(r.metrics.value('pit.irq0-reinjected')).toBe(0);
  });

  it('raises IRQ 0 again after each acknowledge until the guest has seen the ticks a late timer merged', () => {
    const r = rig();
    r.run(20, 0.1);
    const before = r.ticks();
    r.stall(100); // 25 periods pass before the timer fires
    expect(r.pit.owedTicks).toBe(0);
    const after = r.ticks();
    expect(after - before).toBeGreaterThanOrEqual(24);
    expect(after - before).toBeLessThanOrEqual(26);
    r.run(880, 0.1);
    // Over the second, as many ticks as periods, however the host slept.
    expect(r.ticks()).toBe(Math.floor(1e9 / PERIOD_NS));
    expect(r.metrics.value('pit.irq0-reinjected')).toBeGreaterThanOrEqual(23);
  });

  it('keeps the owed ticks while the guest masks IRQ 0, and raises them once it unmasks', () => {
    const r = rig();
    r.run(10, 0.1);
    const before = r.ticks();
    r.pic.writePort(false, 1, 0x01); // OCW1: mask IRQ 0
    r.stall(40);
    expect(r.ticks()).toBe(before);
    const owed = r.pit.owedTicks;
    expect(owed).toBeGreaterThanOrEqual(8);
    r.pic.writePort(false, 1, 0x00);
    r.stall(0);
    // The request the PIC latched while masked, then one for each owed tick.
    expect(r.ticks()).toBe(before + 1 + owed);
    expect(r.pit.owedTicks).toBe(0);
  });

  it('owes at most PIT_MAX_OWED_TICKS after a very long stall', () => {
    const r = rig({ line: neverAcknowledged });
    r.stall(60_000);
    expect(r.pit.owedTicks).toBe(PIT_MAX_OWED_TICKS);
  });

  it('forgets owed ticks when the guest reprograms counter 0', () => {
    const r = rig({ line: neverAcknowledged });
    r.stall(100);
    expect(r.pit.owedTicks).toBeGreaterThan(20);
    r.pit.writeCounterPort(3, 0x34);
    expect(r.pit.owedTicks).toBe(0);
  });

  it('saves owed ticks in its state, and a version 1 state owes none', () => {
    const r = rig({ line: neverAcknowledged });
    r.stall(100);
    const owed = r.pit.owedTicks;
    const state = r.pit.saveState();
    const other = rig({ line: neverAcknowledged });
    other.pit.loadState(state);
    expect(other.pit.owedTicks).toBe(owed);
    const upgrades = new StateUpgrades();
    for (const u of PIT_STATE_UPGRADES) upgrades.register(u.stateType, u.from, u.upgrade);
    const { owedTicks: _, ...v1 } = state as Record<string, never>;
    other.pit.loadState(upgrades.upgrade(r.pit.stateType, 1, r.pit.stateVersion, v1));
    expect(other.pit.owedTicks).toBe(0);
  });
});
