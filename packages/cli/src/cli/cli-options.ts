import { parseArgs } from 'node:util';
import { PopekError } from '@popek/core';
import type { SerialTiming } from '@popek/dev-serial';

/** What `popek run` was asked to do. */
export interface RunOptions {
  /** Path of the kernel image; absent: the default guest's. */
  readonly kernel?: string;
  /** Path of the initial ramdisk; absent: the default guest's (only when the kernel is too). */
  readonly initrd?: string;
  /** The kernel command line; absent: the profile's default. */
  readonly append?: string;
  /** Guest RAM in MiB. */
  readonly memoryMiB: number;
  /** The machine profile. */
  readonly profile: string;
  /** The CPU virtualization technique. */
  readonly cpuMode: string;
  /** The MMU strategy. */
  readonly mmu: string;
  /** Where COM1 goes: `stdio`, `file:PATH`, `tcp:HOST:PORT` or `none`. */
  readonly serial: string;
  /** How COM1 paces its line: at once (`fast`), or at the programmed baud rate (`realistic`). */
  readonly serialTiming: SerialTiming;
  /** Guest time: follows host time, or follows executed instructions. */
  readonly clock: 'realtime' | 'deterministic';
  /** A snapshot to continue from. */
  readonly restore?: string;
  /** Where Ctrl-A S saves snapshots. */
  readonly snapshotFile: string;
  /** Stop instead of resetting when the guest reboots or triple-faults. */
  readonly noReboot: boolean;
  /** Give the kernel no random seed at boot (it then gathers its entropy from interrupts). */
  readonly noRngSeed: boolean;
}

/** What `popek guest fetch` was asked to do. */
export interface GuestFetchOptions {
  /** The Debian mirror. */
  readonly mirror?: string;
  /** Where built guests are cached. */
  readonly cacheDir?: string;
}

/** A parsed command line. */
export type Command =
  | {
      /** Run a machine. */
      readonly name: 'run';
      /** Its options. */
      readonly options: RunOptions;
    }
  | {
      /** Build the default guest (`fetch`) or print where it is cached (`path`). */
      readonly name: 'guest-fetch' | 'guest-path';
      /** Its options. */
      readonly options: GuestFetchOptions;
    }
  | {
      /** Print help or the version. */
      readonly name: 'help' | 'version';
    };

/** The usage text of `popek`. */
export const USAGE = `Usage:
  popek run [options]        boot a machine (the default Debian guest unless --kernel is given)
  popek guest fetch          download Debian's i386 kernel and busybox, build the default guest
  popek guest path           print where the default guest is cached
  popek help | --version

Options of popek run:
  --kernel FILE              kernel image (bzImage or Multiboot)
  --initrd FILE              initial ramdisk
  --append TEXT              kernel command line
  --memory MIB               guest RAM in MiB (default 256)
  --profile NAME             machine profile: pc (default) or microvm
  --cpu-mode MODE            CPU technique: bt (binary translation, default),
                             interpreter, trap-emulate, trap-emulate-virtualizable
  --mmu STRATEGY             MMU strategy: direct (default)
  --serial SPEC              COM1: stdio (default), file:PATH, tcp:HOST:PORT or none
  --serial-timing MODE       COM1's line pacing: fast (default; characters go out at
                             once) or realistic (one per character time at the baud rate)
  --clock MODE               realtime (default) or deterministic
  --restore FILE             continue from a snapshot taken with Ctrl-A S
  --snapshot-file FILE       where Ctrl-A S saves (default popek.snapshot)
  --no-reboot                stop instead of resetting on reboot or triple fault
  --no-rng-seed              boot the kernel without a random seed in its boot
                             parameters (by default it gets 32 bytes: from the host's
                             random generator, or fixed ones with --clock deterministic)

On a terminal, Ctrl-A X quits, Ctrl-A S saves a snapshot, Ctrl-A Ctrl-A sends Ctrl-A.

Options of popek guest fetch:
  --mirror URL               Debian mirror (default http://deb.debian.org/debian)
  --cache-dir DIR            cache directory (default ~/.cache/popek)`;

function bad(message: string): PopekError {
  return new PopekError('bad-option', `${message}\nRun 'popek help' for the options.`);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw bad(`--${name} must be one of ${allowed.join(', ')}; '${value}' is not.`);
  }
  return value as T;
}

/**
 * Parses `popek`'s arguments (without the node and script paths).
 *
 * @throws {@link PopekError} (`bad-option`) with one clear message for an unknown command or
 *   option, a missing value, or a value out of range
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { name: 'help' };
  if (command === '--version' || command === 'version') return { name: 'version' };
  if (command === 'guest') {
    const [sub, ...args] = rest;
    if (sub !== 'fetch' && sub !== 'path') throw bad(`'popek guest' takes 'fetch' or 'path', not '${sub ?? ''}'.`);
    const values = parse(args, { mirror: { type: 'string' }, 'cache-dir': { type: 'string' } });
    return {
      name: sub === 'fetch' ? 'guest-fetch' : 'guest-path',
      options: { ...(values['mirror'] !== undefined ? { mirror: values['mirror'] as string } : {}), ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] as string } : {}) },
    };
  }
  if (command !== 'run') throw bad(`'${command}' is not a popek command.`);
  const v = parse(rest, {
    kernel: { type: 'string' },
    initrd: { type: 'string' },
    append: { type: 'string' },
    memory: { type: 'string' },
    profile: { type: 'string' },
    'cpu-mode': { type: 'string' },
    mmu: { type: 'string' },
    serial: { type: 'string' },
    'serial-timing': { type: 'string' },
    clock: { type: 'string' },
    restore: { type: 'string' },
    'snapshot-file': { type: 'string' },
    'no-reboot': { type: 'boolean' },
    'no-rng-seed': { type: 'boolean' },
  });
  const memoryText = (v['memory'] as string | undefined) ?? '256';
  if (!/^\d+$/.test(memoryText)) throw bad(`--memory takes a whole number of MiB; '${memoryText}' is not one.`);
  const memoryMiB = Number(memoryText);
  if (memoryMiB < 16 || memoryMiB > 2000) throw bad(`--memory must be between 16 and 2000 MiB; ${memoryMiB} is not.`);
  if (v['initrd'] !== undefined && v['kernel'] === undefined) throw bad('--initrd needs --kernel (without --kernel Popek boots the default guest, which has its own initrd).');
  const serial = (v['serial'] as string | undefined) ?? 'stdio';
  if (!/^(stdio|none|file:.+|tcp:[^:]+:\d+)$/.test(serial)) throw bad(`--serial takes stdio, none, file:PATH or tcp:HOST:PORT; '${serial}' is none of them.`);
  const str = (k: string): string | undefined => v[k] as string | undefined;
  return {
    name: 'run',
    options: {
      ...(str('kernel') !== undefined ? { kernel: str('kernel')! } : {}),
      ...(str('initrd') !== undefined ? { initrd: str('initrd')! } : {}),
      ...(str('append') !== undefined ? { append: str('append')! } : {}),
      ...(str('restore') !== undefined ? { restore: str('restore')! } : {}),
      memoryMiB,
      profile: str('profile') ?? 'pc',
      cpuMode: str('cpu-mode') ?? 'bt',
      mmu: str('mmu') ?? 'direct',
      serial,
      serialTiming: oneOf<SerialTiming>('serial-timing', str('serial-timing') ?? 'fast', ['fast', 'realistic']),
      clock: oneOf('clock', str('clock') ?? 'realtime', ['realtime', 'deterministic'] as const),
      snapshotFile: str('snapshot-file') ?? 'popek.snapshot',
      noReboot: v['no-reboot'] === true,
      noRngSeed: v['no-rng-seed'] === true,
    },
  };
}

type Spec = Record<string, { type: 'string' | 'boolean' }>;

function parse(args: readonly string[], options: Spec): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw bad(`unexpected argument '${positionals[0]}'.`);
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof PopekError) throw error;
    const code = (error as { code?: string }).code;
    const m = /'(-{1,2}[^']+)'/.exec((error as Error).message);
    const option = m?.[1] ?? 'an option';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw bad(`${option} is not an option of this command.`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw bad(`${option.split(' ')[0]} needs a value.`);
    throw bad((error as Error).message);
  }
}
