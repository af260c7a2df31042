import { ContainerModule, DeviceContribution, InterruptController, IrqSink, StateUpgradeContribution } from '@popek/core';
import { AcpiPm } from './acpi-pm.js';
import { ElcrControl } from './elcr-control.js';
import { I8042Controller } from './i8042-controller.js';
import { KeyboardInput } from './keyboard-input.js';
import { MouseInput } from './mouse-input.js';
import { Pic8259Pair } from './pic-8259-pair.js';
import { PIT_STATE_UPGRADES, Pit8254 } from './pit-8254.js';
import { PowerButton } from './power-button.js';
import { ResetControlRegister } from './reset-control-register.js';
import { RtcCmos } from './rtc-cmos.js';
import { SystemControlPortA } from './system-control-port-a.js';

/** The chipset devices a module can contribute. */
export type PcChipsetDevice = 'pic' | 'pit' | 'rtc' | 'i8042' | 'port-a' | 'reset-control' | 'acpi-pm';

/** Every chipset device, in the order the full PC binds them. */
export const ALL_PC_CHIPSET_DEVICES: readonly PcChipsetDevice[] = ['pic', 'pit', 'rtc', 'i8042', 'port-a', 'reset-control', 'acpi-pm'];

/**
 * The bindings of a chipset made of `devices`: each device class once, as a singleton, aliased to
 * `DeviceContribution` and to the roles it plays. A smaller machine (a microvm) takes a subset.
 * The profile may bind `CmosOptions` (the RTC's start time; its memory size defaults to the
 * bus's `MemoryLayout`) and `PicOptions`.
 */
export function createDevPcModule(devices: readonly PcChipsetDevice[] = ALL_PC_CHIPSET_DEVICES): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const device of new Set(devices)) {
      switch (device) {
        case 'pic':
          bind(Pic8259Pair).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(Pic8259Pair);
          bind(InterruptController).toService(Pic8259Pair);
          bind(IrqSink).toService(Pic8259Pair);
          bind(ElcrControl).toService(Pic8259Pair);
          break;
        case 'pit':
          bind(Pit8254).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(Pit8254);
          for (const upgrade of PIT_STATE_UPGRADES) bind(StateUpgradeContribution).toConstantValue(upgrade);
          break;
        case 'rtc':
          bind(RtcCmos).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(RtcCmos);
          break;
        case 'i8042':
          bind(I8042Controller).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(I8042Controller);
          bind(KeyboardInput).toService(I8042Controller);
          bind(MouseInput).toService(I8042Controller);
          break;
        case 'port-a':
          bind(SystemControlPortA).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(SystemControlPortA);
          break;
        case 'reset-control':
          bind(ResetControlRegister).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(ResetControlRegister);
          break;
        case 'acpi-pm':
          bind(AcpiPm).toSelf().inSingletonScope();
          bind(DeviceContribution).toService(AcpiPm);
          bind(PowerButton).toService(AcpiPm);
          break;
      }
    }
  });
}

/** The full PC chipset's bindings. */
export const devPcModule: ContainerModule = createDevPcModule();
