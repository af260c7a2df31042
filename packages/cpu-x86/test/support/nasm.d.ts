/** Whether nasm is on the PATH. */
export declare const hasNasm: boolean;
/** Assembles `source` as a flat binary (`nasm -f bin`) and returns its bytes (cached by source). */
export declare function assemble(source: string): Uint8Array;
//# sourceMappingURL=nasm.d.ts.map