import type { CharBackend } from '@popek/core';
import { NullCharBackend } from '../null-char-backend.js';
import { parseSerialSpec, type SerialSpec } from '../serial-spec.js';
import { FileCharBackend, type FileCharBackendOptions } from './file-char-backend.js';
import { StdioCharBackend, type StdioCharBackendOptions } from './stdio-char-backend.js';
import { TcpCharBackend, type TcpCharBackendOptions } from './tcp-char-backend.js';

/** Options of the backends {@link openCharBackend} can make. */
export interface OpenCharBackendOptions {
  /** For `stdio`. */
  readonly stdio?: StdioCharBackendOptions;
  /** For `file:PATH`. */
  readonly file?: FileCharBackendOptions;
  /** For `tcp:…` (host and port come from the spec). */
  readonly tcp?: Omit<TcpCharBackendOptions, 'host' | 'port'>;
  /** Called when input arrives on a stdio or TCP backend, unless their own options set it (pass `() => machine.wake()`). */
  readonly onInput?: () => void;
}

/**
 * Makes the backend a spec names (`stdio`, `file:PATH`, `tcp:HOST:PORT`, `none`), ready to use:
 * the file is open and the TCP listener listening.
 *
 * @throws `PopekError` for a bad spec, a file that cannot be opened or a port that cannot be listened on
 */
export async function openCharBackend(spec: string | SerialSpec, options: OpenCharBackendOptions = {}): Promise<CharBackend> {
  const parsed = typeof spec === 'string' ? parseSerialSpec(spec) : spec;
  switch (parsed.kind) {
    case 'none':
      return new NullCharBackend();
    case 'stdio':
      return new StdioCharBackend({ ...(options.onInput ? { onInput: options.onInput } : {}), ...options.stdio });
    case 'file':
      return new FileCharBackend(parsed.path, options.file);
    case 'tcp':
      return TcpCharBackend.listen({ ...(options.onInput ? { onInput: options.onInput } : {}), ...options.tcp, host: parsed.host, port: parsed.port });
  }
}
