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
