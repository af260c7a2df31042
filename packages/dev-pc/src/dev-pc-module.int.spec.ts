import {
  A20Gate,
  ContainerModule,
  DeviceHost,
  InterruptController,
  IrqSink,
  Machine,
  Processor,
  ResourceMap,
  SinkIrqLine,
  SliceExit,
  definePlugin,
  inject,
  injectable,
  numberField,
  type AccessWidth,
  type Device,
  type DeviceAttachment,
  type IoHandler,
  type IrqLine,
  type MachineProfile,
  type StateValue,
} from '@popek/core';
import { describe, expect, it } from 'vitest';
import { CmosOptions } from './cmos-options.js';
import { ElcrControl } from './elcr-control.js';
import { PicOptions } from './pic-options.js';
import { Pic8259Pair } from './pic-8259-pair.js';
import { plugin } from './plugin.js';

/** A bus for the test: fixed ports checked for conflicts, IRQ lines to the IrqSink, an A20 gate. */
@injectable()
class TestHost implements DeviceHost, A20Gate {
  readonly ports = new Map<number, { handler: IoHandler; offset: number }>();
  readonly claims = new ResourceMap('I/O port', 0x1_0000);
  a20Enabled = true;

  constructor(@inject(IrqSink) private readonly sink: IrqSink) {}

  setA20(enabled: boolean): void {
    this.a20Enabled = enabled;
  }

  attachDevice(device: Device): DeviceAttachment {
    const res = device.resources();
    const ports: Record<string, number> = {};
    for (const w of res.ports ?? []) {
      this.claims.claim(w.base!, w.size, `${device.id}/${w.name}`);
      ports[w.name] = w.base!;
      for (let i = 0; i < w.size; i++) this.ports.set(w.base! + i, { handler: w.handler, offset: i });
    }
    const irqs: Record<string, IrqLine> = {};
    for (const r of res.irqs ?? []) irqs[r.name] = new SinkIrqLine(this.sink, r.line!);
    return { ports, mmio: {}, irqs };
  }

  in(port: number, width: AccessWidth = 1): number {
    const p = this.ports.get(port);
    return p === undefined ? 0xff : p.handler.read(p.offset, width);
  }

  out(port: number, value: number, width: AccessWidth = 1): void {
    const p = this.ports.get(port);
    p?.handler.write(p.offset, width, value);
  }
}

/** One step of the scripted guest: some port I/O, worth 1000 instructions. */
type Step = (io: TestHost) => void;

/** A CPU that runs a script of port I/O steps, then idles with interrupts enabled, taking them. */
@injectable()
class ScriptCpu implements Processor {
  readonly snapshotId = 'cpu0';
  readonly stateType = 'test:ScriptCpu';
  readonly stateVersion = 1;
  count = 0;
  halted = false;
  script: Step[] = [];
  readonly vectors: number[] = [];
  #exit = false;

  constructor(
    @inject(TestHost) readonly io: TestHost,
    @inject(InterruptController) readonly pic: InterruptController,
    @inject(IrqSink) readonly sink: IrqSink,
    @inject(ElcrControl) readonly elcr: ElcrControl,
  ) {}

  retired(): number {
    return this.count;
  }

  runSlice(max: number): SliceExit {
    this.#exit = false;
    const end = this.count + max;
    while (this.count < end) {
      if (this.pic.hasInterrupt()) {
        const v = this.pic.acknowledge();
        this.vectors.push(v);
        // The handler: a specific EOI to the master (slave IRQs are not used here).
        this.io.out(0x20, 0x60 + (v & 7));
        this.count += 100; // the handler's instructions
        this.halted = false;
      }
      const step = this.script.shift();
      if (step === undefined) {
        this.halted = true;
        return SliceExit.Halted;
      }
      step(this.io);
      this.count += 1000;
      if (this.#exit) return SliceExit.Requested;
    }
    return SliceExit.Budget;
  }

  reset(): void {
    this.halted = false;
  }

  requestExit(): void {
    this.#exit = true;
  }

  saveState(): StateValue {
    return { count: this.count };
  }

  loadState(state: StateValue): void {
    this.count = numberField(state, 'count');
  }
}

function profile(): MachineProfile {
  const cpu = definePlugin({
    id: 'test-cpu',
    kind: 'cpu',
    apiVersion: '1.0',
    provides: ['cpu'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(ScriptCpu).toSelf().inSingletonScope();
      bind(Processor).toService(ScriptCpu);
    }),
  });
  const bus = definePlugin({
    id: 'test-bus',
    kind: 'bus',
    apiVersion: '1.0',
    provides: ['bus'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(TestHost).toSelf().inSingletonScope();
      bind(DeviceHost).toService(TestHost);
      bind(A20Gate).toService(TestHost);
    }),
  });
  return { id: 'dev-pc-test', description: 'the PC chipset on a test CPU and bus', plugins: [cpu, bus, plugin] };
}

const options = new ContainerModule(({ bind }) => {
  bind(CmosOptions).toConstantValue({ memoryBytes: 64 * 1024 * 1024 });
  bind(PicOptions).toConstantValue({ levelTriggeredIrqs: [10, 11] });
});

function build(): { machine: Machine; cpu: ScriptCpu; host: TestHost } {
  const machine = Machine.build(profile(), { clock: { mode: 'deterministic', instructionsPerSecond: 1e9 }, modules: [options] });
  const cpu = machine.processor as ScriptCpu;
  const host = cpu.io;
  return { machine, cpu, host };
}

describe('dev-pc in a machine', () => {
  it('builds from its plugin descriptor with every device attached at its ports without conflicts', () => {
    const { machine, host } = build();
    expect(machine.devices.map((d) => d.id)).toEqual(['pic', 'pit', 'rtc', 'i8042', 'port92', 'reset-control', 'acpi-pm']);
    expect(host.claims.claims.map((c) => c.owner)).toContain('reset-control/rcr');
    const pic = machine.devices[0] as Pic8259Pair;
    expect(pic.isLevelTriggered(10)).toBe(true);
    expect(host.in(0x4d1)).toBe(0x0c);
    expect(plugin.provides).toEqual(['interrupt-controller', 'timer', 'rtc', 'keyboard-controller', 'acpi-pm']);
    expect(plugin.kind).toBe('chipset');
  });

  it('binds the PIC pair once, as the interrupt controller, the IRQ sink and the ELCR', () => {
    const { machine, cpu } = build();
    const pic = machine.devices[0];
    expect(pic).toBeInstanceOf(Pic8259Pair);
    expect(cpu.pic).toBe(pic);
    expect(cpu.sink).toBe(pic);
    expect(cpu.elcr).toBe(pic);
  });

  it('delivers PIT interrupts through the PIC to the CPU at the programmed rate', async () => {
    const { machine, cpu, host } = build();
    cpu.script.push(
      (io) => {
        io.out(0x20, 0x11);
        io.out(0x21, 0x30);
        io.out(0x21, 0x04);
        io.out(0x21, 0x01);
        io.out(0x21, 0xfe); // IRQ 0 only
      },
      (io) => {
        io.out(0x43, 0x34);
        io.out(0x40, 0x9b); // 1193 ticks: ~1 kHz
        io.out(0x40, 0x04);
      },
    );
    for (let i = 0; i < 100; i++) cpu.script.push(() => undefined);
    while (machine.clock.nowNs() < 50e6) machine.runInstructions(1000); // 50 ms, idle time skipped
    const periodNs = (0x049b * 1e9) / 1_193_182;
    expect(cpu.vectors.length).toBeGreaterThanOrEqual(Math.floor(50e6 / periodNs) - 1);
    expect(cpu.vectors.length).toBeLessThanOrEqual(Math.ceil(50e6 / periodNs));
    expect(cpu.vectors.every((v) => v === 0x30)).toBe(true);
    // Every edge of counter 0's OUT (the mode write's included: IRQ 0 was unmasked first) reached the CPU.
    expect(cpu.vectors.length).toBe(machine.metrics.value('pit.irq0-edges'));
    expect(host.in(0x20) & 1).toBe(0); // nothing left pending
  });

  it('powers off when the guest writes SLP_TYP 0 with SLP_EN, as poweroff does', async () => {
    const { machine, cpu } = build();
    cpu.script.push((io) => {
      io.out(0x604, 0x0000 | 0x0001, 2);
      io.out(0x604, 0x2000 | 0x0001, 2);
    });
    const exit = await machine.run();
    expect(exit).toEqual({ reason: 'power-off' });
  });

  it('resets the machine and its devices when the guest writes 0x06 to 0xCF9, as reboot does', () => {
    const { machine, cpu, host } = build();
    const resets: string[] = [];
    machine.events.on('reset', (e) => resets.push(e.reason));
    cpu.script.push(
      (io) => {
        io.out(0x43, 0x34);
        io.out(0x40, 0x10);
        io.out(0x40, 0x00);
        io.out(0x92, 0x00); // close A20
      },
      (io) => io.out(0xcf9, 0x06),
    );
    machine.runInstructions(10_000);
    expect(resets).toEqual(['guest']);
    expect(host.a20Enabled).toBe(true); // the keyboard controller's reset reopened it
    expect(host.in(0xcf9)).toBe(0);
  });

  it('resets through the keyboard controller pulse (0xFE to port 0x64)', () => {
    const { machine, cpu } = build();
    const resets: string[] = [];
    machine.events.on('reset', (e) => resets.push(e.reason));
    cpu.script.push((io) => io.out(0x64, 0xfe));
    machine.runInstructions(10_000);
    expect(resets).toEqual(['guest']);
  });

  it('restores a machine snapshot into a fresh machine byte for byte', async () => {
    const a = build();
    a.cpu.script.push(
      (io) => {
        io.out(0x20, 0x11);
        io.out(0x21, 0x30);
        io.out(0x21, 0x04);
        io.out(0x21, 0x01);
        io.out(0x43, 0x34);
        io.out(0x40, 0x00);
        io.out(0x40, 0x10);
        io.out(0x70, 0x0b);
        io.out(0x71, 0x42); // RTC PIE
        io.out(0x602, 0x0101, 2); // TMR_EN, PWRBTN_EN
      },
      () => undefined,
    );
    a.machine.runInstructions(3_000_000);
    const snapshot = await a.machine.saveSnapshot();
    const b = build();
    await b.machine.restoreSnapshot(snapshot);
    expect(await b.machine.saveSnapshot()).toEqual(snapshot);
    expect(b.machine.clock.nextDeadlineNs()).toBe(a.machine.clock.nextDeadlineNs());
  });

  it('counts into the machine metrics registry', () => {
    const { machine } = build();
    const names = new Set(machine.metrics.snapshot().map((s) => s.name));
    for (const name of ['pic.interrupts', 'pit.irq0-edges', 'rtc.interrupts', 'i8042.input-dropped', 'acpi.sci']) expect(names).toContain(name);
  });
});
