import { Clock, Metrics, inject, injectable, type CharBackend, type CoreClock, type MetricsRegistry } from '@popek/core';
import { NullCharBackend } from './null-char-backend.js';
import { Uart16550, type Uart16550Options } from './uart16550.js';

/**
 * Makes the machine's UARTs: one per configured port, each with the machine's clock and metrics
 * and its own backend. Used while the machine is built, never afterwards.
 */
@injectable()
export class SerialPortFactory {
  /**
   * @param clock - the machine's clock
   * @param metrics - the machine's metrics
   */
  constructor(
    @inject(Clock) private readonly clock: CoreClock,
    @inject(Metrics) private readonly metrics: MetricsRegistry,
  ) {}

  /** A UART for `port`, connected to `backend` (a {@link NullCharBackend} when none is bound). */
  create(port: Uart16550Options, backend: CharBackend | undefined): Uart16550 {
    return new Uart16550(port, this.clock, this.metrics, backend ?? new NullCharBackend());
  }
}
