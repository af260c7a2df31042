import process from 'node:process';
import type { CharBackend, CharReceiver, LifecycleContribution } from '@popek/core';
import { CharInputQueue } from '../char-input-queue.js';

/** What the stdio backend reads: `process.stdin`, or a stand-in in tests. */
export interface StdioInput {
  /** Whether it is a terminal (then it is put in raw mode). */
  readonly isTTY?: boolean;
  /** Switches a terminal's raw mode (present on `tty.ReadStream`). */
  setRawMode?(mode: boolean): unknown;
  /** Registers a data listener. */
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** Removes a data listener. */
  off(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  /** Stops reading (flow control). */
  pause(): unknown;
  /** Resumes reading. */
  resume(): unknown;
}

/** What the stdio backend writes: `process.stdout`, or a stand-in in tests. */
export interface StdioOutput {
  /** Queues bytes; may return false when its buffer is full. */
  write(chunk: Uint8Array): boolean;
  /** Bytes queued and not yet written (Node writable streams). */
  readonly writableLength?: number;
}

/** When the escape prefix is interpreted. */
export type EscapeMode = 'tty' | 'always' | 'never';

/** Options of a {@link StdioCharBackend}. */
export interface StdioCharBackendOptions {
  /** Input stream (default `process.stdin`). */
  readonly input?: StdioInput;
  /** Output stream (default `process.stdout`). */
  readonly output?: StdioOutput;
  /**
   * Called with the key typed after the escape prefix (Ctrl-A x gives 0x78). The prefix and that
   * key do not reach the guest; the prefix typed twice sends one prefix byte.
   */
  readonly onEscape?: (key: number) => void;
  /** The escape prefix byte (default 0x01, Ctrl-A). */
  readonly escapePrefix?: number;
  /** When escapes are interpreted (default `tty`: only when the input is a terminal). */
  readonly escapes?: EscapeMode;
  /** Input bytes held for the guest before reading pauses (default 64 KiB). */
  readonly maxPendingInput?: number;
  /** Output bytes queued for the terminal before further output is dropped (default 1 MiB). */
  readonly maxPendingOutput?: number;
  /** Restore the terminal on SIGINT, SIGTERM and SIGHUP, then let the signal act (default true). */
  readonly handleSignals?: boolean;
  /** Called when input arrives (a host passes `() => machine.wake()` so a halted guest sees it at once). */
  readonly onInput?: () => void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * A character backend on the terminal Popek runs in. When stdin is a terminal it is switched to
 * raw mode (every key goes to the guest, Ctrl-C included) and restored on dispose, on process exit
 * and on SIGINT/SIGTERM/SIGHUP; otherwise input bytes pass through unchanged. An escape prefix
 * (Ctrl-A by default) followed by a key is reported to `onEscape` instead of reaching the guest.
 *
 * Guest output is queued and written in one chunk per turn of the event loop, so the machine
 * never waits on the terminal; past `maxPendingOutput` queued bytes, output is dropped and counted.
 * Input is held until the device takes it, and reading pauses while `maxPendingInput` bytes wait.
 */
export class StdioCharBackend implements CharBackend, LifecycleContribution {
  readonly #input: StdioInput;
  readonly #output: StdioOutput;
  readonly #onEscape: ((key: number) => void) | undefined;
  readonly #prefix: number;
  readonly #escapes: boolean;
  readonly #maxPendingInput: number;
  readonly #maxPendingOutput: number;
  readonly #handleSignals: boolean;
  readonly #onInput: (() => void) | undefined;
  readonly #queue = new CharInputQueue();
  #receiver: CharReceiver | undefined;
  #reading = false;
  #paused = false;
  #raw = false;
  #escapePending = false;
  #disposed = false;
  #outChunks: Uint8Array[] = [];
  #outQueued = 0;
  #flushScheduled = false;
  #droppedOutput = 0;

  /** @param options - streams, escape handling and bounds */
  constructor(options: StdioCharBackendOptions = {}) {
    this.#input = options.input ?? (process.stdin as unknown as StdioInput);
    this.#output = options.output ?? (process.stdout as unknown as StdioOutput);
    this.#onEscape = options.onEscape;
    this.#prefix = (options.escapePrefix ?? 0x01) & 0xff;
    const mode = options.escapes ?? 'tty';
    this.#escapes = this.#onEscape !== undefined && (mode === 'always' || (mode === 'tty' && this.#input.isTTY === true));
    this.#maxPendingInput = options.maxPendingInput ?? 64 * 1024;
    this.#maxPendingOutput = options.maxPendingOutput ?? 1024 * 1024;
    this.#handleSignals = options.handleSignals ?? true;
    this.#onInput = options.onInput;
  }

  /** Whether the terminal is in raw mode because of this backend. */
  get rawMode(): boolean {
    return this.#raw;
  }

  /** Output bytes dropped because the terminal did not keep up. */
  get droppedOutput(): number {
    return this.#droppedOutput;
  }

  /** Input bytes read and not yet taken by the guest. */
  get pendingInput(): number {
    return this.#queue.length;
  }

  /** Registers the device and starts reading (switching a terminal to raw mode). */
  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.#start();
    this.ready();
  }

  /** Hands the device what it can take, and resumes reading once the backlog has halved. */
  ready(): void {
    this.#queue.deliver(this.#receiver);
    if (this.#paused && !this.#disposed && this.#queue.length <= this.#maxPendingInput / 2) {
      this.#paused = false;
      this.#input.resume();
    }
  }

  /** Queues guest output for the terminal (copied); dropped past the output bound. */
  write(bytes: Uint8Array): void {
    if (this.#disposed || bytes.length === 0) return;
    const pending = this.#outQueued + (this.#output.writableLength ?? 0);
    if (pending + bytes.length > this.#maxPendingOutput) {
      this.#droppedOutput += bytes.length;
      return;
    }
    this.#outChunks.push(bytes.slice());
    this.#outQueued += bytes.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Writes queued output, restores the terminal, stops reading and removes process hooks. */
  dispose(): void {
    if (this.#disposed) return;
    this.#flush();
    this.#disposed = true;
    this.#restoreTerminal();
    if (this.#reading) {
      this.#input.off('data', this.#onData);
      this.#input.pause();
      this.#reading = false;
    }
    this.#queue.clear();
    this.#receiver = undefined;
  }

  /** Disposes with the machine. */
  onDispose(): void {
    this.dispose();
  }

  #start(): void {
    if (this.#reading || this.#disposed) return;
    this.#reading = true;
    if (this.#input.isTTY === true && typeof this.#input.setRawMode === 'function') {
      this.#input.setRawMode(true);
      this.#raw = true;
      process.on('exit', this.#restoreTerminal);
      if (this.#handleSignals) for (const signal of SIGNALS) process.on(signal, this.#onSignal);
    }
    this.#input.on('data', this.#onData);
    this.#input.resume();
  }

  readonly #onData = (chunk: Uint8Array | string): void => {
    if (this.#disposed) return;
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    if (this.#escapes) this.#filterEscapes(bytes);
    else this.#queue.push(bytes);
    this.#queue.deliver(this.#receiver);
    if (!this.#paused && this.#queue.length >= this.#maxPendingInput) {
      this.#paused = true;
      this.#input.pause();
    }
    this.#onInput?.();
  };

  /** Splits out escape sequences: prefix + key goes to the callback, prefix + prefix sends one prefix. */
  #filterEscapes(bytes: Uint8Array): void {
    const out = new Uint8Array(bytes.length);
    let start = 0;
    let n = 0;
    for (const b of bytes) {
      if (this.#escapePending) {
        this.#escapePending = false;
        if (b === this.#prefix) {
          out[n++] = b;
        } else {
          this.#queue.push(out.subarray(start, n));
          start = n;
          this.#onEscape!(b);
          if (this.#disposed) return;
        }
      } else if (b === this.#prefix) {
        this.#escapePending = true;
      } else {
        out[n++] = b;
      }
    }
    this.#queue.push(out.subarray(start, n));
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#outChunks.length === 0 || this.#disposed) return;
    const chunks = this.#outChunks;
    this.#outChunks = [];
    this.#outQueued = 0;
    let data: Uint8Array;
    if (chunks.length === 1) {
      data = chunks[0]!;
    } else {
      let total = 0;
      for (const c of chunks) total += c.length;
      data = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        data.set(c, at);
        at += c.length;
      }
    }
    this.#output.write(data);
  };

  readonly #restoreTerminal = (): void => {
    if (!this.#raw) return;
    this.#raw = false;
    this.#input.setRawMode?.(false);
    process.off('exit', this.#restoreTerminal);
    for (const signal of SIGNALS) process.off(signal, this.#onSignal);
  };

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#restoreTerminal();
    // With our handler gone, a signal nobody else handles gets its default action again.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
}
