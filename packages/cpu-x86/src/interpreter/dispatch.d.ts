/**
 * The interpreter's dispatch table: one handler per opcode index (`op` for one-byte opcodes,
 * `0x100 | op` for `0F op`), built from the opcode table's rows. An index with no row in the
 * table, or a row marked unimplemented, dispatches to #UD.
 */
import type { X86Cpu } from '../cpu.js';
/** An instruction handler: decodes the rest of its instruction from `c.ip` and executes it. */
export type Handler = (c: X86Cpu) => void;
/** A fresh copy of the dispatch table (each CPU owns one, so a policy can wrap entries). */
export declare function buildDispatchTable(): Handler[];
/** Whether opcode index `i` has a handler other than #UD (for the coverage table). */
export declare function hasHandler(i: number): boolean;
//# sourceMappingURL=dispatch.d.ts.map