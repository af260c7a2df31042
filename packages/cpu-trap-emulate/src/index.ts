/**
 * `@popek/cpu-trap-emulate`: classic trap-and-emulate, simulated over the interpreter. Guest
 * kernel code runs deprivileged; privileged instructions trap to the monitor and are emulated
 * and counted; x86's sensitive-unprivileged instructions run with their deprivileged semantics
 * and each virtualization hole is recorded — or, with `virtualizable: true`, trap too.
 *
 * @packageDocumentation
 */
export { TrapEmulateMode } from './trap-emulate-mode.js';
export type { BrokenGuest, BrokenGuestCause, HarmfulHole, InterruptHarm } from './interrupt-watchdog.js';
export {
  DEFAULT_HINT,
  TrapEmulateOptions,
  resolveTrapEmulateOptions,
  type ResolvedTrapEmulateOptions,
} from './trap-emulate-options.js';
export { HostState } from './host-state.js';
export { HoleRecord, hex16, hex32, type VirtualizationHole } from './virtualization-hole.js';
export { DescriptorQuery, accessRightsOf, queryDescriptor } from './descriptor-query.js';
export { trapEmulateModule, trapEmulateOptionsModule } from './trap-emulate-module.js';
