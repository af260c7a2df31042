import { MetricsRegistry } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { PortBus, encoded, fuzzPorts, rng } from '../test/harness.js';
import { Pic8259Pair } from './pic-8259-pair.js';

const MASTER_CMD = 0x20;
const MASTER_IMR = 0x21;
const SLAVE_CMD = 0xa0;
const SLAVE_IMR = 0xa1;
/** Linux's ISA_IRQ_VECTOR(0) on x86. */
const VECTOR_BASE = 0x30;

function setup(): { pic: Pic8259Pair; bus: PortBus; metrics: MetricsRegistry } {
  const metrics = new MetricsRegistry();
  const pic = new Pic8259Pair(metrics);
  const bus = new PortBus();
  bus.attach(pic);
  pic.reset();
  return { pic, bus, metrics };
}

/** arch/x86/kernel/i8259.c init_8259A(auto_eoi), then the masks Linux keeps (all masked but the cascade). */
function initLikeLinux(bus: PortBus, autoEoi = false): void {
  bus.out(MASTER_IMR, 0xff);
  bus.out(MASTER_CMD, 0x11); // ICW1: edge, cascade, ICW4 needed
  bus.out(MASTER_IMR, VECTOR_BASE); // ICW2
  bus.out(MASTER_IMR, 1 << 2); // ICW3: slave on IR2
  bus.out(MASTER_IMR, autoEoi ? 0x03 : 0x01); // ICW4: 8086 mode (+AEOI)
  bus.out(SLAVE_CMD, 0x11);
  bus.out(SLAVE_IMR, VECTOR_BASE + 8);
  bus.out(SLAVE_IMR, 2); // slave identity: IR2
  bus.out(SLAVE_IMR, 0x01);
  bus.out(MASTER_IMR, 0xfb);
  bus.out(SLAVE_IMR, 0xff);
}

/** Linux's i8259A_irq_real(): read the ISR through OCW3, then select the IRR again. */
function readIsr(bus: PortBus, slave: boolean): number {
  const cmd = slave ? SLAVE_CMD : MASTER_CMD;
  bus.out(cmd, 0x0b);
  const v = bus.in(cmd);
  bus.out(cmd, 0x0a);
  return v;
}

/** Linux's mask_and_ack_8259A for `irq` (already masked by the caller's cached mask). */
function eoi(bus: PortBus, irq: number): void {
  if (irq & 8) {
    bus.out(SLAVE_CMD, 0x60 + (irq & 7));
    bus.out(MASTER_CMD, 0x60 + 2);
  } else {
    bus.out(MASTER_CMD, 0x60 + irq);
  }
}

function unmask(bus: PortBus, irq: number): void {
  const port = irq < 8 ? MASTER_IMR : SLAVE_IMR;
  bus.out(port, bus.in(port) & ~(1 << (irq & 7)));
}

describe('8259A pair driven like Linux', () => {
  it('initialises with init_8259A and passes probe_8259A', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(SLAVE_IMR, 0xff);
    bus.out(MASTER_IMR, 0xfb);
    expect(bus.in(MASTER_IMR)).toBe(0xfb);
    expect(pic.master.vectorBase).toBe(VECTOR_BASE);
    expect(pic.slave.vectorBase).toBe(VECTOR_BASE + 8);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('delivers an unmasked edge IRQ once, with its vector, and holds lower priorities until EOI', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    unmask(bus, 0);
    unmask(bus, 4);
    pic.setIrq(4, true);
    pic.setIrq(4, false); // a pulse is latched in the IRR
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 4);
    expect(readIsr(bus, false)).toBe(0x10);
    expect(pic.hasInterrupt()).toBe(false);
    // IRQ 0 has the higher priority: it nests inside IRQ 4's handler.
    pic.setIrq(0, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE);
    pic.setIrq(0, false);
    eoi(bus, 0);
    // IRQ 5 (lower priority) waits for IRQ 4's EOI.
    unmask(bus, 5);
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(false);
    expect(bus.in(MASTER_CMD) & 0x20).toBe(0x20); // i8259A_irq_pending reads the IRR
    eoi(bus, 4);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 5);
  });

  it('does not deliver a masked request but keeps it pending in the IRR', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    pic.setIrq(3, true);
    expect(pic.hasInterrupt()).toBe(false);
    expect(bus.in(MASTER_CMD)).toBe(0x08);
    unmask(bus, 3);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('routes slave IRQs through the cascade and needs EOIs to both chips, slave first', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    unmask(bus, 8);
    unmask(bus, 12);
    pic.setIrq(12, true);
    pic.setIrq(12, false);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 12);
    expect(readIsr(bus, false)).toBe(0x04);
    expect(readIsr(bus, true)).toBe(0x10);
    // IRQ 8 beats IRQ 12 on the slave, but the master's IR2 is in service: it waits.
    pic.setIrq(8, true);
    pic.setIrq(8, false);
    expect(pic.hasInterrupt()).toBe(false);
    eoi(bus, 12);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 8);
    eoi(bus, 8);
    expect(readIsr(bus, false)).toBe(0);
    expect(readIsr(bus, true)).toBe(0);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('answers a vanished slave request with a spurious IRQ 15 and the master IR2 in service', () => {
    const { pic, bus, metrics } = setup();
    initLikeLinux(bus);
    bus.out(0x4d1, 0x04); // IRQ 10 level-triggered, as for a PCI device
    unmask(bus, 10);
    pic.setIrq(10, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(10, false); // the device deasserted before the INTA cycle
    expect(pic.hasInterrupt()).toBe(true); // the master latched the cascade edge
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 15);
    expect(readIsr(bus, true)).toBe(0);
    expect(readIsr(bus, false)).toBe(0x04);
    expect(metrics.value('pic.spurious')).toBe(1);
    bus.out(MASTER_CMD, 0x62); // Linux EOIs the master for a spurious IRQ 15
    expect(readIsr(bus, false)).toBe(0);
  });

  it('answers an INTA cycle with nothing pending with IR7 and sets no ISR bit', () => {
    const { pic, bus, metrics } = setup();
    initLikeLinux(bus);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 7);
    expect(readIsr(bus, false)).toBe(0);
    expect(metrics.value('pic.spurious')).toBe(1);
  });

  it('re-requests a level-triggered IRQ after EOI while the line stays high', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    pic.setLevelTriggered(11, true);
    expect(bus.in(0x4d1)).toBe(0x08);
    unmask(bus, 11);
    pic.setIrq(11, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 11);
    eoi(bus, 11);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 11);
    pic.setIrq(11, false);
    eoi(bus, 11);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('in AEOI mode sets no ISR bit and needs no EOI', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus, true);
    unmask(bus, 1);
    pic.setIrq(1, true);
    pic.setIrq(1, false);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 1);
    expect(readIsr(bus, false)).toBe(0);
    pic.setIrq(1, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('rotates priorities on non-specific EOI and on "set priority"', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x00);
    pic.setIrq(3, true);
    pic.setIrq(5, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 3);
    bus.out(MASTER_CMD, 0xa0); // rotate on non-specific EOI: IR3 becomes the lowest priority
    expect(pic.master.lowestPriority).toBe(3);
    pic.setIrq(1, true);
    // Priority order is now 4,5,6,7,0,1,2,3: IR5 beats IR1.
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 5);
    bus.out(MASTER_CMD, 0x20);
    bus.out(MASTER_CMD, 0xc0 | 0); // set priority: IR0 lowest, IR1 highest
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 1);
  });

  it('rotates in AEOI mode when asked (OCW2 R=1, SL=0, EOI=0)', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus, true);
    bus.out(MASTER_IMR, 0x00);
    bus.out(MASTER_CMD, 0x80);
    pic.setIrq(6, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 6);
    expect(pic.master.lowestPriority).toBe(6);
    bus.out(MASTER_CMD, 0x00);
    expect(pic.master.rotateOnAutoEoi).toBe(false);
  });

  it('answers a poll command with the highest request and acknowledges it', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x00);
    pic.setIrq(6, true);
    bus.out(MASTER_CMD, 0x0c); // OCW3 poll
    expect(bus.in(MASTER_CMD)).toBe(0x86);
    expect(readIsr(bus, false)).toBe(0x40);
    bus.out(MASTER_CMD, 0x0c);
    expect(bus.in(MASTER_IMR)).toBe(0x00); // nothing pending: I bit clear
  });

  it('polls the slave without leaving a stale cascade request on the master', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x00);
    bus.out(SLAVE_IMR, 0x00);
    pic.setIrq(9, true);
    bus.out(SLAVE_CMD, 0x0c);
    expect(bus.in(SLAVE_CMD)).toBe(0x81);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('tells the devices that asked which IRQ an INTA cycle or a poll acknowledged, and nobody for a spurious one', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    const acked: number[] = [];
    for (const irq of [0, 2, 6, 9, 15]) pic.onAcknowledge(irq, () => acked.push(irq));
    bus.out(MASTER_IMR, 0x00);
    bus.out(SLAVE_IMR, 0x00);
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE);
    eoi(bus, 0);
    pic.setIrq(9, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 9);
    eoi(bus, 9);
    pic.setIrq(6, true);
    bus.out(MASTER_CMD, 0x0c);
    expect(bus.in(MASTER_CMD)).toBe(0x86);
    expect(acked).toEqual([0, 9, 6]);
    bus.out(0x4d1, 0x80); // IRQ 15 level-triggered; its request vanishes before INTA
    pic.setIrq(15, true);
    pic.setIrq(15, false);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 15);
    expect(acked).toEqual([0, 9, 6]);
    expect(() => pic.onAcknowledge(16, () => {})).toThrow(RangeError);
  });

  it('lets lower priorities through in special mask mode when the in-service level is masked', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x00);
    pic.setIrq(2 + 1, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 3);
    pic.setIrq(6, true);
    expect(pic.hasInterrupt()).toBe(false);
    bus.out(MASTER_CMD, 0x68); // OCW3: set special mask mode
    bus.out(MASTER_IMR, 0x08); // mask the level in service
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 6);
    bus.out(MASTER_CMD, 0x48); // reset special mask mode
    expect(pic.master.specialMask).toBe(false);
  });

  it('lets the slave interrupt a slave IRQ in service in special fully nested mode', () => {
    const { pic, bus } = setup();
    bus.out(MASTER_CMD, 0x11);
    bus.out(MASTER_IMR, VECTOR_BASE);
    bus.out(MASTER_IMR, 0x04);
    bus.out(MASTER_IMR, 0x11); // ICW4 with SFNM
    bus.out(SLAVE_CMD, 0x11);
    bus.out(SLAVE_IMR, VECTOR_BASE + 8);
    bus.out(SLAVE_IMR, 0x02);
    bus.out(SLAVE_IMR, 0x01);
    pic.setIrq(12, true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 12);
    pic.setIrq(8, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(VECTOR_BASE + 8);
  });

  it('keeps reserved ELCR bits at zero and restores the profile ELCR on reset', () => {
    const { pic, bus } = setup();
    bus.out(0x4d0, 0xff);
    bus.out(0x4d1, 0xff);
    expect(bus.in(0x4d0)).toBe(0xf8);
    expect(bus.in(0x4d1)).toBe(0xde);
    expect(bus.in(0x4d0, 2)).toBe(0xdef8);
    pic.setLevelTriggered(0, true); // reserved: stays edge
    expect(pic.isLevelTriggered(0)).toBe(false);
    bus.out(0x4d0, 0);
    bus.out(0x4d1, 0);
    pic.setLevelTriggered(10, true);
    bus.out(0x4d1, 0x00);
    pic.reset();
    expect(bus.in(0x4d1)).toBe(0x04);
    expect(() => pic.setLevelTriggered(16, true)).toThrow(RangeError);
  });

  it('forgets pending edges on ICW1 but keeps level requests of lines that are high', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    pic.setLevelTriggered(9, true);
    pic.setIrq(4, true);
    pic.setIrq(9, true);
    initLikeLinux(bus);
    expect(bus.in(MASTER_CMD)).toBe(0x04); // only the cascade input (slave IRQ 9 is high)
    expect(bus.in(SLAVE_CMD)).toBe(0x02);
  });
});

describe('8259A pair against a hostile guest', () => {
  it('survives random port traffic and bad IRQ lines without throwing', () => {
    const { pic, bus, metrics } = setup();
    const r = rng(7);
    const n = fuzzPorts(bus, 20_000, 99, () => {
      const line = r() % 20;
      pic.setIrq(line, (r() & 1) === 1);
      if (pic.hasInterrupt()) {
        const v = pic.acknowledge();
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(256);
      }
    });
    expect(n).toBe(20_000);
    expect(metrics.value('pic.bad-line')).toBeGreaterThan(0);
    pic.setIrq(Number.NaN, true);
    pic.setIrq(2.5, true);
    pic.setIrq(-1, true);
    expect(encoded(pic).length).toBeLessThan(2048);
  });
});

describe('8259A pair snapshot and reset', () => {
  it('restores into a fresh pair with an identical encoding and the same behaviour', () => {
    const { pic, bus } = setup();
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x00);
    bus.out(SLAVE_IMR, 0x00);
    pic.setIrq(9, true);
    pic.setIrq(3, true);
    pic.acknowledge();
    bus.out(MASTER_CMD, 0x0b);
    const saved = pic.saveState();
    const fresh = new Pic8259Pair(new MetricsRegistry());
    fresh.reset();
    fresh.loadState(saved);
    expect(encoded(fresh)).toEqual(encoded(pic));
    expect(fresh.hasInterrupt()).toBe(pic.hasInterrupt());
    expect(fresh.acknowledge()).toBe(pic.acknowledge());
  });

  it('returns to its power-on state on reset', () => {
    const { pic, bus } = setup();
    const powerOn = encoded(pic);
    initLikeLinux(bus);
    bus.out(MASTER_IMR, 0x12);
    bus.out(MASTER_CMD, 0x0b);
    pic.reset();
    expect(encoded(pic)).toEqual(powerOn);
  });
});
