// The system kernels of @popek/cpu-x86 (protected mode, rings and gates, paging, task switches,
// v8086, real mode, VME), run under the binary translator: the output must be what qemu printed.
import './use-bt.js';
import '../../cpu-x86/test/system/system.spec.js';
