// The host-differential suite of @popek/cpu-x86 (37,000 generated cases against the host CPU),
// run under the binary translator.
import './use-bt.js';
import '../../cpu-x86/test/native/differential.spec.js';
