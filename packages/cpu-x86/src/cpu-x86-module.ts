import { BootProcessorState, ContainerModule, NmiLine, Processor } from '@popek/core';
import { X86Cpu } from './cpu.js';

/**
 * The CPU's bindings: the class once, then its roles. The profile also binds `CpuOptions` (may be
 * `{}`), and the MMU plugin (or a test) provides `CpuMmuToken`.
 */
export const cpuX86Module = new ContainerModule(({ bind }) => {
  bind(X86Cpu).toSelf().inSingletonScope();
  bind(Processor).toService(X86Cpu);
  bind(BootProcessorState).toService(X86Cpu);
  bind(NmiLine).toService(X86Cpu);
});
