/**
 * Makes the CPU package's shared test runners (host differential, compiled programs, system
 * kernels) build their CPUs under trap-and-emulate on a virtualizable x86. Import it before the
 * shared spec files.
 */
import { useTestCpuMode } from '../../../cpu-x86/test/support/cpu-mode.js';
import { TrapEmulateMode } from '../../src/trap-emulate-mode.js';

useTestCpuMode((t) => new TrapEmulateMode(t.metrics, { virtualizable: true }));
