import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { PopekError, type CharBackend, type CharReceiver, type LifecycleContribution } from '@popek/core';

/** Options of a {@link FileCharBackend}. */
export interface FileCharBackendOptions {
  /** Output bytes queued for the file before further output is dropped (default 4 MiB). */
  readonly maxPendingOutput?: number;
  /** Told once when writing fails (the disk filled up); later output is dropped. */
  readonly onError?: (error: PopekError) => void;
}

/**
 * A character backend that appends guest output to a file and never delivers input. The file is
 * opened when the backend is made (so a bad path fails at once, with a clear message); writes go
 * through Node's thread pool and never block the machine.
 */
export class FileCharBackend implements CharBackend, LifecycleContribution {
  /** The file's path. */
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #maxPendingOutput: number;
  readonly #onError: ((error: PopekError) => void) | undefined;
  readonly #closed: Promise<void>;
  #failed = false;
  #ending = false;
  #dropped = 0;

  /**
   * Opens `path` for appending (creating it).
   *
   * @throws `PopekError` (`serial-file-unavailable`) when the file cannot be opened
   */
  constructor(path: string, options: FileCharBackendOptions = {}) {
    this.path = path;
    this.#maxPendingOutput = options.maxPendingOutput ?? 4 * 1024 * 1024;
    this.#onError = options.onError;
    let fd: number;
    try {
      fd = openSync(path, 'a');
    } catch (error) {
      throw new PopekError('serial-file-unavailable', `Popek cannot open '${path}' for serial output: ${(error as Error).message}.`, { cause: error });
    }
    try {
      this.#stream = createWriteStream('', { fd });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#closed = new Promise((resolve) => this.#stream.once('close', () => resolve()));
    this.#stream.on('error', (error) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#onError?.(new PopekError('serial-file-failed', `Popek could not write serial output to '${path}': ${error.message}. Further output is dropped.`, { cause: error }));
    });
  }

  /** Output bytes dropped (the file fell behind, or writing failed). */
  get droppedOutput(): number {
    return this.#dropped;
  }

  /** Appends guest output (copied). */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.#failed || this.#ending || this.#stream.writableLength + bytes.length > this.#maxPendingOutput) {
      this.#dropped += bytes.length;
      return;
    }
    this.#stream.write(Buffer.from(bytes));
  }

  /** A file gives no input. */
  connect(_receiver: CharReceiver): void {}

  /** A file gives no input. */
  ready(): void {}

  /** Writes what is queued and closes the file; resolves when it is closed. */
  close(): Promise<void> {
    if (!this.#ending) {
      this.#ending = true;
      this.#stream.end();
    }
    return this.#closed;
  }

  /** Closes the file (pending output is still written). */
  dispose(): void {
    void this.close();
  }

  /** Closes with the machine. */
  onDispose(): void {
    this.dispose();
  }
}
