/**
 * The x87 FPU of `@popek/cpu-x86`: the {@link X87} unit the CPU calls for opcodes D8–DF, its
 * memory and context interfaces, and the 80-bit arithmetic unit it is built on.
 *
 * @packageDocumentation
 */
export { X87, X87Result, X87_STATE_VERSION, type X87Context, type X87Memory } from './x87.js';
export { Float80Unit, FloatClass, classify } from './float80-unit.js';
export { FCW, FCW_DEFAULT, FSW, RoundingControl, Tag } from './x87-registers.js';
