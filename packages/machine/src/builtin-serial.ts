import type { PluginDescriptor } from '@popek/core';
import type { SerialTiming } from '@popek/dev-serial';
import { serialPlugin } from '@popek/dev-serial/plugin';

/**
 * The line pacing of the built-in profiles' COM1 when the host asks for none: `fast`. Linux's
 * serial console busy-waits on THRE for every character, so with `realistic` pacing the Debian
 * boot spends 2.1 of its 4.8 billion guest instructions waiting for the line (deterministic mode),
 * and in realtime mode each character costs a whole slice. QEMU, v86 and Firecracker transmit at
 * once too. A host that wants the chip's timing asks for `realistic` (`MachineConfig.serialTiming`).
 */
export const BUILTIN_SERIAL_TIMING: SerialTiming = 'fast';

/**
 * The serial plugin of the built-in profiles: a 16550A on COM1 (device id `com1`) with the given
 * line pacing.
 *
 * @param timing - line pacing (default {@link BUILTIN_SERIAL_TIMING})
 * @throws `PopekError` (`serial-options-invalid`) for a timing that is neither `realistic` nor `fast`
 */
export function builtinSerialPlugin(timing: SerialTiming = BUILTIN_SERIAL_TIMING): PluginDescriptor {
  return serialPlugin({ ports: [{ index: 1, id: 'com1' }], timing });
}
