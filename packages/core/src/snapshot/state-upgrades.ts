import { PopekError } from '../errors.js';
import type { StateValue } from './state.js';

/** Turns a state of version `from` into a state of version `from + 1`. */
export type StateUpgrade = (state: StateValue) => StateValue;

/**
 * The registered upgrades between versions of each state schema. A component that changes the
 * shape of its state bumps its `stateVersion` and registers the step from the previous version;
 * restoring an older snapshot runs the steps in order.
 */
export class StateUpgrades {
  readonly #steps = new Map<string, Map<number, StateUpgrade>>();

  /**
   * Registers the upgrade of `stateType` from version `from` to `from + 1`.
   *
   * @throws Error when a step from that version is already registered
   */
  register(stateType: string, from: number, upgrade: StateUpgrade): this {
    let steps = this.#steps.get(stateType);
    if (steps === undefined) {
      steps = new Map();
      this.#steps.set(stateType, steps);
    }
    if (steps.has(from)) throw new Error(`an upgrade of ${stateType} from version ${from} is already registered`);
    steps.set(from, upgrade);
    return this;
  }

  /**
   * Upgrades a state of `stateType` from version `from` to version `to`.
   *
   * @throws {@link PopekError} (`snapshot-version`) when the state is newer than this build, or a
   *   step is missing
   */
  upgrade(stateType: string, from: number, to: number, state: StateValue): StateValue {
    if (from > to) {
      throw new PopekError(
        'snapshot-version',
        `The snapshot holds ${stateType} state of version ${from}, newer than this build of Popek understands (version ${to}). Restore it with a newer Popek.`,
      );
    }
    let value = state;
    for (let v = from; v < to; v++) {
      const step = this.#steps.get(stateType)?.get(v);
      if (step === undefined) {
        throw new PopekError(
          'snapshot-version',
          `The snapshot holds ${stateType} state of version ${from}, and this build cannot upgrade it past version ${v} (no upgrade to ${v + 1} is registered).`,
        );
      }
      value = step(value);
    }
    return value;
  }
}
