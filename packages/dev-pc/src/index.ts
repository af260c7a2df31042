/**
 * `@popek/dev-pc`: the PC chipset devices — the cascaded 8259A interrupt controllers with the
 * PIIX ELCR ({@link Pic8259Pair}), the 8254 interval timer with port 61h ({@link Pit8254}), the
 * MC146818 real-time clock and CMOS RAM ({@link RtcCmos}), the 8042 keyboard controller with a
 * PS/2 keyboard and mouse ({@link I8042Controller}), System Control Port A at 0x92
 * ({@link SystemControlPortA}), the reset control register at 0xCF9
 * ({@link ResetControlRegister}) and ACPI fixed-hardware power management ({@link AcpiPm}).
 *
 * Each is a core `Device`; {@link devPcModule} binds them all, and `@popek/dev-pc/plugin`
 * describes the plugin.
 *
 * @packageDocumentation
 */
export { ByteRegisterWindow, SingleByteWindow } from './byte-register-window.js';
export { ByteQueue } from './byte-queue.js';
export { GuestLog } from './guest-log.js';
export { ElcrControl } from './elcr-control.js';
export { PicOptions } from './pic-options.js';
export { CmosOptions, DEFAULT_RTC_START_SECONDS } from './cmos-options.js';
export { KeyboardInput } from './keyboard-input.js';
export { MouseInput } from './mouse-input.js';
export { PowerButton } from './power-button.js';
export { Pic8259Chip } from './pic-8259-chip.js';
export { PIC_CASCADE_IR, PIC_ELCR_BASE, PIC_MASTER_BASE, PIC_SLAVE_BASE, Pic8259Pair } from './pic-8259-pair.js';
export { PitAccess, Pit8254Channel } from './pit-8254-channel.js';
export { PIT_BASE, PIT_HZ, PIT_MAX_OWED_TICKS, PIT_STATE_UPGRADES, PORT_B, Pit8254, pitTickAt, pitTickTime } from './pit-8254.js';
export { civilFromDays, dayOfWeek, daysFromCivil, type CivilDate } from './civil-time.js';
export { RTC_BASE, RtcCmos } from './rtc-cmos.js';
export { SC1_OVERRUN, SC2_OVERRUN, SC_BREAK, SC_EXTENDED, SET2_TO_SET1, keySequences, translateSet2ToSet1, type KeySequences } from './scancodes.js';
export { KEYBOARD_BUFFER_BYTES, Ps2Keyboard } from './ps2-keyboard.js';
export { MOUSE_BUFFER_BYTES, Ps2Mouse } from './ps2-mouse.js';
export { I8042_COMMAND_PORT, I8042_DATA_PORT, I8042Controller } from './i8042-controller.js';
export { PORT_A, SystemControlPortA } from './system-control-port-a.js';
export { RESET_CONTROL_PORT, ResetControlRegister } from './reset-control-register.js';
export { AcpiPm, AcpiRegisterBlock, PM1A_CNT_BLK, PM1A_EVT_BLK, PM_TIMER_HZ, PM_TMR_BLK, pmTimerTickAt } from './acpi-pm.js';
export { ALL_PC_CHIPSET_DEVICES, createDevPcModule, devPcModule, type PcChipsetDevice } from './dev-pc-module.js';
export { DEV_PC_PLUGIN_ID, plugin } from './plugin.js';
