/**
 * `@popek/core`: Popek's microkernel. It defines the typed service identifiers, the plugin
 * descriptor and profile validation, the contracts every plugin implements (devices, IRQ lines,
 * guest memory, the processor, the interrupt controller), the clock, metrics and cost model, the
 * machine lifecycle and event stream, and the snapshot framework.
 *
 * Plugins import the dependency-injection decorators from here; only this package depends on
 * Inversify.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';

export { Container, ContainerModule, inject, injectable, injectFromBase, multiInject, optional } from 'inversify';
export type { ContainerModuleLoadOptions } from 'inversify';

export { PopekError, isPopekError } from './errors.js';
export { serviceId, serviceIdName, type ServiceId } from './service-id.js';
export { CORE_API_VERSION, isApiCompatible, parseApiVersion, type ApiVersion } from './version.js';
export { Capability, EXCLUSIVE_CAPABILITIES, definePlugin, type PluginDescriptor, type PluginKind } from './plugin.js';
export {
  DEFAULT_MACHINE_REQUIREMENTS,
  ProfileError,
  profileProblems,
  validateProfile,
  type MachineProfile,
} from './profile.js';

export { allOnes, type AccessWidth, type IoHandler } from './contracts/io.js';
export { DisconnectedIrqLine, SinkIrqLine, type IrqLine } from './contracts/irq-line.js';
export { InterruptController, NmiLine } from './contracts/interrupt-controller.js';
export {
  FlatGuestMemory,
  GuestMemory,
  MemoryStatus,
  defineRecordLayout,
  readRecord,
  writeRecord,
  type DirtyHook,
  type FieldType,
  type RecordField,
  type RecordLayout,
  type RecordResult,
} from './contracts/guest-memory.js';
export {
  DeviceContribution,
  DeviceHost,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type IrqRequest,
  type MmioWindowRequest,
  type PortWindowRequest,
} from './contracts/device.js';
export type { PciBarRequest, PciCapabilityRequest, PciFunctionRequest } from './contracts/pci.js';
export { PowerControl, Processor, SliceExit, type ResetReason } from './contracts/processor.js';
export { ResourceMap, type ResourceClaim } from './resource-map.js';

export {
  Clock,
  ClockOptions,
  CoreClock,
  HostTime,
  REALTIME_MIN_SLICE,
  Timer,
  performanceHostTime,
  type ClockMode,
  type InstructionCounter,
} from './clock.js';
export {
  Counter,
  Histogram,
  Metrics,
  MetricsRegistry,
  metricKey,
  type MetricLabels,
  type MetricSample,
  type MetricsSnapshot,
} from './metrics.js';
export { DEFAULT_COST_MODEL, simulatedCycles, type CostModel, type CycleEstimate } from './cost-model.js';
export { EventStream, type EventListener, type TypedEvent } from './events.js';
export {
  LifecycleContribution,
  SnapshotContribution,
  StateUpgradeContribution,
  type MachineState,
} from './lifecycle.js';
export { MachineEvents, type MachineEvent } from './machine-events.js';
export { Machine, type MachineExit, type MachineOptions } from './machine.js';

export {
  arrayField,
  booleanField,
  bytesField,
  field,
  numberField,
  stringField,
  type Snapshotable,
  type StateRecord,
  type StateValue,
} from './snapshot/state.js';
export { StateDecodeError, decodeState, encodeState } from './snapshot/state-codec.js';
export { StateUpgrades, type StateUpgrade } from './snapshot/state-upgrades.js';
export {
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  readSnapshot,
  writeSnapshot,
  type SnapshotImage,
  type SnapshotSection,
} from './snapshot/snapshot-file.js';
export { crc32 } from './snapshot/crc32.js';
export { PhysicalBus } from './contracts/physical-bus.js';
export { FlatPhysicalBus } from './contracts/flat-physical-bus.js';
export { WriteTracing, type WriteTracer } from './contracts/write-tracing.js';
export { BufferCharBackend, charBackendId, type CharBackend, type CharReceiver } from './contracts/char-backend.js';
export { IrqSink } from './contracts/irq-line.js';
export { A20Gate } from './contracts/a20-gate.js';
export {
  BootProcessorState,
  FLAT_CODE_ACCESS_RIGHTS,
  FLAT_DATA_ACCESS_RIGHTS,
  type BootRegisters,
  type SegmentName,
  type SegmentState,
} from './contracts/boot-processor.js';
export { MemoryLayout, type MemoryRegion, type MemoryRegionKind } from './contracts/memory-layout.js';
export { HostArena, type WasmMemory } from './contracts/host-arena.js';
export { HOST_ARENA_MAX_PAGES, WasmHostArena, defaultHostArenaModule, type WasmHostArenaOptions } from './wasm-host-arena.js';
