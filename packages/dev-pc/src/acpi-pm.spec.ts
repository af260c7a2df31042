import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { AcpiPm, PM_TIMER_HZ, pmTimerTickAt } from './acpi-pm.js';

const PM1_STS = 0x600;
const PM1_EN = 0x602;
const PM1_CNT = 0x604;
const PM_TMR = 0x608;
const TMR_STS = 0x0001;
const PWRBTN_STS = 0x0100;
const WAK_STS = 0x8000;
const TMR_EN = 0x0001;
const PWRBTN_EN = 0x0100;
const SLP_EN = 0x2000;

function setup(h = new Harness()): { h: Harness; pm: AcpiPm; bus: PortBus } {
  const pm = new AcpiPm(h.clock, h.power, h.metrics, h.events);
  const bus = new PortBus();
  bus.attach(pm);
  pm.reset();
  return { h, pm, bus };
}

/** ACPICA acpi_hw_legacy_sleep(), restated for the register accesses it makes. */
function legacySleep(bus: PortBus, slpTypA: number): void {
  bus.out(PM1_STS, WAK_STS, 2); // clear WAK_STS
  let control = bus.in(PM1_CNT, 2);
  control &= ~(0x1c00 | SLP_EN);
  control |= slpTypA << 10;
  bus.out(PM1_CNT, control, 2); // write #1: SLP_TYP
  control |= SLP_EN;
  bus.out(PM1_CNT, control, 2); // write #2: SLP_TYP + SLP_EN
}

describe('ACPI PM driven like Linux', () => {
  it('reports SCI_EN (ACPI mode without SMI_CMD)', () => {
    const { bus } = setup();
    expect(bus.in(PM1_CNT, 2) & 1).toBe(1);
    bus.out(PM1_CNT, 0, 2);
    expect(bus.in(PM1_CNT, 2) & 1).toBe(1);
  });

  it('powers off on acpi_hw_legacy_sleep to S5 (SLP_TYP 0)', () => {
    const { h, bus } = setup();
    legacySleep(bus, 0);
    expect(h.power.powerOffs).toBe(1);
    expect(bus.in(PM1_CNT, 2) & SLP_EN).toBe(0); // SLP_EN is write-only
  });

  it('logs and ignores other sleep types', () => {
    const { h, bus } = setup();
    legacySleep(bus, 5);
    expect(h.power.powerOffs).toBe(0);
    expect(h.logs.length).toBe(1);
    expect(h.metrics.value('acpi.sleep-ignored')).toBe(1);
    expect((bus.in(PM1_CNT, 2) >> 10) & 7).toBe(5);
  });

  it('also powers off when SLP_EN comes in a byte write to the high byte', () => {
    const { h, bus } = setup();
    bus.out(PM1_CNT + 1, SLP_EN >> 8);
    expect(h.power.powerOffs).toBe(1);
  });

  it('counts the PM timer at 3.579545 MHz, 24 bits wide, read as a dword', () => {
    const { h, bus } = setup();
    h.advanceTo(1e9);
    expect(bus.in(PM_TMR, 4)).toBe(PM_TIMER_HZ);
    h.advanceTo(5e9);
    expect(bus.in(PM_TMR, 4)).toBe((5 * PM_TIMER_HZ) % 0x100_0000);
    expect(bus.in(PM_TMR + 3)).toBe(0);
    // acpi_pm_read_verified reads three times and expects monotonic values within the wrap.
    const a = bus.in(PM_TMR, 4);
    h.advance(1000);
    const b = bus.in(PM_TMR, 4);
    expect((b - a) & 0xffffff).toBe(pmTimerTickAt(h.now) - pmTimerTickAt(h.now - 1000));
  });

  it('sets TMR_STS when bit 23 flips and raises the SCI only with TMR_EN', () => {
    const { h, bus } = setup();
    const sci = bus.line('sci');
    const flipNs = Math.ceil(((1 << 23) * 1e9) / PM_TIMER_HZ);
    h.advanceTo(flipNs - 1);
    expect(bus.in(PM1_STS, 2) & TMR_STS).toBe(0);
    h.advanceTo(flipNs + 1);
    expect(bus.in(PM1_STS, 2) & TMR_STS).toBe(TMR_STS);
    expect(sci.level).toBe(false);
    bus.out(PM1_STS, TMR_STS, 2); // write one to clear
    expect(bus.in(PM1_STS, 2) & TMR_STS).toBe(0);
    bus.out(PM1_EN, TMR_EN, 2);
    h.advanceTo(2 * flipNs + 1);
    expect(sci.level).toBe(true);
    bus.out(PM1_STS, TMR_STS, 2);
    expect(sci.level).toBe(false);
  });

  it('raises the SCI for the power button when enabled, until the status is cleared', () => {
    const { bus, pm } = setup();
    const sci = bus.line('sci');
    pm.pressPowerButton();
    expect(bus.in(PM1_STS, 2) & PWRBTN_STS).toBe(PWRBTN_STS);
    expect(sci.level).toBe(false);
    bus.out(PM1_EN, PWRBTN_EN, 2); // the ACPI button driver enables the fixed event
    expect(sci.level).toBe(true);
    bus.out(PM1_STS + 1, PWRBTN_STS >> 8); // byte-wide W1C of the high byte
    expect(sci.level).toBe(false);
    expect(bus.in(PM1_EN, 2)).toBe(PWRBTN_EN);
  });
});

describe('ACPI PM against a hostile guest', () => {
  it('survives random traffic at every offset and width', () => {
    const { h, bus, pm } = setup();
    fuzzPorts(bus, 20_000, 600, () => h.advance(10_007));
    expect(encoded(pm).length).toBeLessThan(256);
  });
});

describe('ACPI PM snapshot and reset', () => {
  it('restores registers and the armed TMR_STS timer with an identical encoding', () => {
    const a = setup();
    a.bus.out(PM1_EN, TMR_EN | PWRBTN_EN, 2);
    a.h.advance(3e9);
    a.bus.out(PM1_STS, TMR_STS, 2);
    a.pm.pressPowerButton();
    const clockState = a.h.clock.saveState();
    const saved = a.pm.saveState();
    const b = setup();
    b.pm.loadState(saved);
    b.h.clock.loadState(clockState);
    b.h.cpu.count = a.h.cpu.count;
    expect(encoded(b.pm)).toEqual(encoded(a.pm));
    expect(b.h.clock.nextDeadlineNs()).toBe(a.h.clock.nextDeadlineNs());
    expect(b.bus.line('sci').level).toBe(true);
    a.h.advance(5e9);
    b.h.advance(5e9);
    expect(b.bus.in(PM1_STS, 2)).toBe(a.bus.in(PM1_STS, 2));
    expect(b.bus.in(PM_TMR, 4)).toBe(a.bus.in(PM_TMR, 4));
  });

  it('returns its registers to power-on values and lowers the SCI on reset', () => {
    const { bus, pm } = setup();
    const powerOn = encoded(pm);
    bus.out(PM1_EN, PWRBTN_EN, 2);
    pm.pressPowerButton();
    pm.reset();
    expect(encoded(pm)).toEqual(powerOn);
    expect(bus.line('sci').level).toBe(false);
  });
});
