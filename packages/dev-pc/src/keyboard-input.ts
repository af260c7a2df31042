import { serviceId } from '@popek/core';

/**
 * Host-side keyboard input, for keyboard backends (a terminal, a browser canvas). Keys are
 * named by their W3C `KeyboardEvent.code` (`KeyA`, `Enter`, `ArrowUp`, `ShiftLeft`).
 */
export interface KeyboardInput {
  /**
   * Presses the key `code`. Returns false when the input was dropped: unknown key, scanning
   * disabled by the guest, or the keyboard's buffer full.
   */
  pressKey(code: string): boolean;
  /** Releases the key `code` (same result as {@link pressKey}). */
  releaseKey(code: string): boolean;
  /**
   * Queues raw bytes from the keyboard, in scancode set 2 as the keyboard sends them (the
   * controller translates them to set 1 when the guest asked for translation). Returns false
   * when they did not all fit; then none is queued.
   */
  sendScancodes(bytes: ArrayLike<number>): boolean;
}

/** The machine's keyboard input (the i8042 binds itself here). */
export const KeyboardInput = serviceId<KeyboardInput>('@popek/dev-pc:KeyboardInput');
