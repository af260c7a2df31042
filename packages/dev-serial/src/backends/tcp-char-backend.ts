import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PopekError, type CharBackend, type CharReceiver, type LifecycleContribution } from '@popek/core';
import { CharInputQueue } from '../char-input-queue.js';
import { DEFAULT_TCP_HOST } from '../serial-spec.js';

/** Options of a {@link TcpCharBackend}. */
export interface TcpCharBackendOptions {
  /** Address to listen on (default 127.0.0.1: only local clients). */
  readonly host?: string;
  /** TCP port (0 lets the system choose; see {@link TcpCharBackend.listening}). */
  readonly port: number;
  /** Most recent guest output kept while no client is connected, sent to the next client (default 64 KiB; 0 drops it). */
  readonly keepOutput?: number;
  /** Client input held for the guest before reading from the client pauses (default 64 KiB). */
  readonly maxPendingInput?: number;
  /** Output queued to a slow client before further output is dropped (default 1 MiB). */
  readonly maxPendingOutput?: number;
  /** Called when input arrives (a host passes `() => machine.wake()`). */
  readonly onInput?: () => void;
}

/**
 * A character backend on a TCP listener: one client at a time (a second is told so and
 * disconnected), its bytes are the guest's input and the guest's output goes to it. While no
 * client is connected the most recent output is kept, up to a bound, for the next one. The socket
 * is raw: use `nc`, `socat` or `telnet` in character mode.
 */
export class TcpCharBackend implements CharBackend, LifecycleContribution {
  /** Resolves with the bound address once listening; rejects with a `PopekError` if it cannot listen. */
  readonly listening: Promise<AddressInfo>;
  readonly #server: Server;
  readonly #queue = new CharInputQueue();
  readonly #backlog = new CharInputQueue();
  readonly #keepOutput: number;
  readonly #maxPendingInput: number;
  readonly #maxPendingOutput: number;
  readonly #onInput: (() => void) | undefined;
  #receiver: CharReceiver | undefined;
  #client: Socket | undefined;
  #clientPaused = false;
  #closed: Promise<void> | undefined;
  #dropped = 0;

  /**
   * Listens and resolves once listening.
   *
   * @throws `PopekError` (`serial-tcp-unavailable`) when it cannot listen
   */
  static async listen(options: TcpCharBackendOptions): Promise<TcpCharBackend> {
    const backend = new TcpCharBackend(options);
    await backend.listening;
    return backend;
  }

  /**
   * Starts listening (see {@link listening}).
   *
   * @throws `PopekError` (`serial-tcp-unavailable`) for a port outside 0–65535
   */
  constructor(options: TcpCharBackendOptions) {
    const host = options.host ?? DEFAULT_TCP_HOST;
    const port = options.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new PopekError('serial-tcp-unavailable', `The serial TCP port ${port} is not a port number from 0 to 65535.`);
    }
    this.#keepOutput = options.keepOutput ?? 64 * 1024;
    this.#maxPendingInput = options.maxPendingInput ?? 64 * 1024;
    this.#maxPendingOutput = options.maxPendingOutput ?? 1024 * 1024;
    this.#onInput = options.onInput;
    this.#server = createServer((socket) => this.#onClient(socket));
    this.listening = new Promise<AddressInfo>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(new PopekError('serial-tcp-unavailable', `Popek cannot listen on ${host}:${port} for the serial port: ${error.message}.`, { cause: error }));
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        this.#server.on('error', () => {});
        resolve(this.#server.address() as AddressInfo);
      });
    });
    // Awaiting is optional (`listen` does); a failure must not become an unhandled rejection.
    this.listening.catch(() => {});
  }

  /** Whether a client is connected. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Client input bytes the guest has not taken yet. */
  get pendingInput(): number {
    return this.#queue.length;
  }

  /** Output bytes dropped because the client fell behind. */
  get droppedOutput(): number {
    return this.#dropped;
  }

  /** Sends guest output to the client, or keeps the most recent of it for the next one. */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#closed !== undefined) return;
    const client = this.#client;
    if (client !== undefined) {
      if (client.writableLength + bytes.length > this.#maxPendingOutput) this.#dropped += bytes.length;
      else client.write(Buffer.from(bytes));
      return;
    }
    if (this.#keepOutput <= 0) return;
    this.#backlog.push(bytes.slice(-this.#keepOutput));
    const excess = this.#backlog.length - this.#keepOutput;
    if (excess > 0) this.#backlog.take(excess);
  }

  /** Registers the device and hands it any input already waiting. */
  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.ready();
  }

  /** Hands the device what it can take, and resumes reading the client once the backlog has halved. */
  ready(): void {
    this.#queue.deliver(this.#receiver);
    if (this.#clientPaused && this.#queue.length <= this.#maxPendingInput / 2) {
      this.#clientPaused = false;
      this.#client?.resume();
    }
  }

  /** Disconnects the client and stops listening; resolves when the listener is closed. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#client?.destroy();
      this.#client = undefined;
      this.#queue.clear();
      this.#backlog.clear();
      this.#server.close(() => resolve());
    });
    return this.#closed;
  }

  /** Closes the listener. */
  dispose(): void {
    void this.close();
  }

  /** Closes with the machine. */
  onDispose(): void {
    this.dispose();
  }

  #onClient(socket: Socket): void {
    if (this.#client !== undefined || this.#closed !== undefined) {
      socket.on('error', () => {});
      socket.end('Another client is connected to this serial port.\r\n');
      return;
    }
    this.#client = socket;
    this.#clientPaused = false;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#client === socket) this.#client = undefined;
    });
    socket.on('data', (chunk: Buffer) => {
      this.#queue.push(chunk);
      this.#queue.deliver(this.#receiver);
      if (!this.#clientPaused && this.#queue.length >= this.#maxPendingInput) {
        this.#clientPaused = true;
        socket.pause();
      }
      this.#onInput?.();
    });
    if (this.#backlog.length > 0) socket.write(this.#backlog.take(this.#backlog.length));
  }
}
