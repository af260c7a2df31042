import {
  A20Gate,
  BootProcessorState,
  Clock,
  crc32,
  GuestMemory,
  inject,
  injectable,
  MemoryLayout,
  optional,
  PopekError,
  type CoreClock,
  type LifecycleContribution,
  type Snapshotable,
  type StateRecord,
  type StateValue,
} from '@popek/core';
import { AcpiTables, placeAcpiTables, type AcpiPlacement } from './acpi-tables.js';
import { AcpiOptions, BootOptions, DEFAULT_ACPI_OPTIONS, validateBootOptions } from './boot-options.js';
import { deterministicRngSeed, LinuxBootLoader, RNG_SEED_BYTES, type LinuxBootPlan } from './linux-boot-loader.js';
import { MultibootLoader, type MultibootPlan } from './multiboot-loader.js';

/** The plan of whichever protocol the boot options select. */
export type BootPlan =
  | {
      /** The Linux boot protocol. */
      readonly kind: 'linux';
      /** What the Linux loader writes and sets. */
      readonly plan: LinuxBootPlan;
    }
  | {
      /** Multiboot v1. */
      readonly kind: 'multiboot';
      /** What the Multiboot loader writes and sets. */
      readonly plan: MultibootPlan;
    };

/**
 * What identifies a machine's boot configuration: the protocol, CRC-32s of the images, the
 * command lines and whether ACPI is on. It is the firmware's snapshot state, and a host may put it
 * in `MachineOptions.identity` so that a snapshot is refused before anything is restored when the
 * boot image differs.
 */
export function bootFingerprint(options: BootOptions, acpi: AcpiOptions = DEFAULT_ACPI_OPTIONS): StateRecord {
  if (options.kind === 'linux') {
    return {
      kind: 'linux',
      kernelCrc32: crc32(options.kernel),
      kernelBytes: options.kernel.length,
      initrdCrc32: options.initrd === undefined ? null : crc32(options.initrd),
      initrdBytes: options.initrd?.length ?? 0,
      cmdline: options.cmdline,
      acpi: acpi.enabled,
    };
  }
  return {
    kind: 'multiboot',
    kernelCrc32: crc32(options.kernel),
    kernelBytes: options.kernel.length,
    modules: (options.modules ?? []).map((m) => ({ crc32: crc32(m.data), bytes: m.data.length, cmdline: m.cmdline })),
    cmdline: options.cmdline,
    acpi: acpi.enabled,
  };
}

/**
 * The machine's firmware: at build it validates the boot image and plans its loading (so a bad
 * image makes `Machine.build` throw a `PopekError` before anything runs); at power-on and
 * every reset it opens the A20 gate, writes the ACPI tables, loads the image and sets the CPU's
 * entry state.
 *
 * Its snapshot state is the boot configuration's fingerprint ({@link bootFingerprint}): guest
 * memory and the CPU hold everything else, and their owners save them. Restoring a snapshot taken
 * with a different kernel, initrd, modules or command line fails with `snapshot-mismatch`, since
 * the next reset would boot something else than the snapshot's guest.
 */
@injectable()
export class BootFirmware implements LifecycleContribution, Snapshotable {
  readonly snapshotId = 'firmware';
  readonly stateType = '@popek/firmware:BootFirmware';
  readonly stateVersion = 1;

  readonly #memory: GuestMemory;
  readonly #layout: MemoryLayout;
  readonly #cpu: BootProcessorState;
  readonly #options: BootOptions | undefined;
  readonly #acpiOptions: AcpiOptions;
  readonly #a20: A20Gate | undefined;
  readonly #clock: CoreClock | undefined;
  #plan: BootPlan | undefined;
  #fingerprint: StateRecord | undefined;

  /**
   * @param memory - guest RAM
   * @param layout - the memory layout, for the memory map
   * @param cpu - the CPU's boot-time state interface
   * @param options - the boot image (bound by the host); its absence is reported at build
   * @param acpiOptions - ACPI options; tables enabled when not bound
   * @param a20 - the A20 gate, opened before loading, when the machine has one
   * @param clock - the machine's clock: in realtime mode a Linux kernel's random seed comes from
   *   the host, otherwise it is a function of the boot configuration
   */
  constructor(
    @inject(GuestMemory) memory: GuestMemory,
    @inject(MemoryLayout) layout: MemoryLayout,
    @inject(BootProcessorState) cpu: BootProcessorState,
    @inject(BootOptions) @optional() options: BootOptions | undefined,
    @inject(AcpiOptions) @optional() acpiOptions: AcpiOptions | undefined,
    @inject(A20Gate) @optional() a20: A20Gate | undefined,
    @inject(Clock) @optional() clock?: CoreClock,
  ) {
    this.#clock = clock;
    this.#memory = memory;
    this.#layout = layout;
    this.#cpu = cpu;
    this.#options = options;
    if (acpiOptions !== undefined && typeof acpiOptions.enabled !== 'boolean') {
      throw new PopekError('acpi-options-invalid', `The ACPI options are invalid: 'enabled' must be true or false.`);
    }
    this.#acpiOptions = acpiOptions ?? DEFAULT_ACPI_OPTIONS;
    this.#a20 = a20;
  }

  /** The current plan (after build). */
  get plan(): BootPlan | undefined {
    return this.#plan;
  }

  onBuild(): void {
    this.#plan = this.#makePlan();
  }

  onReset(): void {
    const plan = (this.#plan ??= this.#makePlan());
    this.#a20?.setA20(true);
    if (plan.kind === 'linux') new LinuxBootLoader(this.#memory, this.#layout).load(plan.plan, this.#cpu, this.#rngSeed());
    else new MultibootLoader(this.#memory, this.#layout).load(plan.plan, this.#cpu);
  }

  saveState(): StateValue {
    return this.#ownFingerprint();
  }

  loadState(state: StateValue): void {
    const mine = stableJson(this.#ownFingerprint());
    const theirs = stableJson(state);
    if (mine !== theirs) {
      throw new PopekError(
        'snapshot-mismatch',
        'The snapshot was taken with a different boot image (kernel, initrd, modules or command line) or ACPI setting; start Popek with the same ones to restore it.',
      );
    }
  }

  /**
   * The random seed for a Linux kernel: fresh from the host's generator at every reset in
   * realtime mode; in deterministic mode (or without a clock, or a host without Web Crypto) a
   * function of the boot configuration's fingerprint, the same at every run.
   */
  #rngSeed(): Uint8Array {
    const host = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
    if (this.#clock?.mode === 'realtime' && host?.getRandomValues !== undefined) return host.getRandomValues(new Uint8Array(RNG_SEED_BYTES));
    return deterministicRngSeed(new TextEncoder().encode(stableJson(this.#ownFingerprint())));
  }

  #ownFingerprint(): StateRecord {
    return (this.#fingerprint ??= bootFingerprint(this.#requireOptions(), this.#acpiOptions));
  }

  #requireOptions(): BootOptions {
    if (this.#options === undefined) {
      throw new PopekError('kernel-missing', 'The machine has firmware but no boot image: give it a kernel to boot.');
    }
    return validateBootOptions(this.#options);
  }

  #makePlan(): BootPlan {
    const options = this.#requireOptions();
    const acpi: AcpiPlacement | undefined = this.#acpiOptions.enabled ? placeAcpiTables(this.#memory, new AcpiTables()) : undefined;
    if (options.kind === 'linux') return { kind: 'linux', plan: new LinuxBootLoader(this.#memory, this.#layout).plan(options, acpi) };
    return { kind: 'multiboot', plan: new MultibootLoader(this.#memory, this.#layout).plan(options, acpi) };
  }
}

/** JSON with record keys sorted, so that equal states compare equal whatever their key order. */
function stableJson(value: StateValue): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return typeof v === 'bigint' ? `${v}n` : v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
