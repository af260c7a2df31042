import { describe, expect, it } from 'vitest';
import type { Device, DeviceAttachment, DeviceResources, StateValue } from '@popek/core';
import {
  A20Gate,
  Container,
  ContainerModule,
  DeviceContribution,
  DeviceHost,
  GuestMemory,
  IrqSink,
  LifecycleContribution,
  Machine,
  MemoryLayout,
  PhysicalBus,
  SnapshotContribution,
  definePlugin,
  inject,
  injectable,
  validateProfile,
} from '@popek/core';
import { RegisterFile } from '../test/helpers.js';
import { BusOptions } from './bus-options.js';
import { busModule } from './bus-module.js';
import { PcBus } from './pc-bus.js';
import { PciIrqRouting } from './pci-irq-routing.js';
import { plugin } from './plugin.js';

/**
 * A stand-in for dev-pc's PIC: it depends on the bus's services (the ELCR from PciIrqRouting,
 * the A20 gate as dev-pc's port 0x92 would), which must not make a cycle with the bus.
 */
@injectable()
class TestPic implements IrqSink, Device {
  readonly id = 'pic';
  readonly snapshotId = 'pic';
  readonly stateType = 'test:Pic';
  readonly stateVersion = 1;
  readonly calls: [number, boolean][] = [];
  readonly elcr: number;

  constructor(
    @inject(PciIrqRouting) routing: PciIrqRouting,
    @inject(A20Gate) readonly a20: A20Gate,
  ) {
    this.elcr = routing.elcrMask;
  }

  setIrq(line: number, level: boolean): void {
    this.calls.push([line, level]);
  }

  resources(): DeviceResources {
    return { ports: [{ name: 'master', base: 0x20, size: 2, handler: new RegisterFile(2) }] };
  }

  attach(): void {}
  reset(): void {}
  saveState(): StateValue {
    return {};
  }
  loadState(): void {}
}

@injectable()
class TestNic implements Device {
  readonly id = 'nic';
  readonly snapshotId = 'nic';
  readonly stateType = 'test:Nic';
  readonly stateVersion = 1;
  readonly io = new RegisterFile(32);
  attachment: DeviceAttachment | undefined;

  resources(): DeviceResources {
    return { pci: { vendorId: 0x10ec, deviceId: 0x8029, classCode: 0x020000, interruptPin: 1, bars: [{ index: 0, kind: 'io', size: 32, handler: this.io }] }, dma: true };
  }

  attach(attachment: DeviceAttachment): void {
    this.attachment = attachment;
  }

  reset(): void {
    this.attachment?.irqs['intx']?.lower();
  }

  saveState(): StateValue {
    return {};
  }

  loadState(): void {}
}

const picPlugin = definePlugin({
  id: 'test-pic',
  kind: 'chipset',
  apiVersion: '1.0',
  provides: ['interrupt-controller'],
  requires: ['bus'],
  module: new ContainerModule(({ bind }) => {
    bind(TestPic).toSelf().inSingletonScope();
    bind(IrqSink).toService(TestPic);
    bind(DeviceContribution).toService(TestPic);
  }),
});

const nicPlugin = definePlugin({
  id: 'test-nic',
  kind: 'device',
  apiVersion: '1.0',
  provides: ['nic'],
  requires: ['bus', 'pci'],
  module: new ContainerModule(({ bind }) => {
    bind(TestNic).toSelf().inSingletonScope();
    bind(DeviceContribution).toService(TestNic);
  }),
});

const options = new ContainerModule(({ bind }) => {
  bind(BusOptions).toConstantValue({ memoryBytes: 32 << 20 });
});

const profile = { id: 'bus-test', description: 'a bus, a PIC and a NIC', plugins: [plugin, picPlugin, nicPlugin], requires: ['bus'] };

describe('the bus plugin in a machine', () => {
  it('describes itself as the bus and PCI provider', () => {
    expect(plugin.id).toBe('@popek/bus');
    expect(plugin.kind).toBe('bus');
    expect(plugin.provides).toEqual(['bus', 'pci']);
    expect(() => validateProfile(profile)).not.toThrow();
  });

  it('binds one bus instance under every role it plays', () => {
    const container = new Container({ defaultScope: 'Singleton' });
    container.load(busModule, options);
    const bus = container.get(PcBus);
    for (const role of [PhysicalBus, DeviceHost, GuestMemory, A20Gate, MemoryLayout]) expect(container.get(role as never)).toBe(bus);
    expect(container.getAll(SnapshotContribution)).toEqual([bus]);
    expect(container.getAll(LifecycleContribution)).toEqual([bus]);
  });

  it('builds with a PIC that depends on the bus, runs firmware at reset and wires INTx# to the PIC', () => {
    const machine = Machine.build(profile, { modules: [options] });
    const pic = machine.devices.find((d) => d.id === 'pic') as TestPic;
    const nic = machine.devices.find((d) => d.id === 'nic') as TestNic;
    expect(pic.elcr).toBe(0x0c00);
    expect(nic.attachment?.memory).toBeDefined();
    const bus = pic.a20 as unknown as PcBus;
    expect(bus.pci.functionAt(2, 0)?.bars[0]?.mappedAt).toBe(0xc000);
    nic.io.bytes[0] = 0x42;
    expect(bus.ioRead(0xc000, 1)).toBe(0x42);
    nic.attachment!.irqs['intx']!.raise();
    expect(pic.calls).toEqual([[11, true]]);
  });

  it('includes the bus in machine snapshots, and a snapshot restores into a fresh machine', async () => {
    const a = Machine.build(profile, { modules: [options] });
    const busA = (a.devices.find((d) => d.id === 'pic') as TestPic).a20 as unknown as PcBus;
    busA.writePhysical(0x12_3456, 4, 0xfeed_beef);
    const snapshot = await a.saveSnapshot();
    const b = Machine.build(profile, { modules: [options] });
    await b.restoreSnapshot(snapshot);
    const busB = (b.devices.find((d) => d.id === 'pic') as TestPic).a20 as unknown as PcBus;
    expect(busB.readPhysical(0x12_3456, 4)).toBe(0xfeed_beef);
    expect(await b.saveSnapshot()).toEqual(snapshot);
  });
});
