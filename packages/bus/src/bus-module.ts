import {
  A20Gate,
  ContainerModule,
  DeviceHost,
  GuestMemory,
  IrqSink,
  LifecycleContribution,
  MemoryLayout,
  PhysicalBus,
  SnapshotContribution,
  WriteTracing,
} from '@popek/core';
import { IrqSinkProvider } from './irq-router.js';
import { PcBus } from './pc-bus.js';
import { PciIrqRouting, PciIrqRoutingTable } from './pci-irq-routing.js';

/**
 * The bus's bindings: the {@link PcBus} once, aliased to every role it plays. The host or profile
 * binds `BusOptions`; the interrupt controller binds itself to `IrqSink`, which the bus looks up
 * lazily (when the first device is attached) so that neither depends on the other at
 * construction.
 */
export const busModule = new ContainerModule(({ bind }) => {
  bind(PcBus).toSelf().inSingletonScope();
  bind(PhysicalBus).toService(PcBus);
  bind(WriteTracing).toService(PcBus);
  bind(DeviceHost).toService(PcBus);
  bind(GuestMemory).toService(PcBus);
  bind(A20Gate).toService(PcBus);
  bind(MemoryLayout).toService(PcBus);
  bind(SnapshotContribution).toService(PcBus);
  bind(LifecycleContribution).toService(PcBus);
  bind(PciIrqRouting).to(PciIrqRoutingTable).inSingletonScope();
  bind(IrqSinkProvider).toDynamicValue((context) => ({ get: () => context.get(IrqSink, { optional: true }) })).inSingletonScope();
});
