import {
  charBackendId,
  inject,
  injectable,
  optional,
  stringField,
  type CharBackend,
  type Device,
  type DeviceResources,
  type StateValue,
} from '@popek/core';

/** The port Bochs and QEMU use for their debug console. */
export const DEBUG_PORT = 0xe9;

/** The id of the debug console device; its backend is bound under `charBackendId('debugcon')`. */
export const DEBUG_PORT_ID = 'debugcon';

/**
 * The port 0xE9 debug console: a byte the guest writes with `out 0xe9, al` goes to the host;
 * a read returns 0xE9, which is how guests (and Bochs-aware kernels) detect it.
 *
 * It has no interrupt, no DMA and almost no state: the bytes of a line not yet flushed are kept
 * (bounded) so a snapshot taken mid-line loses nothing.
 */
@injectable()
export class DebugPort implements Device {
  readonly id = DEBUG_PORT_ID;
  readonly snapshotId = DEBUG_PORT_ID;
  readonly stateType = 'popek-example-debug-port:DebugPort';
  readonly stateVersion = 1;

  /** The longest line kept before it is flushed anyway: guest input cannot grow it further. */
  static readonly MAX_LINE = 4096;

  #line: number[] = [];

  /** @param backend - where the bytes go; without one they are dropped */
  constructor(@inject(charBackendId(DEBUG_PORT_ID)) @optional() private readonly backend: CharBackend | undefined) {}

  resources(): DeviceResources {
    return {
      ports: [
        {
          name: 'console',
          size: 1,
          base: DEBUG_PORT,
          handler: {
            read: () => DEBUG_PORT,
            write: (_offset, _width, value) => this.#put(value & 0xff),
          },
        },
      ],
    };
  }

  attach(): void {}

  reset(): void {
    this.#line = [];
  }

  #put(byte: number): void {
    this.#line.push(byte);
    if (byte === 0x0a || this.#line.length >= DebugPort.MAX_LINE) {
      this.backend?.write(Uint8Array.from(this.#line));
      this.#line = [];
    }
  }

  saveState(): StateValue {
    return { pending: String.fromCharCode(...this.#line) };
  }

  loadState(state: StateValue): void {
    const pending = stringField(state, 'pending');
    this.#line = Array.from(pending.slice(0, DebugPort.MAX_LINE), (c) => c.charCodeAt(0) & 0xff);
  }
}
