import { serviceId } from '@popek/core';

/**
 * The options of the RTC/CMOS device, bound by the profile. Without them (or without
 * `memoryBytes`) the memory size comes from the machine's `MemoryLayout` (the bus).
 */
export interface CmosOptions {
  /** Guest RAM in bytes, reported in the CMOS memory-size bytes as SeaBIOS and QEMU do. */
  readonly memoryBytes?: number;
  /**
   * The wall-clock time at power-on, in seconds since 1970-01-01 00:00:00 UTC. The device never
   * reads the host clock: a realtime profile passes the host time here; the default is
   * {@link DEFAULT_RTC_START_SECONDS}, so deterministic runs see the same date every time.
   */
  readonly startTimeSeconds?: number;
  /**
   * How much of the RAM lies below 4 GiB (the rest is above, after the PCI hole). Default: from
   * the `MemoryLayout` when the memory size comes from it, else `min(memoryBytes, 0xE000_0000)`.
   */
  readonly belowFourGigBytes?: number;
}

/** The RTC/CMOS options. */
export const CmosOptions = serviceId<CmosOptions>('@popek/dev-pc:CmosOptions');

/** The default power-on time: 2025-01-01 00:00:00 UTC. */
export const DEFAULT_RTC_START_SECONDS = 1_735_689_600;
