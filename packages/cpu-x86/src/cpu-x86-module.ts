import { BootProcessorState, ContainerModule, NmiLine, Processor } from '@popek/core';
import { Mmu } from '@popek/mmu';
import { CpuMmuToken } from './cpu-mmu-token.js';
import { X86Cpu } from './cpu.js';

/**
 * The CPU's bindings: the class once, then its roles, and the MMU it uses (`@popek/mmu`'s `Mmu`,
 * bound by the MMU plugin). The profile or host also binds `CpuOptions` (may be `{}`).
 */
export const cpuX86Module = new ContainerModule(({ bind }) => {
  bind(X86Cpu).toSelf().inSingletonScope();
  bind(Processor).toService(X86Cpu);
  bind(BootProcessorState).toService(X86Cpu);
  bind(NmiLine).toService(X86Cpu);
  bind(CpuMmuToken).toService(Mmu);
});
