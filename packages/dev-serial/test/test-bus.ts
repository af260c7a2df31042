import {
  ContainerModule,
  DeviceHost,
  FlatPhysicalBus,
  SinkIrqLine,
  definePlugin,
  type Device,
  type DeviceAttachment,
  type IrqLine,
  type IrqSink,
  type PluginDescriptor,
} from '@popek/core';

/** An interrupt controller stand-in that records each line's level. */
export class RecordingSink implements IrqSink {
  readonly levels = new Array<boolean>(16).fill(false);
  readonly log: string[] = [];
  setIrq(line: number, level: boolean): void {
    this.levels[line] = level;
    this.log.push(`${line}:${level ? 1 : 0}`);
  }
}

/** A minimal machine bus for integration tests: fixed port windows on a flat bus, IRQs to a recording sink. */
export class TestBus implements DeviceHost {
  readonly bus = new FlatPhysicalBus(4096);
  readonly sink = new RecordingSink();
  readonly attached: Device[] = [];

  attachDevice(device: Device): DeviceAttachment {
    const res = device.resources();
    const ports: Record<string, number> = {};
    for (const w of res.ports ?? []) {
      if (w.base === undefined) throw new Error('the test bus only places fixed windows');
      this.bus.mapPorts(w.base, w.size, w.handler);
      ports[w.name] = w.base;
    }
    const irqs: Record<string, IrqLine> = {};
    for (const r of res.irqs ?? []) irqs[r.name] = new SinkIrqLine(this.sink, r.line ?? 0);
    this.attached.push(device);
    return { ports, mmio: {}, irqs };
  }
}

/** A bus plugin around one {@link TestBus}. */
export function testBusPlugin(bus: TestBus): PluginDescriptor {
  return definePlugin({
    id: 'test-bus',
    kind: 'bus',
    apiVersion: '1.0',
    provides: ['bus'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(DeviceHost).toConstantValue(bus);
    }),
  });
}
