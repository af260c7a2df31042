import { readFileSync } from 'node:fs';
import { isPopekError } from '@popek/core';
import { buildDefaultGuest, defaultGuestCacheDir, type GuestBuildProgress } from '../guest/guest-builder.js';
import { USAGE, parseCommandLine, type GuestFetchOptions, type RunOptions } from './cli-options.js';

/** Where the command writes: the process's streams, or buffers in tests. */
export interface CliIo {
  /** Normal output. */
  readonly stdout: NodeJS.WritableStream;
  /** Progress and error messages. */
  readonly stderr: NodeJS.WritableStream;
}

/** The command that runs a machine, supplied by the host (so this module stays free of machine code). */
export type RunHandler = (options: RunOptions, io: CliIo) => Promise<number>;

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** The version of the `popek` command. */
export function popekVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Shows guest-build progress: a rewritten line on a terminal, one line per step elsewhere. */
export function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean }): (p: GuestBuildProgress) => void {
  let lastPhase = '';
  return (p) => {
    if (p.phase === 'download' && p.done !== undefined) {
      if (!stream.isTTY) {
        if (lastPhase !== `download:${p.message}`) stream.write(`${p.message}\n`);
        lastPhase = `download:${p.message}`;
        return;
      }
      const percent = p.total ? ` ${Math.floor((100 * p.done) / p.total)}%` : '';
      stream.write(`\r${p.message}${percent} (${(p.done / 1e6).toFixed(1)} MB)\x1b[K`);
      lastPhase = 'download';
      return;
    }
    if (lastPhase === 'download' && stream.isTTY) stream.write('\n');
    lastPhase = p.phase;
    stream.write(`${p.phase === 'warning' ? 'warning: ' : ''}${p.message}\n`);
  };
}

/** Builds (or finds in the cache) the default guest, showing progress. */
export async function fetchGuest(options: GuestFetchOptions, io: CliIo): Promise<{ kernelPath: string; initrdPath: string }> {
  const guest = await buildDefaultGuest({
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.mirror !== undefined ? { mirror: options.mirror } : {}),
    onProgress: progressPrinter(io.stderr),
  });
  return guest;
}

/**
 * Runs the `popek` command with `argv` (without the node and script paths) and returns the exit
 * status. Errors a user can act on are printed as one message; anything else is reported as a bug.
 */
export async function main(argv: readonly string[], run: RunHandler, io: CliIo = processIo): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    switch (command.name) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case 'version':
        io.stdout.write(`popek ${popekVersion()}\n`);
        return 0;
      case 'guest-path':
        io.stdout.write(`${command.options.cacheDir ?? defaultGuestCacheDir()}\n`);
        return 0;
      case 'guest-fetch': {
        const guest = await fetchGuest(command.options, io);
        io.stdout.write(`kernel: ${guest.kernelPath}\ninitrd: ${guest.initrdPath}\n`);
        return 0;
      }
      case 'run':
        return await run(command.options, io);
    }
  } catch (error) {
    if (isPopekError(error)) {
      io.stderr.write(`popek: ${error.message}\n`);
      return error.code === 'bad-option' ? 2 : 1;
    }
    io.stderr.write(`popek: internal error — this is a bug in Popek; please report it with the text below.\n${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
