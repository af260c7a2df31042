import { bytesField, type StateRecord, type StateValue } from '@popek/core';
import { deviceConformanceChecks, describeDeviceConformance, type DeviceTestContext } from '@popek/testing';
import { describe, expect, it } from 'vitest';
import { RtcCmos } from './rtc-cmos.js';

// MC146818A register indexes and register B bits (datasheet, "Register B").
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
/** The register B bits the RESET pin clears: PIE, AIE, UIE and SQWE (datasheet, "RESET"). */
const B_CLEARED_BY_RESET = 0x40 | 0x20 | 0x10 | 0x08;

/**
 * What the RESET pin of the MC146818A defines, and nothing else. A machine reset drives RESET,
 * which clears PIE, AIE, UIE, SQWE and the flags of register C and floats IRQ (datasheet,
 * "RESET"); everything below lives on the battery and survives it, so it is left out:
 * - `cmos` bytes 0–9 (time, calendar, alarms) and 14–127 (the NVRAM): battery-backed RAM, "RESET
 *   does not affect the clock, calendar or RAM functions";
 * - register A (DV2–0, RS3–0): "not affected by RESET";
 * - register B's SET, DM, 24/12 and DSE bits: not in RESET's list (only its four enables are);
 * - `index`: the address latch of the chip (port 70h bits 6–0), not in RESET's list;
 * - `nextUpdateNs` and `dividerOriginNs`: the phase of the divider chain, which runs from the
 *   battery-backed 32.768 kHz oscillator and is reset only through register A's DV bits, so the
 *   next update cycle stays where it was;
 * - `periodSeen`: the last periodic-interrupt period counted from that same divider origin, so it
 *   follows guest time across a reset as the divider does.
 * Kept and compared: register B's four enables, registers C and D, the NMI-disable bit and the
 * IRQ level.
 */
function resetDefinedState(state: StateValue): StateValue {
  const cmos = bytesField(state, 'cmos');
  const {
    cmos: _cmos,
    index: _index,
    nextUpdateNs: _nextUpdateNs,
    dividerOriginNs: _dividerOriginNs,
    periodSeen: _periodSeen,
    ...rest
  } = state as StateRecord;
  return { ...rest, regB: cmos[REG_B]! & B_CLEARED_BY_RESET, regC: cmos[REG_C]!, regD: cmos[REG_D]! };
}

const create = (ctx: DeviceTestContext): RtcCmos => new RtcCmos(ctx.clock, ctx.metrics, { memoryBytes: 128 * 1024 * 1024 });

describeDeviceConformance('RtcCmos', create, { resetInvariant: resetDefinedState });

describe('the RTC reset invariant', () => {
  it('still catches a reset that leaves an interrupt enabled or a flag set', () => {
    /** An RTC whose RESET pin does nothing. */
    class RtcWithoutReset extends RtcCmos {
      override reset(): void {}
    }
    const checks = deviceConformanceChecks((ctx) => new RtcWithoutReset(ctx.clock, ctx.metrics, { memoryBytes: 128 * 1024 * 1024 }), {
      resetInvariant: resetDefinedState,
    });
    expect(() => checks.reset()).toThrow();
  });
});
