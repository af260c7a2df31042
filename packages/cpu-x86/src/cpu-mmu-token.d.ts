import type { CpuMmu } from './cpu-mmu.js';
/**
 * The MMU as the CPU receives it. The CPU module aliases it to `@popek/mmu`'s `Mmu` class token,
 * so a profile binds the MMU once; tests bind any {@link CpuMmu}-shaped object.
 */
export declare const CpuMmuToken: import("@popek/core").ServiceId<CpuMmu>;
//# sourceMappingURL=cpu-mmu-token.d.ts.map