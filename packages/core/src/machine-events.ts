import type { ResetReason } from './contracts/processor.js';
import { EventStream } from './events.js';
import type { MachineState } from './lifecycle.js';
import { serviceId } from './service-id.js';

/** The events a machine publishes to its host and UIs. */
export type MachineEvent =
  | {
      /** The machine changed state. */
      readonly type: 'state';
      /** The new state. */
      readonly state: MachineState;
      /** The state before. */
      readonly previous: MachineState;
    }
  | {
      /** Bytes a guest wrote to a console-like device (for event-stream character backends). */
      readonly type: 'console';
      /** The device (`com1`). */
      readonly channel: string;
      /** The bytes. */
      readonly bytes: Uint8Array;
    }
  | {
      /** The guest turned the machine off. */
      readonly type: 'power-off';
    }
  | {
      /** The machine was reset. */
      readonly type: 'reset';
      /** Who asked. */
      readonly reason: ResetReason;
    }
  | {
      /** A snapshot was restored. */
      readonly type: 'restored';
    }
  | {
      /** A component noticed something worth telling (a guest misusing a device, a host I/O error). */
      readonly type: 'log';
      /** How serious it is. */
      readonly level: 'info' | 'warn' | 'error';
      /** The component (`com1`, `cpu0`). */
      readonly source: string;
      /** One sentence. */
      readonly message: string;
    }
  | {
      /** The run loop stopped because of a host-side error (a bug): the machine is stopped. */
      readonly type: 'error';
      /** The error. */
      readonly error: unknown;
    };

/** The machine's event stream. */
export const MachineEvents = serviceId<EventStream<MachineEvent>>('@popek/core:MachineEvents');
