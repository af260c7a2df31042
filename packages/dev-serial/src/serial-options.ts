import { PopekError, serviceId } from '@popek/core';
import type { SerialTiming, Uart16550Options } from './uart16550.js';

/** One serial port of a machine. */
export interface SerialPortOptions {
  /** Which PC serial port: 1–4 (COM1 at 0x3F8/IRQ4, COM2 at 0x2F8/IRQ3, COM3 at 0x3E8/IRQ4, COM4 at 0x2E8/IRQ3). */
  readonly index: number;
  /** Device id (default `com<index>`): its backend is bound under `charBackendId(id)`. */
  readonly id?: string;
  /** Line pacing (default: the options' `timing`, else `realistic`). */
  readonly timing?: SerialTiming;
}

/** The serial ports of a machine. */
export interface SerialOptions {
  /** The ports, at most one per index. */
  readonly ports: readonly SerialPortOptions[];
  /** Line pacing of ports that do not set their own (default `realistic`). */
  readonly timing?: SerialTiming;
}

/** The serial options a machine was built with (bound by the serial module). */
export const SerialOptions = serviceId<SerialOptions>('@popek/dev-serial:SerialOptions');

/** The serial ports a machine gets by default: COM1. */
export const DEFAULT_SERIAL_OPTIONS: SerialOptions = Object.freeze({ ports: Object.freeze([Object.freeze({ index: 1, id: 'com1' })]) });

/** Where a legacy PC serial port sits. */
export interface PcSerialPortLocation {
  /** Base I/O port of its 8-port window. */
  readonly base: number;
  /** Its ISA IRQ line. */
  readonly irq: number;
}

/** Where each legacy PC serial port sits: entry `index - 1` for COM1–COM4. */
export const PC_SERIAL_PORTS: readonly PcSerialPortLocation[] = Object.freeze([
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
]);

const ID_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * Checks serial options and turns each port into the UART options it makes.
 *
 * @throws `PopekError` (`serial-options-invalid`) naming what is wrong
 */
export function resolveSerialPorts(options: SerialOptions): Uart16550Options[] {
  const fail = (message: string): never => {
    throw new PopekError('serial-options-invalid', message);
  };
  if (options === null || typeof options !== 'object' || !Array.isArray(options.ports)) {
    fail('The serial options need a list of ports, such as { ports: [{ index: 1 }] }.');
  }
  const timing = checkTiming(options.timing ?? 'realistic', 'the serial options');
  if (options.ports.length > PC_SERIAL_PORTS.length) fail(`A PC has at most ${PC_SERIAL_PORTS.length} serial ports; ${options.ports.length} were given.`);
  const ids = new Set<string>();
  const indexes = new Set<number>();
  return options.ports.map((port, i) => {
    const index = port?.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 1 || index > PC_SERIAL_PORTS.length) {
      return fail(`Serial port ${i + 1} has index ${String(index)}; use 1 to 4 (COM1 to COM4).`);
    }
    if (indexes.has(index)) fail(`COM${index} is configured twice.`);
    indexes.add(index);
    const id = port.id ?? `com${index}`;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      fail(`Serial port COM${index} has id '${String(id)}'; an id is a lower-case letter followed by up to 31 letters, digits, '-' or '_'.`);
    }
    if (ids.has(id)) fail(`Two serial ports have the id '${id}'.`);
    ids.add(id);
    const { base, irq } = PC_SERIAL_PORTS[index - 1]!;
    return { id, base, irq, timing: checkTiming(port.timing ?? timing, `serial port '${id}'`) };
  });
}

function checkTiming(timing: unknown, where: string): SerialTiming {
  if (timing === 'realistic' || timing === 'fast') return timing;
  throw new PopekError('serial-options-invalid', `The timing of ${where} is '${String(timing)}'; use 'realistic' or 'fast'.`);
}
