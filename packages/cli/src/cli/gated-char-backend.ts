import type { CharBackend, CharReceiver, LifecycleContribution } from '@popek/core';

/**
 * Wraps a character backend and holds host input back until {@link GatedCharBackend.open} is
 * called. A host opens it once the machine is ready to run: input that reached a device before a
 * snapshot was restored into it would be overwritten by the restored state and lost.
 */
export class GatedCharBackend implements CharBackend, LifecycleContribution {
  #open = false;
  #receiver: CharReceiver | undefined;

  /** @param inner - the backend whose input is held back */
  constructor(private readonly inner: CharBackend) {}

  write(bytes: Uint8Array): void {
    this.inner.write(bytes);
  }

  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.inner.connect({
      canAccept: () => (this.#open ? receiver.canAccept() : 0),
      accept: (bytes) => receiver.accept(bytes),
    });
  }

  ready(): void {
    if (this.#open) this.inner.ready();
  }

  /** Lets input through from now on. */
  open(): void {
    this.#open = true;
    if (this.#receiver !== undefined) this.inner.ready();
  }

  /** Releases the wrapped backend's host resources (a terminal in raw mode, a socket). */
  onDispose(): void {
    (this.inner as Partial<LifecycleContribution>).onDispose?.();
  }
}
