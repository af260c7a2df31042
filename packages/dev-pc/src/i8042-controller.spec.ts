import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { I8042Controller } from './i8042-controller.js';
import { SET2_TO_SET1, keySequences, translateSet2ToSet1 } from './scancodes.js';

const DATA = 0x60;
const STATUS = 0x64;
const STR_OBF = 0x01;
const STR_AUXDATA = 0x20;
const STR_KEYLOCK = 0x10;
const CTR_KBDINT = 0x01;
const CTR_AUXINT = 0x02;
const CTR_KBDDIS = 0x10;
const CTR_AUXDIS = 0x20;
const CTR_XLATE = 0x40;

function setup(h = new Harness()): { h: Harness; kbc: I8042Controller; bus: PortBus } {
  const kbc = new I8042Controller(h.power, h.a20, h.metrics, h.events);
  const bus = new PortBus();
  bus.attach(kbc);
  kbc.reset();
  return { h, kbc, bus };
}

/** drivers/input/serio/i8042.c i8042_flush(): drain the output buffer, at most 16 bytes. */
function flush(bus: PortBus): number[] {
  const out: number[] = [];
  while (bus.in(STATUS) & STR_OBF) {
    if (out.length === 16) throw new Error('i8042 flush: controller keeps returning data');
    out.push(bus.in(DATA));
  }
  return out;
}

/** __i8042_command(): command, parameter bytes, then response bytes (failing if none come). */
function command(bus: PortBus, cmd: number, params: number[] = [], responses = 0): number[] {
  bus.out(STATUS, cmd);
  for (const p of params) bus.out(DATA, p);
  const out: number[] = [];
  for (let i = 0; i < responses; i++) {
    if (!(bus.in(STATUS) & STR_OBF)) throw new Error(`no response ${i} to command 0x${cmd.toString(16)}`);
    out.push(bus.in(DATA));
  }
  return out;
}

function readCtr(bus: PortBus): number {
  return command(bus, 0x20, [], 1)[0]!;
}

function writeCtr(bus: PortBus, ctr: number): void {
  command(bus, 0x60, [ctr]);
}

/** libps2 ps2_command on the keyboard port: send, collect whatever the device answered. */
function kbd(bus: PortBus, ...bytes: number[]): number[] {
  const out: number[] = [];
  for (const b of bytes) {
    bus.out(DATA, b);
    out.push(...flush(bus));
  }
  return out;
}

/** The same on the aux port (i8042_aux_write: 0xD4 then the byte). */
function aux(bus: PortBus, ...bytes: number[]): number[] {
  const out: number[] = [];
  const drain = (): void => {
    while (bus.in(STATUS) & STR_OBF) {
      expect(bus.in(STATUS) & STR_AUXDATA).toBe(STR_AUXDATA);
      out.push(bus.in(DATA));
    }
  };
  drain();
  for (const b of bytes) {
    command(bus, 0xd4, [b]);
    drain();
  }
  return out;
}

/** i8042_controller_check + selftest + init, then i8042_check_aux, as Linux boots. */
function linuxInit(bus: PortBus): number {
  expect(flush(bus)).toEqual([]);
  expect(command(bus, 0xaa, [], 1)).toEqual([0x55]);
  let ctr = readCtr(bus);
  expect(bus.in(STATUS) & STR_KEYLOCK).toBe(STR_KEYLOCK);
  ctr &= ~CTR_KBDDIS;
  ctr |= CTR_KBDINT;
  ctr = (ctr | CTR_AUXDIS) & ~CTR_AUXINT;
  writeCtr(bus, ctr);
  expect(readCtr(bus)).toBe(ctr);
  return ctr;
}

describe('i8042 driven like Linux', () => {
  it('passes the controller check, self-test and init with the BIOS command byte', () => {
    const { bus } = setup();
    expect(readCtr(bus)).toBe(CTR_XLATE | 0x04 | CTR_KBDINT);
    const ctr = linuxInit(bus);
    expect(ctr & CTR_XLATE).toBe(CTR_XLATE);
    expect(command(bus, 0xab, [], 1)).toEqual([0x00]);
    expect(command(bus, 0xa9, [], 1)).toEqual([0x00]);
  });

  it('passes i8042_check_aux: loopback, AUXDIS toggling, and IRQ 12 delivery', () => {
    const { bus } = setup();
    let ctr = linuxInit(bus);
    bus.out(STATUS, 0xd3);
    bus.out(DATA, 0x5a);
    expect(bus.in(STATUS) & (STR_OBF | STR_AUXDATA)).toBe(STR_OBF | STR_AUXDATA);
    expect(bus.in(DATA)).toBe(0x5a);
    command(bus, 0xa7);
    expect(readCtr(bus) & CTR_AUXDIS).toBe(CTR_AUXDIS);
    command(bus, 0xa8);
    expect(readCtr(bus) & CTR_AUXDIS).toBe(0);
    // i8042_enable_aux_port, then the IRQ test with 0xA5.
    ctr = readCtr(bus);
    ctr = (ctr & ~CTR_AUXDIS) | CTR_AUXINT;
    writeCtr(bus, ctr);
    const irq12 = bus.line('aux');
    const edges = irq12.risingEdges;
    bus.out(STATUS, 0xd3);
    bus.out(DATA, 0xa5);
    expect(irq12.risingEdges).toBe(edges + 1);
    expect(bus.in(STATUS) & STR_AUXDATA).toBe(STR_AUXDATA);
    expect(bus.in(DATA)).toBe(0xa5);
    expect(irq12.level).toBe(false);
  });

  it('answers the atkbd probe through translation, raising IRQ 1 for each byte', () => {
    const { bus } = setup();
    linuxInit(bus);
    const irq1 = bus.line('kbd');
    const before = irq1.risingEdges;
    expect(kbd(bus, 0xf2)).toEqual([0xfa, 0xab, 0x41]); // ID 0xAB83, 0x83 translated to 0x41
    expect(irq1.risingEdges - before).toBe(3);
    expect(kbd(bus, 0xf5)).toEqual([0xfa]); // atkbd_deactivate
    expect(kbd(bus, 0xed, 0x00)).toEqual([0xfa, 0xfa]); // set LEDs
    expect(kbd(bus, 0xf3, 0x00)).toEqual([0xfa, 0xfa]); // set repeat rate
    expect(kbd(bus, 0xf0, 0x00)).toEqual([0xfa, 0xfa, 0x41]); // scancode set 2, translated
    expect(kbd(bus, 0xf0, 0x03)).toEqual([0xfa, 0xfe]); // set 3 refused
    expect(kbd(bus, 0xf4)).toEqual([0xfa]); // atkbd_activate
    expect(kbd(bus, 0xff)).toEqual([0xfa, 0xaa]); // reset and BAT
    expect(kbd(bus, 0xee)).toEqual([0xee]);
    expect(kbd(bus, 0x12)).toEqual([0xfe]);
  });

  it('reports the untranslated ID and set 2 codes with XLATE off', () => {
    const { bus, kbc } = setup();
    const ctr = linuxInit(bus);
    writeCtr(bus, ctr & ~CTR_XLATE);
    expect(kbd(bus, 0xf2)).toEqual([0xfa, 0xab, 0x83]);
    kbc.pressKey('KeyA');
    kbc.releaseKey('KeyA');
    kbc.pressKey('ArrowUp');
    expect(flush(bus)).toEqual([0x1c, 0xf0, 0x1c, 0xe0, 0x75]);
    kbc.releaseKey('ArrowUp');
    expect(flush(bus)).toEqual([0xe0, 0xf0, 0x75]);
  });

  it('translates make and break codes to set 1 with XLATE on', () => {
    const { bus, kbc } = setup();
    linuxInit(bus);
    kbc.pressKey('KeyA');
    kbc.releaseKey('KeyA');
    kbc.pressKey('ArrowUp');
    kbc.releaseKey('ArrowUp');
    expect(flush(bus)).toEqual([0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8]);
    kbc.pressKey('Pause');
    expect(flush(bus)).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    expect(kbc.pressKey('NoSuchKey')).toBe(false);
  });

  it('sends set 1 codes itself when the guest selects set 1 without translation', () => {
    const { bus, kbc } = setup();
    const ctr = linuxInit(bus);
    writeCtr(bus, ctr & ~CTR_XLATE);
    expect(kbd(bus, 0xf0, 0x01)).toEqual([0xfa, 0xfa]);
    expect(kbd(bus, 0xf0, 0x00)).toEqual([0xfa, 0xfa, 0x01]);
    kbc.pressKey('Enter');
    kbc.releaseKey('Enter');
    expect(flush(bus)).toEqual([0x1c, 0x9c]);
  });

  it('holds keyboard bytes while the interface is disabled and delivers them when enabled', () => {
    const { bus, kbc } = setup();
    linuxInit(bus);
    command(bus, 0xad);
    kbc.pressKey('KeyB');
    expect(bus.in(STATUS) & STR_OBF).toBe(0);
    command(bus, 0xae);
    expect(flush(bus)).toEqual([0x30]);
  });

  it('probes the mouse like psmouse: reset, IntelliMouse knocks, streaming packets', () => {
    const { bus, kbc } = setup();
    let ctr = linuxInit(bus);
    ctr = (ctr & ~CTR_AUXDIS) | CTR_AUXINT;
    writeCtr(bus, ctr);
    expect(aux(bus, 0xff)).toEqual([0xfa, 0xaa, 0x00]);
    expect(aux(bus, 0xf2)).toEqual([0xfa, 0x00]);
    expect(aux(bus, 0xf3, 200, 0xf3, 100, 0xf3, 80)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa]);
    expect(aux(bus, 0xf2)).toEqual([0xfa, 0x03]);
    aux(bus, 0xf3, 200, 0xf3, 200, 0xf3, 80);
    expect(aux(bus, 0xf2)).toEqual([0xfa, 0x04]);
    expect(aux(bus, 0xe8, 0x03)).toEqual([0xfa, 0xfa]);
    expect(aux(bus, 0xe9)).toEqual([0xfa, 0x00, 0x03, 80]);
    expect(aux(bus, 0xf4)).toEqual([0xfa]);
    const irq12 = bus.line('aux');
    const edges = irq12.risingEdges;
    expect(kbc.moveMouse(10, 5, 1)).toBe(true); // right 10, down 5, wheel 1
    expect(irq12.risingEdges).toBe(edges + 1);
    expect(aux(bus)).toEqual([0x08 | 0x20, 10, 0xfb, 0x01]);
    kbc.setMouseButtons(0x01 | 0x08);
    expect(aux(bus)).toEqual([0x09, 0, 0, 0x10]);
    expect(aux(bus, 0xe9)[1]).toBe(0x20 | 0x04); // enabled, left button
  });

  it('splits a large motion into clamped packets and keeps whole packets only', () => {
    const { h, bus, kbc } = setup();
    let ctr = linuxInit(bus);
    ctr = (ctr & ~CTR_AUXDIS) | CTR_AUXINT;
    writeCtr(bus, ctr);
    aux(bus, 0xf4);
    kbc.moveMouse(600, 0);
    const bytes = aux(bus);
    expect(bytes).toEqual([0x08, 255, 0, 0x08, 255, 0, 0x08, 90, 0]);
    for (let i = 0; i < 100; i++) kbc.moveMouse(1, 1);
    const queued = kbc.mouse.output.length;
    expect(queued % 3).toBe(2); // the output buffer holds the first byte of the first packet
    expect(h.metrics.value('i8042.input-dropped')).toBeGreaterThan(0);
  });

  it('drives A20 and the reset line from the output port, and resets on 0xFE', () => {
    const { h, bus } = setup();
    linuxInit(bus);
    expect(command(bus, 0xd0, [], 1)[0]! & 0x03).toBe(0x03);
    command(bus, 0xd1, [0xdd]); // A20 off
    expect(h.a20.a20Enabled).toBe(false);
    expect(command(bus, 0xd0, [], 1)[0]! & 0x02).toBe(0);
    command(bus, 0xd1, [0xdf]); // A20 on
    expect(h.a20.a20Enabled).toBe(true);
    expect(h.power.resets).toEqual([]);
    command(bus, 0xfe);
    expect(h.power.resets).toEqual(['guest']);
    command(bus, 0xd1, [0xde]);
    expect(h.power.resets).toEqual(['guest', 'guest']);
    command(bus, 0xdd);
    expect(h.a20.a20Enabled).toBe(false);
    command(bus, 0xdf);
    expect(h.a20.a20Enabled).toBe(true);
    command(bus, 0xff); // pulses nothing
    expect(h.power.resets.length).toBe(2);
  });

  it('logs and counts unknown controller commands without answering', () => {
    const { h, bus } = setup();
    command(bus, 0xc8);
    expect(bus.in(STATUS) & STR_OBF).toBe(0);
    expect(h.metrics.value('i8042.unknown-commands')).toBe(1);
    expect(h.logs.length).toBe(1);
  });
});

describe('scancode tables', () => {
  it('translates every set 2 key to the set 1 code a PC keyboard sends', () => {
    expect(translateSet2ToSet1(keySequences.get('Escape')!.make2)).toEqual(Uint8Array.from([0x01]));
    expect(keySequences.get('F12')!.make1).toEqual(Uint8Array.from([0x58]));
    expect(keySequences.get('NumpadEnter')!.break1).toEqual(Uint8Array.from([0xe0, 0x9c]));
    expect(keySequences.get('PrintScreen')!.make1).toEqual(Uint8Array.from([0xe0, 0x2a, 0xe0, 0x37]));
    expect(keySequences.get('MetaLeft')!.make1).toEqual(Uint8Array.from([0xe0, 0x5b]));
    const seen = new Set<number>();
    for (let i = 0; i < 0x80; i++) seen.add(SET2_TO_SET1[i]!);
    expect(seen.size).toBe(128); // a permutation of the low half
  });
});

describe('i8042 against a hostile guest and a flooding host', () => {
  it('keeps every queue bounded when nobody reads', () => {
    const { h, bus, kbc } = setup();
    linuxInit(bus);
    for (let i = 0; i < 10_000; i++) {
      kbc.pressKey('KeyQ');
      kbc.sendScancodes([0xe0, 0x75, 0xe0, 0xf0, 0x75]);
      command(bus, 0x20);
    }
    expect(kbc.keyboard.output.length).toBeLessThanOrEqual(15);
    expect(h.metrics.value('i8042.input-dropped')).toBeGreaterThan(9_000);
    expect(encoded(kbc).length).toBeLessThan(1024);
    expect(flush.bind(null, bus)).toThrow(/keeps returning/); // more than i8042_flush's 16 …
    expect(flush(bus).length).toBeLessThanOrEqual(16); // … but it drains
  });

  it('never holds more than i8042_flush drains when the host types during boot', () => {
    const { bus, kbc } = setup();
    for (let i = 0; i < 100; i++) kbc.pressKey('KeyW');
    expect(flush(bus).length).toBe(16);
    expect(linuxInit(bus) & CTR_KBDINT).toBe(CTR_KBDINT);
  });

  it('survives random port traffic without throwing or growing', () => {
    const { bus, kbc } = setup();
    fuzzPorts(bus, 50_000, 808, () => {
      kbc.moveMouse(3, -2, 1);
      kbc.pressKey('Space');
    });
    expect(encoded(kbc).length).toBeLessThan(1024);
    expect(kbc.keyboard.output.length).toBeLessThanOrEqual(15);
    expect(kbc.mouse.output.length).toBeLessThanOrEqual(64);
  });
});

describe('i8042 snapshot and reset', () => {
  it('restores mid-conversation with an identical encoding and the same bytes to come', () => {
    const a = setup();
    linuxInit(a.bus);
    writeCtr(a.bus, (readCtr(a.bus) & ~CTR_AUXDIS) | CTR_AUXINT);
    aux(a.bus, 0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf4);
    a.kbc.pressKey('KeyZ');
    a.kbc.pressKey('ShiftLeft');
    a.kbc.moveMouse(-3, 4);
    a.bus.out(STATUS, 0x60); // a command waiting for its data byte
    const saved = a.kbc.saveState();
    const b = setup();
    b.kbc.loadState(saved);
    expect(encoded(b.kbc)).toEqual(encoded(a.kbc));
    expect(b.bus.line('kbd').level).toBe(a.bus.line('kbd').level);
    a.bus.out(DATA, 0x47);
    b.bus.out(DATA, 0x47);
    const drain = (bus: PortBus): number[] => {
      const out: number[] = [];
      while (bus.in(STATUS) & STR_OBF) out.push(bus.in(DATA) | ((bus.in(STATUS) & STR_AUXDATA) << 4));
      return out;
    };
    expect(drain(b.bus)).toEqual(drain(a.bus));
  });

  it('returns to its power-on state on reset and lowers its IRQs', () => {
    const { bus, kbc } = setup();
    const powerOn = encoded(kbc);
    linuxInit(bus);
    kbc.pressKey('KeyQ');
    expect(bus.line('kbd').level).toBe(true);
    kbc.reset();
    expect(encoded(kbc)).toEqual(powerOn);
    expect(bus.line('kbd').level).toBe(false);
  });
});
