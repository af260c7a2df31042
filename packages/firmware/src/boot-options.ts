import { PopekError, serviceId } from '@popek/core';

/** What the Linux boot loader loads: a bzImage, an optional initrd and a command line. */
export interface LinuxBootOptions {
  /** Selects the Linux boot protocol. */
  readonly kind: 'linux';
  /** The bzImage file's bytes (the host reads the file; the firmware never touches the host). */
  readonly kernel: Uint8Array;
  /** The initial ramdisk's bytes, if any. */
  readonly initrd?: Uint8Array;
  /** The kernel command line. */
  readonly cmdline: string;
  /** How messages name the kernel (the path it came from); default `The kernel image`. */
  readonly kernelName?: string;
  /** How messages name the initrd; default `The initrd`. */
  readonly initrdName?: string;
  /**
   * Whether the loader hands the kernel a random seed (default true): a `SETUP_RNG_SEED` entry in `boot_params.setup_data` (boot protocol 2.09 and later)
   * that Linux mixes into its entropy pool and credits, so that its random number generator is
   * ready from the start instead of deriving every early random number from an empty pool. The
   * bytes come from the host's random number generator in realtime clock mode and are a
   * function of the boot configuration in deterministic mode, so that a deterministic run
   * replays exactly.
   */
  readonly rngSeed?: boolean;
}

/** One Multiboot boot module: its bytes and the string the kernel sees for it. */
export interface MultibootModule {
  /** The module's bytes. */
  readonly data: Uint8Array;
  /** The module's command line (GRUB passes the module's path and arguments). */
  readonly cmdline: string;
}

/** What the Multiboot loader loads: a Multiboot v1 kernel, its modules and a command line. */
export interface MultibootBootOptions {
  /** Selects the Multiboot v1 protocol. */
  readonly kind: 'multiboot';
  /** The kernel file's bytes (ELF32, or any format with the a.out kludge). */
  readonly kernel: Uint8Array;
  /** Boot modules, loaded page-aligned after the kernel in the order given. */
  readonly modules?: readonly MultibootModule[];
  /** The kernel command line. */
  readonly cmdline: string;
  /** How messages name the kernel (the path it came from); default `The kernel image`. */
  readonly kernelName?: string;
}

/** The boot image of a machine: what its firmware loads on power-on and on every reset. */
export type BootOptions = LinuxBootOptions | MultibootBootOptions;

/** The machine's boot image; the host binds it (the CLI reads the files). */
export const BootOptions = serviceId<BootOptions>('@popek/firmware:BootOptions');

/** Options of the ACPI tables the firmware writes. */
export interface AcpiOptions {
  /** Whether to write ACPI tables (RSDP, RSDT/XSDT, FADT, FACS, DSDT). Default `true`. */
  readonly enabled: boolean;
}

/** The machine's ACPI options; optional, {@link DEFAULT_ACPI_OPTIONS} when not bound. */
export const AcpiOptions = serviceId<AcpiOptions>('@popek/firmware:AcpiOptions');

/** The ACPI options used when the host binds none: tables enabled. */
export const DEFAULT_ACPI_OPTIONS: AcpiOptions = Object.freeze({ enabled: true });

/** Longest command line (bytes) the firmware accepts, whatever the kernel claims: 64 KiB. */
export const MAX_CMDLINE_BYTES = 0x1_0000;

/**
 * Checks the shape of boot options given by a host (possibly from untyped JavaScript), so that a
 * mistake is a clear `PopekError` (`boot-options-invalid`) rather than a crash later.
 *
 * @returns the options, typed
 */
export function validateBootOptions(value: unknown): BootOptions {
  const fail = (what: string): never => {
    throw new PopekError('boot-options-invalid', `The boot options are invalid: ${what}.`);
  };
  if (value === null || typeof value !== 'object') fail('they are not an object');
  const o = value as Record<string, unknown>;
  if (o['kind'] !== 'linux' && o['kind'] !== 'multiboot') fail(`'kind' must be 'linux' or 'multiboot', not ${JSON.stringify(o['kind'])}`);
  if (!(o['kernel'] instanceof Uint8Array)) fail(`'kernel' must be the image's bytes (a Uint8Array)`);
  if (typeof o['cmdline'] !== 'string') fail(`'cmdline' must be a string`);
  for (const key of ['kernelName', 'initrdName']) {
    if (o[key] !== undefined && typeof o[key] !== 'string') fail(`'${key}' must be a string`);
  }
  checkCmdline(o['cmdline'] as string, 'the kernel command line');
  if (o['kind'] === 'linux') {
    if (o['initrd'] !== undefined && !(o['initrd'] instanceof Uint8Array)) fail(`'initrd' must be the initrd's bytes (a Uint8Array)`);
    if (o['rngSeed'] !== undefined && typeof o['rngSeed'] !== 'boolean') fail(`'rngSeed' must be true or false`);
  } else {
    const modules = o['modules'];
    if (modules !== undefined) {
      if (!Array.isArray(modules)) fail(`'modules' must be an array`);
      (modules as unknown[]).forEach((m, i) => {
        if (m === null || typeof m !== 'object') fail(`module ${i} is not an object`);
        const mod = m as Record<string, unknown>;
        if (!(mod['data'] instanceof Uint8Array)) fail(`module ${i}'s 'data' must be its bytes (a Uint8Array)`);
        if (typeof mod['cmdline'] !== 'string') fail(`module ${i}'s 'cmdline' must be a string`);
        checkCmdline(mod['cmdline'] as string, `module ${i}'s command line`);
      });
    }
  }
  return value as BootOptions;
}

function checkCmdline(text: string, what: string): void {
  if (text.includes('\0')) {
    throw new PopekError('boot-options-invalid', `The boot options are invalid: ${what} contains a NUL character, which would end it early.`);
  }
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_CMDLINE_BYTES) {
    throw new PopekError(
      'boot-options-invalid',
      `The boot options are invalid: ${what} is ${bytes} bytes long; Popek accepts at most ${MAX_CMDLINE_BYTES}.`,
    );
  }
}
