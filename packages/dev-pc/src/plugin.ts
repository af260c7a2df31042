import { CORE_API_VERSION, Capability, definePlugin, type PluginDescriptor } from '@popek/core';
import { devPcModule } from './dev-pc-module.js';

/** The plugin id. */
export const DEV_PC_PLUGIN_ID = '@popek/dev-pc';

/**
 * The PC chipset plugin: 8259A PIC pair with ELCR, 8254 PIT with port 61h, MC146818 RTC/CMOS,
 * i8042 with PS/2 keyboard and mouse, port 92h, the 0xCF9 reset register and ACPI PM.
 */
export const plugin: PluginDescriptor = definePlugin({
  id: DEV_PC_PLUGIN_ID,
  kind: 'chipset',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.InterruptController, Capability.Timer, 'rtc', 'keyboard-controller', 'acpi-pm'],
  requires: [Capability.Bus],
  description: 'PC chipset: 8259A PIC pair, 8254 PIT, MC146818 RTC/CMOS, i8042 with PS/2 keyboard and mouse, port 92h, reset control, ACPI PM',
  module: devPcModule,
});
