import { serviceId } from '@popek/core';

/** Host-side pointer input for a relative pointing device (the PS/2 mouse). */
export interface MouseInput {
  /**
   * Moves the pointer by `dx` (right positive) and `dy` (down positive, as screens count),
   * turning the wheel by `dz` (towards the user positive). Returns false when dropped.
   */
  moveMouse(dx: number, dy: number, dz?: number): boolean;
  /**
   * Sets the buttons held: bit 0 left, bit 1 right, bit 2 middle, bits 3–4 the side buttons
   * (reported only to a guest that enabled 5-button mode). Returns false when dropped.
   */
  setMouseButtons(buttons: number): boolean;
}

/** The machine's mouse input (the i8042 binds itself here). */
export const MouseInput = serviceId<MouseInput>('@popek/dev-pc:MouseInput');
