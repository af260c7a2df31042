/*
 * PS/2 keyboard scancodes: scancode set 2 (what an AT/PS/2 keyboard sends) and the 8042
 * controller's translation to set 1 (IBM PS/2 Hardware Interface Technical Reference, "Keyboard
 * and Auxiliary Device Controller": translation table; "Keyboard Scan Codes", sets 1 and 2).
 */

/**
 * The 8042's set 2 → set 1 translation for codes 0x00–0x7F, row by row. Code 0x00 (the set 2
 * buffer-overrun code) becomes 0xFF, set 1's overrun code.
 */
const TRANSLATION_LOW: readonly number[] = [
  0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, // 0x00
  0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59, // 0x08
  0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, // 0x10
  0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b, // 0x18
  0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, // 0x20
  0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d, // 0x28
  0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, // 0x30
  0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f, // 0x38
  0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, // 0x40
  0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61, // 0x48
  0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, // 0x50
  0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76, // 0x58
  0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, // 0x60
  0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f, // 0x68
  0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, // 0x70
  0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54, // 0x78
];

/**
 * The full 256-entry translation table: codes 0x80–0xFF pass unchanged except 0x83 (F7 in set 2)
 * and 0x84 (Alt+SysRq), which become 0x41 and 0x54. Responses (ACK 0xFA, BAT 0xAA, ID 0xAB)
 * therefore pass unchanged, and the keyboard ID's 0x83 reads as 0x41 through translation.
 */
export const SET2_TO_SET1: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = i < 0x80 ? TRANSLATION_LOW[i]! : i;
  table[0x83] = 0x41;
  table[0x84] = 0x54;
  return table;
})();

/** Set 2 prefix of extended keys. */
export const SC_EXTENDED = 0xe0;
/** Set 2 prefix of a break (key release) code. */
export const SC_BREAK = 0xf0;
/** The overrun code in set 2 (and set 3); the controller translates it to 0xFF. */
export const SC2_OVERRUN = 0x00;
/** The overrun code in set 1. */
export const SC1_OVERRUN = 0xff;

/** An extended key: its set 2 code follows the 0xE0 prefix. */
const E = 0x100;

/**
 * Set 2 make codes of the keys, by W3C `KeyboardEvent.code`. Extended keys carry {@link E}.
 * PrintScreen and Pause have multi-byte sequences of their own (see {@link keySequences}).
 */
const SET2_MAKE: Readonly<Record<string, number>> = {
  Escape: 0x76, F1: 0x05, F2: 0x06, F3: 0x04, F4: 0x0c, F5: 0x03, F6: 0x0b, F7: 0x83, F8: 0x0a,
  F9: 0x01, F10: 0x09, F11: 0x78, F12: 0x07, ScrollLock: 0x7e,
  Backquote: 0x0e, Digit1: 0x16, Digit2: 0x1e, Digit3: 0x26, Digit4: 0x25, Digit5: 0x2e,
  Digit6: 0x36, Digit7: 0x3d, Digit8: 0x3e, Digit9: 0x46, Digit0: 0x45, Minus: 0x4e, Equal: 0x55,
  Backspace: 0x66, Tab: 0x0d, KeyQ: 0x15, KeyW: 0x1d, KeyE: 0x24, KeyR: 0x2d, KeyT: 0x2c,
  KeyY: 0x35, KeyU: 0x3c, KeyI: 0x43, KeyO: 0x44, KeyP: 0x4d, BracketLeft: 0x54, BracketRight: 0x5b,
  Backslash: 0x5d, CapsLock: 0x58, KeyA: 0x1c, KeyS: 0x1b, KeyD: 0x23, KeyF: 0x2b, KeyG: 0x34,
  KeyH: 0x33, KeyJ: 0x3b, KeyK: 0x42, KeyL: 0x4b, Semicolon: 0x4c, Quote: 0x52, Enter: 0x5a,
  ShiftLeft: 0x12, IntlBackslash: 0x61, KeyZ: 0x1a, KeyX: 0x22, KeyC: 0x21, KeyV: 0x2a, KeyB: 0x32,
  KeyN: 0x31, KeyM: 0x3a, Comma: 0x41, Period: 0x49, Slash: 0x4a, ShiftRight: 0x59,
  ControlLeft: 0x14, MetaLeft: E | 0x1f, AltLeft: 0x11, Space: 0x29, AltRight: E | 0x11,
  MetaRight: E | 0x27, ContextMenu: E | 0x2f, ControlRight: E | 0x14,
  Insert: E | 0x70, Home: E | 0x6c, PageUp: E | 0x7d, Delete: E | 0x71, End: E | 0x69,
  PageDown: E | 0x7a, ArrowUp: E | 0x75, ArrowLeft: E | 0x6b, ArrowDown: E | 0x72, ArrowRight: E | 0x74,
  NumLock: 0x77, NumpadDivide: E | 0x4a, NumpadMultiply: 0x7c, NumpadSubtract: 0x7b,
  NumpadAdd: 0x79, NumpadEnter: E | 0x5a, NumpadDecimal: 0x71, Numpad0: 0x70, Numpad1: 0x69,
  Numpad2: 0x72, Numpad3: 0x7a, Numpad4: 0x6b, Numpad5: 0x73, Numpad6: 0x74, Numpad7: 0x6c,
  Numpad8: 0x75, Numpad9: 0x7d, IntlRo: 0x51, IntlYen: 0x6a, KanaMode: 0x13, Convert: 0x64,
  NonConvert: 0x67,
};

/** The bytes a key sends when pressed and released, in set 2 and in set 1. */
export interface KeySequences {
  /** Set 2 make code. */
  readonly make2: Uint8Array;
  /** Set 2 break code (empty for Pause, which has none). */
  readonly break2: Uint8Array;
  /** Set 1 make code. */
  readonly make1: Uint8Array;
  /** Set 1 break code. */
  readonly break1: Uint8Array;
}

/** Translates a set 2 byte sequence to set 1 as the 8042 does (0xF0 sets bit 7 of the next code). */
export function translateSet2ToSet1(set2: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  let released = false;
  for (let i = 0; i < set2.length; i++) {
    const b = set2[i]! & 0xff;
    if (b === SC_BREAK) {
      released = true;
      continue;
    }
    out.push(SET2_TO_SET1[b]! | (released ? 0x80 : 0));
    released = false;
  }
  return Uint8Array.from(out);
}

function sequences(make2: number[], break2: number[]): KeySequences {
  return {
    make2: Uint8Array.from(make2),
    break2: Uint8Array.from(break2),
    make1: translateSet2ToSet1(make2),
    break1: translateSet2ToSet1(break2),
  };
}

/** Every key's sequences, computed once, by `KeyboardEvent.code`. */
export const keySequences: ReadonlyMap<string, KeySequences> = (() => {
  const map = new Map<string, KeySequences>();
  for (const [code, value] of Object.entries(SET2_MAKE)) {
    const prefix = (value & E) !== 0 ? [SC_EXTENDED] : [];
    const sc = value & 0xff;
    map.set(code, sequences([...prefix, sc], [...prefix, SC_BREAK, sc]));
  }
  // PrintScreen is sent as fake-shift + keypad-asterisk; Pause has no break code.
  map.set('PrintScreen', sequences([0xe0, 0x12, 0xe0, 0x7c], [0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12]));
  map.set('Pause', sequences([0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77], []));
  return map;
})();
