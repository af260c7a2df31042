/**
 * How an instruction relates to virtualization (Popek & Goldberg; Robin & Irvine for x86). A CPU
 * mode (trap-and-emulate, binary translation, hardware assist) is a policy over these classes.
 */
export declare const InstructionClass: {
    /** Behaves identically at every privilege level and in every mode. */
    readonly Ordinary: 0;
    /** Raises #GP (or #UD) when executed at CPL > 0: the classic trapping instructions. */
    readonly Privileged: 1;
    /** Traps only depending on IOPL or the TSS I/O bitmap (IN, OUT, INS, OUTS, CLI, STI). */
    readonly IoSensitive: 2;
    /**
     * Sensitive but unprivileged: reads or changes privileged state without trapping at CPL > 0
     * (POPF, PUSHF, SGDT, SIDT, SLDT, SMSW, STR, LAR, LSL, VERR, VERW, MOV from CS/SS, PUSH CS/SS,
     * far CALL/JMP/RET, INT n, IRET): the virtualization holes of x86.
     */
    readonly Sensitive: 3;
};
/** One of the {@link InstructionClass} values. */
export type InstructionClass = (typeof InstructionClass)[keyof typeof InstructionClass];
/**
 * What follows the opcode (and ModRM/SIB/displacement): `''` nothing, `b` 8 bits, `w` 16 bits,
 * `z` 16 or 32 bits by operand size, `p` a far pointer (offset by operand size, then a 16-bit
 * selector), `o` a memory offset by address size, `wb` 16 then 8 bits (ENTER).
 */
export type ImmediateKind = '' | 'b' | 'w' | 'z' | 'p' | 'o' | 'wb';
/** One instruction form of the opcode map. */
export interface OpcodeForm {
    /** Opcode: `0x00`–`0xFF` for one-byte opcodes, `0x0F00`–`0x0FFF` for two-byte ones. */
    readonly opcode: number;
    /** The ModRM reg field that selects this form in a group opcode (`/digit`), or -1. */
    readonly ext: number;
    /** Mnemonic (SDM spelling). */
    readonly mnemonic: string;
    /** Operands in SDM Appendix A notation (`Eb,Gb`). */
    readonly operands: string;
    /** Whether a ModRM byte follows the opcode. */
    readonly modrm: boolean;
    /** The immediate that follows. */
    readonly imm: ImmediateKind;
    /** The virtualization class. */
    readonly cls: InstructionClass;
    /** EFLAGS bits the SDM calls undefined after this instruction (masked in comparisons). */
    readonly undefinedFlags: number;
    /** Whether a LOCK prefix is allowed (with a memory destination); otherwise LOCK raises #UD. */
    readonly lockable: boolean;
    /** `mem`: the r/m operand must be memory (register form #UD); `reg`: must be a register. */
    readonly rmKind: 'any' | 'mem' | 'reg';
    /** Whether the interpreter implements the form (false: it raises #UD as the P6 does not have it). */
    readonly implemented: boolean;
    /** Short note (for the coverage table). */
    readonly note: string;
}
/** Every instruction form, in opcode order. */
export declare const OPCODE_FORMS: readonly OpcodeForm[];
/** Per-opcode decoding facts, indexed by `opcode` (0–255) or `0x100 + second byte` for 0F xx. */
export interface OpcodeInfo {
    /** Whether the opcode exists on the P6 (undefined opcodes raise #UD). */
    readonly defined: boolean;
    /** Whether a ModRM byte follows. */
    readonly modrm: boolean;
    /** The immediate (for groups whose forms differ, F6/F7, that of /0; see {@link immediateOf}). */
    readonly imm: ImmediateKind;
    /** The forms of this opcode (one, or one per ModRM reg value for groups). */
    readonly forms: readonly OpcodeForm[];
}
/** Per-opcode information: index `op` for one-byte opcodes, `0x100 | op` for `0F op`. */
export declare const OPCODE_INFO: readonly OpcodeInfo[];
/** The form of opcode index `index` (see {@link OPCODE_INFO}) selected by ModRM `modrm`, if any. */
export declare function formOf(index: number, modrm: number): OpcodeForm | undefined;
/** The immediate of a form, accounting for groups whose forms differ (F6/F7 /0 /1 take one). */
export declare function immediateOf(index: number, modrm: number): ImmediateKind;
/** A compact per-index class table (the first form's class, or the most sensitive in a group). */
export declare const OPCODE_CLASS: Uint8Array;
//# sourceMappingURL=opcode-table.d.ts.map