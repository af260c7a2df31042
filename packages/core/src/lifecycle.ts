import { serviceId } from './service-id.js';
import type { Snapshotable } from './snapshot/state.js';
import type { StateUpgrade } from './snapshot/state-upgrades.js';

/** The states of a machine. */
export type MachineState = 'built' | 'running' | 'paused' | 'stopped' | 'disposed';

/**
 * A component's part in the machine lifecycle. Every hook is optional. Build, reset, start and
 * resume hooks run in profile order; pause, stop and dispose hooks in reverse order.
 */
export interface LifecycleContribution {
  /** After every component is resolved and every device attached. */
  onBuild?(): void;
  /** After the CPU and devices are reset (power-on and every reset); boot loaders load here. */
  onReset?(): void;
  /** Before the first slice runs. */
  onStart?(): void;
  /** The machine is pausing. */
  onPause?(): void;
  /** The machine is resuming. */
  onResume?(): void;
  /** The machine has stopped for good. */
  onStop?(): void;
  /** Releases host resources (files, sockets, terminal modes). */
  onDispose?(): void;
  /** After a snapshot was restored into the machine. */
  onRestore?(): void;
}

/** The contribution point for lifecycle hooks. */
export const LifecycleContribution = serviceId<LifecycleContribution>('@popek/core:LifecycleContribution');

/**
 * The contribution point for snapshotable components other than devices and the CPU (which the
 * machine includes by themselves): MMU state, RAM, chipset glue.
 */
export const SnapshotContribution = serviceId<Snapshotable>('@popek/core:SnapshotContribution');

/** An upgrade step a plugin registers for its state schema. */
export interface StateUpgradeContribution {
  /** The state schema. */
  readonly stateType: string;
  /** The version the step upgrades from (to `from + 1`). */
  readonly from: number;
  /** The step. */
  readonly upgrade: StateUpgrade;
}

/** The contribution point for state upgrades. */
export const StateUpgradeContribution = serviceId<StateUpgradeContribution>('@popek/core:StateUpgradeContribution');
