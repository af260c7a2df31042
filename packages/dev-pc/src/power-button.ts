import { serviceId } from '@popek/core';

/** The machine's ACPI power button, as the host presses it (for an orderly guest shutdown). */
export interface PowerButton {
  /** Presses the power button: sets PWRBTN_STS, raising the SCI if the guest enabled it. */
  pressPowerButton(): void;
}

/** The machine's power button (the ACPI PM device binds itself here). */
export const PowerButton = serviceId<PowerButton>('@popek/dev-pc:PowerButton');
