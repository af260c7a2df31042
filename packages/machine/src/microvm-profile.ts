import { CORE_API_VERSION, Capability, definePlugin, type MachineProfile } from '@popek/core';
import { plugin as bus } from '@popek/bus/plugin';
import { plugin as cpu } from '@popek/cpu-x86/plugin';
import { createDevPcModule } from '@popek/dev-pc';
import { plugin as firmware } from '@popek/firmware/plugin';
import { plugin as mmu } from '@popek/mmu/plugin';
import { builtinSerialPlugin } from './builtin-serial.js';

/**
 * The chipset of a `microvm`: the PIC pair and the PIT, and the i8042 only for its reset line (as
 * Firecracker keeps it) — no RTC, no port 0x92, no ACPI.
 */
export const microvmChipsetPlugin = definePlugin({
  id: '@popek/machine:microvm-chipset',
  kind: 'chipset',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.InterruptController, Capability.Timer, 'keyboard-controller'],
  requires: [Capability.Bus],
  description: 'PIC pair, PIT and the i8042 reset line',
  module: createDevPcModule(['pic', 'pit', 'i8042']),
});

/**
 * The `microvm` profile: the least a Linux guest needs — CPU, RAM, PIC and PIT, COM1 and direct
 * kernel boot without ACPI. COM1 paces its line `fast`, as on `pc`. The guest's `poweroff` halts
 * the CPU (there is no ACPI to turn the power off); `reboot` resets it through the i8042.
 */
export const microvmProfile: MachineProfile = {
  id: 'microvm',
  description: 'minimal machine (PIC, PIT, COM1, no ACPI, direct kernel boot)',
  plugins: [bus, mmu, cpu, microvmChipsetPlugin, builtinSerialPlugin(), firmware],
};

/** The kernel command line the `microvm` profile boots with when none is given (see `PC_DEFAULT_CMDLINE`). */
export const MICROVM_DEFAULT_CMDLINE = 'console=ttyS0,115200 panic=-1 cryptomgr.notests acpi=off reboot=k';
