// The gcc-built programs of @popek/cpu-x86, run under the binary translator against the host.
import './use-bt.js';
import '../../cpu-x86/test/native/programs.spec.js';
