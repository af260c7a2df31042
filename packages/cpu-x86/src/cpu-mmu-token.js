import { serviceId } from '@popek/core';
/**
 * The MMU as the CPU receives it. The CPU module aliases it to `@popek/mmu`'s `Mmu` class token,
 * so a profile binds the MMU once; tests bind any {@link CpuMmu}-shaped object.
 */
export const CpuMmuToken = serviceId('@popek/cpu-x86:CpuMmu');
//# sourceMappingURL=cpu-mmu-token.js.map