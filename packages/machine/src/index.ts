/**
 * `@popek/machine`: the machine profiles Popek ships (`pc`, `microvm`) — composition roots that
 * assemble the CPU, MMU, bus, chipset, serial port and firmware — and `createMachine`, which binds
 * a run's host options (memory, boot image, serial backend, clock) and builds the machine.
 *
 * @packageDocumentation
 */
export { PC_DEFAULT_CMDLINE, pcProfile } from './pc-profile.js';
export { MICROVM_DEFAULT_CMDLINE, microvmChipsetPlugin, microvmProfile } from './microvm-profile.js';
export { BUILTIN_PROFILES, findProfile, type BuiltinProfile } from './profiles.js';
export { MEMORY_LIMITS_MIB, createMachine, hostModule, type MachineConfig } from './machine-config.js';
export { BUILTIN_SERIAL_TIMING, builtinSerialPlugin } from './builtin-serial.js';
export { BUILTIN_CPU_MODES, findCpuMode, type BuiltinCpuMode } from './cpu-modes.js';
