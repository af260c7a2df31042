import {
  ContainerModule,
  DeviceContribution,
  LifecycleContribution,
  charBackendId,
  serviceId,
  type ServiceId,
} from '@popek/core';
import { DEFAULT_SERIAL_OPTIONS, SerialOptions, resolveSerialPorts } from './serial-options.js';
import { SerialPortFactory } from './serial-port-factory.js';
import type { Uart16550 } from './uart16550.js';

/** The service id of the UART with device id `id` (`com1`): one singleton per configured port. */
export function uartId(id: string): ServiceId<Uart16550> {
  return serviceId<Uart16550>(`@popek/dev-serial:Uart16550:${id}`);
}

/**
 * The bindings of a machine's serial ports: the factory once, then per port its UART (a
 * singleton made by the factory with the backend bound under `charBackendId(id)`, if any), aliased
 * as a device and as a lifecycle contribution.
 *
 * A container module cannot add bindings at resolution time, so the number of ports is fixed when
 * the module is made: the options are checked here, before anything is resolved.
 *
 * @throws `PopekError` (`serial-options-invalid`) for bad options
 */
export function createDevSerialModule(options: SerialOptions = DEFAULT_SERIAL_OPTIONS): ContainerModule {
  const ports = resolveSerialPorts(options);
  return new ContainerModule(({ bind }) => {
    bind(SerialOptions).toConstantValue(options);
    bind(SerialPortFactory).toSelf().inSingletonScope();
    for (const port of ports) {
      const id = uartId(port.id);
      bind(id)
        .toDynamicValue((context) => context.get(SerialPortFactory).create(port, context.get(charBackendId(port.id), { optional: true })))
        .inSingletonScope();
      bind(DeviceContribution).toService(id);
      bind(LifecycleContribution).toService(id);
    }
  });
}

/** The serial module with the default ports (COM1). */
export const devSerialModule: ContainerModule = createDevSerialModule();
