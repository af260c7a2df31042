/**
 * `@popek/dev-serial`: the PC serial ports. A National Semiconductor 16550A UART model
 * ({@link Uart16550}) on COM1–COM4, and the host-side character backends it talks to: the
 * terminal ({@link StdioCharBackend}), a file ({@link FileCharBackend}), a TCP socket
 * ({@link TcpCharBackend}) and the machine's event stream ({@link EventStreamCharBackend}).
 *
 * The stdio, file and TCP backends use Node's `node:` modules; everything else runs anywhere.
 *
 * @packageDocumentation
 */
export { Uart16550, type SerialTiming, type Uart16550Options } from './uart16550.js';
export {
  UART16550_STATE_TYPE,
  UART16550_STATE_VERSION,
  UART_OUTPUT_STAGING_BYTES,
  defaultUart16550State,
  uart16550StateFromValue,
  uart16550StateToValue,
  type Uart16550State,
} from './uart16550-state.js';
export {
  Fcr,
  Ier,
  Iir,
  Lcr,
  Lsr,
  Mcr,
  Msr,
  NS_PER_BIT_AT_DIVISOR_1,
  PC_UART_CLOCK_HZ,
  POWER_ON_DIVISOR,
  RCVR_TRIGGER_LEVELS,
  UART_FIFO_DEPTH,
  UART_REGISTER_NAMES,
  UART_WINDOW_SIZE,
  UartReg,
} from './uart-registers.js';
export {
  DEFAULT_SERIAL_OPTIONS,
  PC_SERIAL_PORTS,
  SerialOptions,
  resolveSerialPorts,
  type PcSerialPortLocation,
  type SerialPortOptions,
} from './serial-options.js';
export { SerialPortFactory } from './serial-port-factory.js';
export { createDevSerialModule, devSerialModule, uartId } from './dev-serial-module.js';
export { DEV_SERIAL_PLUGIN_ID, plugin, serialPlugin } from './plugin.js';
export { NullCharBackend } from './null-char-backend.js';
export { CharInputQueue } from './char-input-queue.js';
export { charBackendModule } from './char-backend-module.js';
export {
  DEFAULT_TCP_HOST,
  parseSerialSpec,
  type FileSerialSpec,
  type NoneSerialSpec,
  type SerialSpec,
  type StdioSerialSpec,
  type TcpSerialSpec,
} from './serial-spec.js';
export {
  EventStreamCharBackend,
  type EventStreamCharBackendOptions,
} from './backends/event-stream-char-backend.js';
export {
  StdioCharBackend,
  type EscapeMode,
  type StdioCharBackendOptions,
  type StdioInput,
  type StdioOutput,
} from './backends/stdio-char-backend.js';
export { FileCharBackend, type FileCharBackendOptions } from './backends/file-char-backend.js';
export { TcpCharBackend, type TcpCharBackendOptions } from './backends/tcp-char-backend.js';
export { openCharBackend, type OpenCharBackendOptions } from './backends/open-char-backend.js';
