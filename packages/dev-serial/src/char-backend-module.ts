import {
  ContainerModule,
  LifecycleContribution,
  MachineEvents,
  charBackendId,
  type CharBackend,
  type EventStream,
  type MachineEvent,
} from '@popek/core';

/** A backend that wants the machine's event stream when it is bound (the event-stream backend). */
interface MachineEventsConsumer {
  attachMachineEvents(events: EventStream<MachineEvent>): void;
}

function consumesMachineEvents(backend: object): backend is MachineEventsConsumer {
  return typeof (backend as Partial<MachineEventsConsumer>).attachMachineEvents === 'function';
}

function isLifecycle(backend: object): backend is LifecycleContribution {
  return typeof (backend as LifecycleContribution).onDispose === 'function';
}

/**
 * Host-side bindings that connect `backend` to the device `deviceId` (`com1`): the backend under
 * `charBackendId(deviceId)`, and — when it holds host resources — as a lifecycle contribution, so
 * the machine releases them when it is disposed. A backend that publishes on the machine's event
 * stream receives it here.
 */
export function charBackendModule(deviceId: string, backend: CharBackend): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(charBackendId(deviceId)).toDynamicValue((context) => {
      if (consumesMachineEvents(backend)) backend.attachMachineEvents(context.get(MachineEvents));
      return backend;
    }).inSingletonScope();
    if (isLifecycle(backend)) bind(LifecycleContribution).toConstantValue(backend);
  });
}
