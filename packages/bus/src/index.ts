/**
 * `@popek/bus`: the PC's bus. The guest-physical memory map (RAM in a frame pool behind a P2M
 * table, ROM, MMIO windows, the VGA hole), port I/O dispatch, PCI configuration mechanism #1 with
 * an i440FX-class host bridge and a PIIX3-class ISA bridge, PIRQ interrupt routing to the PIC,
 * `GuestMemory` for DMA, the A20 gate, the memory layout boot loaders turn into e820, and the
 * device host that assigns every device its resources.
 *
 * @packageDocumentation
 */
export { PcBus, PC_BUS_STATE_TYPE, type BusPortWindowRequest } from './pc-bus.js';
export { busModule } from './bus-module.js';
export {
  BusOptions,
  DEFAULT_PIRQ_IRQS,
  MAX_MEMORY_BYTES,
  MIN_MEMORY_BYTES,
  PIRQ_ROUTABLE_IRQS,
  resolveBusOptions,
  type ResolvedBusOptions,
} from './bus-options.js';
export { PciIrqRouting, PciIrqRoutingTable, pirqOf } from './pci-irq-routing.js';
export { IrqRouter, IrqSinkProvider, ISA_IRQ_COUNT, PIRQ_COUNT, RoutedIrqLine } from './irq-router.js';
export { FramePool } from './frame-pool.js';
export {
  P2M_BALLOONED,
  P2M_HFN_MASK,
  P2M_LOG_CLEAN,
  P2M_RAM,
  P2M_READ_SLOW,
  P2M_ROM,
  P2M_SHARED,
  P2M_TRACED,
  P2M_WRITE_SLOW,
  P2mTable,
  type WriteTracer,
} from './p2m-table.js';
export { ALL_WIDTHS, PortSpace, WindowPriority, type WidthMask, type WindowInfo } from './port-space.js';
export { MmioSpace } from './mmio-space.js';
export {
  ADDRESS_SPACE_END,
  APIC_RESERVED_BASE,
  BIOS_AREA_BASE,
  BIOS_AREA_END,
  DEFAULT_PCI_IO_BASE,
  DEFAULT_PCI_MEMORY_BASE,
  FLOATING_PORT_BASE,
  PAGE_MASK,
  PAGE_SHIFT,
  PAGE_SIZE,
  VGA_WINDOW_BASE,
  VGA_WINDOW_END,
} from './memory-map.js';
export { PciHost } from './pci/pci-host.js';
export { PciFunction, PciIntxLine, pciLocation, type PciBarInfo, type PciBarMapper, type PciFunctionDefaults } from './pci/pci-function.js';
export { ChipsetRegisters } from './pci/chipset-registers.js';
export { I440FX_DEVICE_ID, I440fxHostBridge, PCI_CLASS_BRIDGE_HOST, PCI_VENDOR_ID_INTEL } from './pci/i440fx-host-bridge.js';
export { PCI_CLASS_BRIDGE_ISA, PIIX3_ISA_DEVICE_ID, PIIX3_PIRQRC, Piix3IsaBridge, decodeRoute } from './pci/piix3-isa-bridge.js';
export * as pciRegisters from './pci/pci-registers.js';
