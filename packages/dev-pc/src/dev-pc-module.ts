import { ContainerModule, DeviceContribution, InterruptController, IrqSink } from '@popek/core';
import { AcpiPm } from './acpi-pm.js';
import { ElcrControl } from './elcr-control.js';
import { I8042Controller } from './i8042-controller.js';
import { KeyboardInput } from './keyboard-input.js';
import { MouseInput } from './mouse-input.js';
import { Pic8259Pair } from './pic-8259-pair.js';
import { Pit8254 } from './pit-8254.js';
import { PowerButton } from './power-button.js';
import { ResetControlRegister } from './reset-control-register.js';
import { RtcCmos } from './rtc-cmos.js';
import { SystemControlPortA } from './system-control-port-a.js';

/**
 * The PC chipset's bindings: each device class once, as a singleton, aliased to
 * `DeviceContribution` and to the roles it plays. The profile may bind `CmosOptions` (the RTC's
 * start time; its memory size defaults to the bus's `MemoryLayout`) and `PicOptions`.
 */
export const devPcModule = new ContainerModule(({ bind }) => {
  bind(Pic8259Pair).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(Pic8259Pair);
  bind(InterruptController).toService(Pic8259Pair);
  bind(IrqSink).toService(Pic8259Pair);
  bind(ElcrControl).toService(Pic8259Pair);

  bind(Pit8254).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(Pit8254);

  bind(RtcCmos).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(RtcCmos);

  bind(I8042Controller).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(I8042Controller);
  bind(KeyboardInput).toService(I8042Controller);
  bind(MouseInput).toService(I8042Controller);

  bind(SystemControlPortA).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(SystemControlPortA);

  bind(ResetControlRegister).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(ResetControlRegister);

  bind(AcpiPm).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(AcpiPm);
  bind(PowerButton).toService(AcpiPm);
});
