/**
 * A plain, serialisable state value: what a component saves. It holds no live handles (no
 * functions, class instances, timers or host resources), so that restore is "construct from
 * options, then load state". Binary data goes in typed arrays.
 */
export type StateValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int32Array
  | Float64Array
  | readonly StateValue[]
  | { readonly [key: string]: StateValue };

/** A state value that is an object: what most components save. */
export type StateRecord = { readonly [key: string]: StateValue };

/**
 * A component whose state is saved in snapshots: every device, CPU and MMU component.
 *
 * The state schema is versioned: `stateVersion` is bumped whenever the shape of the saved value
 * changes, and an upgrade from the previous version is registered (see `StateUpgrades`), so
 * snapshots taken by older builds still load.
 */
export interface Snapshotable {
  /** Unique id of this component instance within a machine (`cpu0`, `com1`, `pic`). */
  readonly snapshotId: string;
  /** The schema the state follows (`@popek/dev-serial:Uart16550`), across instances. */
  readonly stateType: string;
  /** The current version of that schema (a positive integer). */
  readonly stateVersion: number;
  /** Returns the component's state as a fresh plain value (no aliasing of live buffers). */
  saveState(): StateValue;
  /** Replaces the component's state with a value of the current version. */
  loadState(state: StateValue): void;
}

/** Reads a field of a state record, failing clearly if it is missing. */
export function field(state: StateValue, key: string): StateValue {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || ArrayBuffer.isView(state)) {
    throw new TypeError(`snapshot state is not a record (reading '${key}')`);
  }
  const value = (state as StateRecord)[key];
  if (value === undefined) throw new TypeError(`snapshot state has no field '${key}'`);
  return value;
}

/** Reads a numeric field of a state record. */
export function numberField(state: StateValue, key: string): number {
  const value = field(state, key);
  if (typeof value !== 'number') throw new TypeError(`snapshot field '${key}' is not a number`);
  return value;
}

/** Reads a boolean field of a state record. */
export function booleanField(state: StateValue, key: string): boolean {
  const value = field(state, key);
  if (typeof value !== 'boolean') throw new TypeError(`snapshot field '${key}' is not a boolean`);
  return value;
}

/** Reads a string field of a state record. */
export function stringField(state: StateValue, key: string): string {
  const value = field(state, key);
  if (typeof value !== 'string') throw new TypeError(`snapshot field '${key}' is not a string`);
  return value;
}

/** Reads a byte-array field of a state record. */
export function bytesField(state: StateValue, key: string): Uint8Array {
  const value = field(state, key);
  if (!(value instanceof Uint8Array)) throw new TypeError(`snapshot field '${key}' is not a Uint8Array`);
  return value;
}

/** Reads an array field of a state record. */
export function arrayField(state: StateValue, key: string): readonly StateValue[] {
  const value = field(state, key);
  if (!Array.isArray(value)) throw new TypeError(`snapshot field '${key}' is not an array`);
  return value as readonly StateValue[];
}
