import { encodeState, type StateRecord, type StateValue } from '@popek/core';
import { attachForTest, createDeviceTestContext, describeDeviceConformance, type DeviceTestContext } from '@popek/testing';
import { describe, expect, it } from 'vitest';
import { AcpiPm } from './acpi-pm.js';

const create = (ctx: DeviceTestContext): AcpiPm => new AcpiPm(ctx.clock, ctx.power, ctx.metrics, ctx.events);

/**
 * Leaves out `timerPeriodSeen`, the bit-23 period of the PM timer at which TMR_STS was last set or
 * cleared. The PM timer is a free-running 3.579545 MHz counter (ACPI 6.5 §4.8.3.3): a machine
 * reset does not restart it (here it counts from guest time 0, as in QEMU), so a reset records the
 * period the timer is in *now* — not 0 — lest TMR_STS be raised for rollovers from before the
 * reset. The value follows guest time, not the registers; everything else is compared.
 */
function resetDefinedState(state: StateValue): StateValue {
  const { timerPeriodSeen: _timerPeriodSeen, ...registers } = state as StateRecord;
  return registers;
}

describeDeviceConformance('AcpiPm', create, { resetInvariant: resetDefinedState });

describe('AcpiPm reset, more than one TMR_STS period into guest time', () => {
  it('differs from power-on only in the period bookkeeping of the free-running PM timer', () => {
    const fresh = (): AcpiPm => {
      const pm = create(createDeviceTestContext());
      attachForTest(pm);
      pm.reset();
      return pm;
    };
    const ctx = createDeviceTestContext();
    const pm = create(ctx);
    attachForTest(pm);
    pm.reset();
    // 2^23 ticks at 3.579545 MHz is about 2.34 s: three seconds crosses a bit-23 period.
    ctx.advance(3e9);
    pm.reset();
    const after = pm.saveState() as StateRecord;
    const powerOn = fresh().saveState() as StateRecord;
    expect(after['timerPeriodSeen']).toBe(1);
    expect(powerOn['timerPeriodSeen']).toBe(0);
    expect(encodeState(resetDefinedState(after))).toEqual(encodeState(resetDefinedState(powerOn)));
  });
});
