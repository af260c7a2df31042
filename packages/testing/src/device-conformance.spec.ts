import { numberField, type Device, type DeviceResources, type StateValue } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { createDeviceTestContext, describeDeviceConformance, deviceConformanceChecks } from './device-conformance.js';

/** A register file of four bytes at a fixed port: well-behaved. */
class Latch implements Device {
  readonly id = 'latch';
  readonly snapshotId = 'latch';
  readonly stateType = 'test:Latch';
  readonly stateVersion = 1;
  regs = new Uint8Array(4);
  log: number[] = [];
  constructor(private readonly flaw: 'none' | 'leak' | 'throws' | 'dirty-reset' | 'lossy-snapshot' | 'wide-read' = 'none') {}
  resources(): DeviceResources {
    return {
      ports: [
        {
          name: 'regs',
          size: 4,
          base: 0x300,
          handler: {
            read: (o, w) => {
              if (this.flaw === 'throws' && o === 3 && w === 4) throw new Error('unexpected width');
              if (this.flaw === 'wide-read') return 0x1_0000_0000;
              let v = 0;
              for (let i = w - 1; i >= 0; i--) v = v * 256 + (this.regs[(o + i) & 3] ?? 0);
              return v;
            },
            write: (o, w, v) => {
              for (let i = 0; i < w; i++) this.regs[(o + i) & 3] = (v >>> (8 * i)) & 0xff;
              if (this.flaw === 'leak') this.log.push(v);
            },
          },
        },
      ],
      irqs: [{ name: 'irq', line: 5 }],
    };
  }
  attach(): void {}
  reset(): void {
    if (this.flaw !== 'dirty-reset') this.regs.fill(0);
    this.log = [];
  }
  saveState(): StateValue {
    return { regs: this.regs.slice(), log: this.log.length, ...(this.flaw === 'leak' ? { entries: this.log.slice() } : {}) };
  }
  loadState(state: StateValue): void {
    if (this.flaw !== 'lossy-snapshot') this.regs = (state as { regs: Uint8Array }).regs.slice();
    this.log = new Array<number>(numberField(state, 'log')).fill(0);
  }
}

describeDeviceConformance('a well-behaved latch', () => new Latch());

describe('the conformance checks catch broken devices', () => {
  const options = { fuzzAccesses: 50_000 };
  it('a handler that throws on some offset and width', () => {
    expect(() => deviceConformanceChecks(() => new Latch('throws'), options).access()).toThrow();
  });
  it('a read that does not fit its width', () => {
    expect(() => deviceConformanceChecks(() => new Latch('wide-read'), options).access()).toThrow();
  });
  it('a reset that leaves state behind', () => {
    expect(() => deviceConformanceChecks(() => new Latch('dirty-reset'), options).reset()).toThrow();
  });
  it('a snapshot that loses state', () => {
    expect(() => deviceConformanceChecks(() => new Latch('lossy-snapshot'), options).snapshot()).toThrow();
  });
  it('guest input that grows host memory', () => {
    expect(() => deviceConformanceChecks(() => new Latch('leak'), options).growth()).toThrow();
  });
  it('a fixed IRQ line that does not exist', () => {
    class BadIrq extends Latch {
      override resources(): DeviceResources {
        return { ...super.resources(), irqs: [{ name: 'irq', line: 16 }] };
      }
    }
    expect(() => deviceConformanceChecks(() => new BadIrq(), options).resources()).toThrow();
  });
});

describe('device test context', () => {
  it('advances deterministic time and fires timers on the way', () => {
    const ctx = createDeviceTestContext();
    const fired: number[] = [];
    const t = ctx.clock.createTimer('t', (now) => {
      fired.push(now);
      if (fired.length < 3) ctx.clock.armIn(t, 1000);
    });
    ctx.clock.armIn(t, 1000);
    ctx.advance(10_000);
    expect(fired).toEqual([1000, 2000, 3000]);
    expect(ctx.clock.nowNs()).toBe(10_000);
  });
});
