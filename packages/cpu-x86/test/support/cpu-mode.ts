/**
 * The CPU mode the shared test runners (host differential, compiled programs, system kernels)
 * install: none by default (the reference interpreter). A CPU-mode package reuses these suites by
 * importing a module that calls {@link useTestCpuMode} before it imports the spec files.
 */
import type { HostArena } from '@popek/core';
import type { ExecutionPolicy } from '../../src/execution-policy.js';
import type { TestCpu } from './machine.js';

/** Makes the CPU mode for one test CPU (built with the real MMU and the direct strategy). */
export type TestCpuModeFactory = (t: TestCpu) => ExecutionPolicy;

let factory: TestCpuModeFactory | undefined;
let arenaFactory: (() => HostArena) | undefined;

/**
 * Runs the shared suites under the mode `make` returns (undefined: the interpreter); with
 * `arena`, each test CPU's RAM, TLB and registers come from the arena it returns.
 */
export function useTestCpuMode(make: TestCpuModeFactory | undefined, arena?: () => HostArena): void {
  factory = make;
  arenaFactory = arena;
}

/** A fresh host arena for a test CPU, when the mode asked for one. */
export function testCpuArena(): HostArena | undefined {
  return arenaFactory?.();
}

/** The mode the suites run under. */
export function testCpuMode(): TestCpuModeFactory | undefined {
  return factory;
}
