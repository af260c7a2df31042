/**
 * The CPU package's own suites, run under trap-and-emulate on a virtualizable x86: the host
 * differential and the compiled programs run at CPL 3 (the mode's engine runs them; nothing
 * traps), the system kernels at CPL 0 (their privileged and sensitive instructions trap). Every
 * result must be what the suites require of the bare interpreter.
 */
import './support/use-trap-emulate.js';
import '../../cpu-x86/test/system/system.spec.js';
import '../../cpu-x86/test/native/differential.spec.js';
import '../../cpu-x86/test/native/programs.spec.js';
