/**
 * The slice of `@popek/mmu`'s `Mmu` that the CPU uses, as a structural type: the CPU's hot paths
 * read `tlb` directly and call `translate` on a miss. The real `Mmu` class satisfies it; tests
 * may pass any object of this shape.
 */
export interface CpuMmu {
    /** Indexed by linear page number (`linear >>> 12`): host page offset | `TlbFlag`s of `@popek/mmu`; 0 = no entry. */
    readonly tlb: Int32Array;
    /**
     * Translates `linear` for an access of `kind` (`AccessKind` of `@popek/mmu`), filling the TLB. Returns the
     * guest-physical address (A20 applied) or -1 after storing the fault in `faultErrorCode` and
     * `faultAddress`.
     */
    translate(linear: number, kind: number, user: boolean): number;
    /** The #PF error code of the last failed translation. */
    readonly faultErrorCode: number;
    /** The linear address of the last failed translation (CR2). */
    readonly faultAddress: number;
    /**
     * Tells the MMU the new CR0, CR3, CR4 and EFER (flushes as the architecture requires);
     * `register` names the register written (0, 3, 4; `@popek/mmu` ControlRegister).
     */
    setControl(cr0: number, cr3: number, cr4: number, efer: number, register?: number): void;
    /** Whether the control-register write would load a PAE PDPTE with reserved bits (→ #GP(0)). */
    pdpteLoadFaults?(cr0: number, cr3: number, cr4: number, efer: number, register?: number): boolean;
    /** Tells the strategy about a write that took the slow path (shadow paging traces page tables). */
    notifyPhysicalWrite?(physical: number, width: number): void;
    /** Invalidates the translation of one linear page. */
    invlpg(linear: number): void;
    /** Invalidates every translation, global ones included. */
    flushAll(): void;
}
//# sourceMappingURL=cpu-mmu.d.ts.map