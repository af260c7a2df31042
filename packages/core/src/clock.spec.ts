import { describe, expect, it } from 'vitest';
import { CoreClock, REALTIME_MIN_SLICE } from './clock.js';

function counter(): { retired: () => number; n: number } {
  const c = { n: 0, retired: () => c.n };
  return c;
}

describe('deterministic clock', () => {
  it('advances with retired instructions only', () => {
    const clock = new CoreClock({ mode: 'deterministic', instructionsPerSecond: 1e9 }, { now: () => { throw new Error('host time read'); } });
    const cpu = counter();
    clock.setInstructionCounter(cpu);
    expect(clock.nowNs()).toBe(0);
    cpu.n = 1500;
    expect(clock.nowNs()).toBe(1500);
  });

  it('fires timers in deadline order, lets callbacks re-arm, and bounds slices to the next deadline', () => {
    const clock = new CoreClock({ mode: 'deterministic', instructionsPerSecond: 1e8 });
    const cpu = counter();
    clock.setInstructionCounter(cpu);
    const log: string[] = [];
    const a = clock.createTimer('a', (now) => {
      log.push(`a@${now}`);
      if (log.length < 3) clock.armIn(a, 100);
    });
    const b = clock.createTimer('b', (now) => log.push(`b@${now}`));
    clock.arm(b, 150);
    clock.arm(a, 100);
    expect(clock.instructionsUntilNextDeadline()).toBe(10);
    cpu.n = 10;
    clock.runDue();
    cpu.n = 20;
    clock.runDue();
    expect(log).toEqual(['a@100', 'b@200', 'a@200']);
    expect(() => clock.createTimer('a', () => {})).toThrow(/already exists/);
  });

  it('skips idle time to the next deadline when the CPU halts', () => {
    const clock = new CoreClock({ mode: 'deterministic' });
    const cpu = counter();
    clock.setInstructionCounter(cpu);
    let fired = -1;
    const t = clock.createTimer('t', (now) => (fired = now));
    clock.arm(t, 5_000_000);
    expect(clock.idle()).toBe(0);
    expect(clock.nowNs()).toBe(5_000_000);
    clock.runDue();
    expect(fired).toBe(5_000_000);
    expect(clock.idle()).toBe(Infinity);
  });

  it('restores time and armed timers from a snapshot, whatever the restore order', () => {
    const make = (): [CoreClock, ReturnType<typeof counter>] => {
      const c = new CoreClock({ mode: 'deterministic' });
      const cpu = counter();
      c.setInstructionCounter(cpu);
      c.createTimer('pit', () => {});
      return [c, cpu];
    };
    const [a, cpuA] = make();
    cpuA.n = 1234;
    a.arm(a['createTimer']('rtc', () => {}), 99_999);
    const saved = a.saveState();
    const b = new CoreClock({ mode: 'deterministic' });
    const cpuB = counter();
    b.setInstructionCounter(cpuB);
    b.createTimer('pit', () => {});
    b.createTimer('rtc', () => {});
    b.loadState(saved);
    cpuB.n = 1234; // the CPU restores its count after the clock
    expect(b.nowNs()).toBe(a.nowNs());
    expect(b.nextDeadlineNs()).toBe(99_999);
    expect(b.saveState()).toEqual(saved);
  });
});

describe('realtime clock', () => {
  it('follows host time while running and stands still while paused', () => {
    let host = 1000;
    const clock = new CoreClock({ mode: 'realtime' }, { now: () => host });
    expect(clock.nowNs()).toBe(0);
    clock.resume();
    host += 2;
    expect(clock.nowNs()).toBe(2e6);
    clock.pause();
    host += 50;
    expect(clock.nowNs()).toBe(2e6);
    clock.resume();
    host += 1;
    expect(clock.nowNs()).toBe(3e6);
    const t = clock.createTimer('t', () => {});
    clock.armIn(t, 4e6);
    expect(clock.idle()).toBe(4);
  });
});

describe('realtime clock slices', () => {
  /** A realtime clock on a fake host whose CPU retires `rate` instructions per host ns. */
  function realtime(rate: number) {
    let hostMs = 0;
    const cpu = counter();
    const clock = new CoreClock({ mode: 'realtime', instructionsPerSecond: 1e8 }, { now: () => hostMs });
    clock.setInstructionCounter(cpu);
    clock.resume();
    const r = {
      rate,
      /** A slice of `instructions`, of which the CPU runs `ran` (all by default), `stallMs` more on the host. */
      slice(instructions: number, ran = instructions, stallMs = 0): void {
        clock.sliceStarted(instructions);
        cpu.n += ran;
        hostMs += ran / r.rate / 1e6 + stallMs;
        clock.sliceEnded();
      },
      advanceHost: (ms: number) => (hostMs += ms),
    };
    return { clock, cpu, r };
  }

  it('sizes a slice by the rate the CPU has run at, so it ends near the next deadline', () => {
    const { clock, r } = realtime(0.5);
    const t = clock.createTimer('tick', () => {});
    expect(clock.instructionsUntilNextDeadline()).toBe(Infinity);
    // Before any slice is measured, the configured rate (100 MIPS) is assumed.
    clock.armIn(t, 1e6);
    expect(Math.abs(clock.instructionsUntilNextDeadline() - 100_000)).toBeLessThanOrEqual(1);
    for (let i = 0; i < 40; i++) r.slice(200_000);
    expect(clock.instructionsPerNs).toBeCloseTo(0.5, 3);
    clock.runDue();
    clock.armIn(t, 4e6);
    expect(clock.instructionsUntilNextDeadline()).toBeGreaterThan(1_990_000);
    expect(clock.instructionsUntilNextDeadline()).toBeLessThan(2_010_000);
  });

  it('never sizes a slice below REALTIME_MIN_SLICE, even for a deadline that has passed', () => {
    const { clock, r } = realtime(0.2);
    const t = clock.createTimer('tick', () => {});
    clock.armIn(t, 100);
    expect(clock.instructionsUntilNextDeadline()).toBe(REALTIME_MIN_SLICE);
    r.advanceHost(1);
    expect(clock.instructionsUntilNextDeadline()).toBe(REALTIME_MIN_SLICE);
  });

  it('follows a CPU that slows down within a few slices', () => {
    const { clock, r } = realtime(0.4);
    for (let i = 0; i < 40; i++) r.slice(200_000);
    expect(clock.instructionsPerNs).toBeCloseTo(0.4, 3);
    r.rate = 0.02; // the interpreter on cold code
    for (let i = 0; i < 12; i++) r.slice(40_000);
    expect(clock.instructionsPerNs).toBeGreaterThan(0.02);
    expect(clock.instructionsPerNs).toBeLessThan(0.025);
  });

  it('recovers within a few slices from one the host stalled in, however short the next ones are', () => {
    const { clock, r } = realtime(0.3);
    for (let i = 0; i < 40; i++) r.slice(100_000);
    r.slice(10_000, 10_000, 200); // the host process was descheduled for 200 ms
    expect(clock.instructionsPerNs).toBeGreaterThan(0.3 / 10);
    for (let i = 0; i < 20; i++) r.slice(REALTIME_MIN_SLICE);
    expect(clock.instructionsPerNs).toBeCloseTo(0.3, 2);
  });

  it('learns only from whole slices of at least REALTIME_MIN_SLICE instructions', () => {
    const { clock, r } = realtime(0.3);
    for (let i = 0; i < 40; i++) r.slice(100_000);
    r.rate = 0.001;
    for (let i = 0; i < 50; i++) r.slice(REALTIME_MIN_SLICE - 1); // too short to measure
    for (let i = 0; i < 50; i++) r.slice(100_000, 50_000); // ended early (HLT, an exit request)
    expect(clock.instructionsPerNs).toBeCloseTo(0.3, 3);
  });

  it('does not learn from time that passes between slices', () => {
    const { clock, r } = realtime(0.25);
    for (let i = 0; i < 100; i++) {
      r.slice(100_000);
      r.advanceHost(5); // the host sleeping while the guest halts
    }
    expect(clock.instructionsPerNs).toBeCloseTo(0.25, 3);
  });

  it('ends a running slice when a timer is armed before its expected end', () => {
    const { clock, r } = realtime(0.1);
    for (let i = 0; i < 60; i++) r.slice(100_000);
    let exits = 0;
    clock.onEarlierDeadline(() => exits++);
    const t = clock.createTimer('t', () => {});
    clock.sliceStarted(200_000); // expected to take 2 ms
    clock.armIn(t, 3e6);
    expect(exits).toBe(0);
    clock.armIn(t, 1e6);
    expect(exits).toBe(1);
    clock.sliceEnded();
    clock.armIn(t, 1e5);
    expect(exits).toBe(1);
  });

  it('does not time slices while paused', () => {
    const { clock, r } = realtime(0.3);
    for (let i = 0; i < 60; i++) r.slice(100_000);
    clock.pause();
    clock.sliceStarted(100_000);
    r.advanceHost(50);
    clock.sliceEnded();
    expect(clock.instructionsPerNs).toBeCloseTo(0.3, 3);
  });
});
