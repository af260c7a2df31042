import { describe, expect, it } from 'vitest';
import { CoreClock } from './clock.js';

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
  /** A realtime clock on a fake host whose CPU retires `ipns` instructions per host ns. */
  function realtime(ipns: number) {
    let hostMs = 0;
    const cpu = counter();
    const clock = new CoreClock({ mode: 'realtime', instructionsPerSecond: 1e8 }, { now: () => hostMs });
    clock.setInstructionCounter(cpu);
    clock.resume();
    const slice = (instructions: number): void => {
      clock.sliceStarted(instructions);
      cpu.n += instructions;
      hostMs += instructions / ipns / 1e6;
      clock.sliceEnded();
    };
    return { clock, slice, cpu, advanceHost: (ms: number) => (hostMs += ms) };
  }

  it('sizes a slice by the rate the CPU has run at, so it ends near the next deadline', () => {
    const { clock, slice } = realtime(0.5);
    const t = clock.createTimer('tick', () => {});
    expect(clock.instructionsUntilNextDeadline()).toBe(Infinity);
    // Before any slice is measured, the configured rate (100 MIPS) is assumed.
    clock.armIn(t, 1e6);
    expect(clock.instructionsUntilNextDeadline()).toBe(100_000);
    for (let i = 0; i < 500; i++) slice(200_000); // 200 ms of host time
    expect(clock.instructionsPerNs).toBeCloseTo(0.5, 3);
    clock.runDue();
    clock.armIn(t, 4e6);
    expect(clock.instructionsUntilNextDeadline()).toBeGreaterThan(1_990_000);
    expect(clock.instructionsUntilNextDeadline()).toBeLessThan(2_010_000);
  });

  it('follows a CPU that slows down within tens of milliseconds of host time', () => {
    const { clock, slice, cpu, advanceHost } = realtime(0.4);
    for (let i = 0; i < 200; i++) slice(400_000); // 200 ms
    expect(clock.instructionsPerNs).toBeCloseTo(0.4, 3);
    // Then the CPU runs at a twentieth of that (the interpreter on cold code): within 50 ms of
    // host time the estimate is within 25% of the new rate.
    const slowSlice = (instructions: number): void => {
      clock.sliceStarted(instructions);
      cpu.n += instructions;
      advanceHost(instructions / 0.02 / 1e6);
      clock.sliceEnded();
    };
    for (let i = 0; i < 25; i++) slowSlice(40_000); // 2 ms each
    expect(clock.instructionsPerNs).toBeGreaterThan(0.02);
    expect(clock.instructionsPerNs).toBeLessThan(0.025);
  });

  it('does not learn from time that passes between slices', () => {
    const { clock, slice, advanceHost } = realtime(0.25);
    for (let i = 0; i < 500; i++) {
      slice(100_000); // 0.4 ms
      advanceHost(5); // the host sleeping while the guest halts
    }
    expect(clock.instructionsPerNs).toBeCloseTo(0.25, 3);
  });

  it('ends a running slice when a timer is armed before its expected end', () => {
    const { clock, slice } = realtime(0.1);
    for (let i = 0; i < 20; i++) slice(100_000);
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
    const { clock, slice, advanceHost } = realtime(0.3);
    for (let i = 0; i < 1000; i++) slice(100_000);
    clock.pause();
    clock.sliceStarted(100_000);
    advanceHost(50);
    clock.sliceEnded();
    expect(clock.instructionsPerNs).toBeCloseTo(0.3, 3);
  });
});
