import type { MachineProfile } from '@popek/core';
import { plugin as bus } from '@popek/bus/plugin';
import { plugin as cpu } from '@popek/cpu-x86/plugin';
import { plugin as chipset } from '@popek/dev-pc/plugin';
import { plugin as firmware } from '@popek/firmware/plugin';
import { plugin as mmu } from '@popek/mmu/plugin';
import { builtinSerialPlugin } from './builtin-serial.js';

/**
 * The `pc` profile: an i440FX/PIIX3-class PC with no BIOS. In dependency order: the bus (memory
 * map, ports, PCI), the MMU, the CPU, the chipset (PIC pair, PIT, RTC/CMOS, i8042, port 0x92,
 * 0xCF9 reset, ACPI PM), COM1 (with `fast` line pacing: see `BUILTIN_SERIAL_TIMING`), and the
 * firmware that loads the kernel and writes the ACPI tables.
 * Device issues add their plugins to this list (IDE, VGA, virtio-net, USB).
 */
export const pcProfile: MachineProfile = {
  id: 'pc',
  description: 'PC (i440FX/PIIX3-class chipset, ACPI, COM1, direct kernel boot)',
  plugins: [bus, mmu, cpu, chipset, builtinSerialPlugin(), firmware],
};

/**
 * The kernel command line the `pc` profile boots with when none is given: the console on COM1 at
 * 115200 baud, reboot at once on a panic, and `cryptomgr.notests`, which skips the kernel's
 * crypto self-tests — on Debian's 6.1 kernel they spend about 3.7 billion instructions of
 * multi-precision arithmetic (the large Diffie-Hellman groups) before `init` starts, more than
 * the rest of the boot after decompression. Pass `--append` to boot with other options.
 */
export const PC_DEFAULT_CMDLINE = 'console=ttyS0,115200 panic=-1 cryptomgr.notests';
