import { readFile, stat, writeFile } from 'node:fs/promises';
import { PopekError, type CharBackend, type Machine } from '@popek/core';
import { openCharBackend } from '@popek/dev-serial';
import { BUILTIN_CPU_MODES, createMachine, findProfile } from '@popek/machine';
import { buildDefaultGuest } from '../guest/guest-builder.js';
import type { RunOptions } from './cli-options.js';
import { GatedCharBackend } from './gated-char-backend.js';
import { progressPrinter, type CliIo } from './main.js';

/** Reads a file the user named, with one clear message when it cannot be read. */
export async function readUserFile(path: string, what: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PopekError(`${what}-missing`, `The ${what} file '${path}' does not exist.`);
    throw new PopekError(`${what}-unreadable`, `The ${what} file '${path}' cannot be read (${code ?? String(error)}).`);
  }
  if (!info.isFile()) throw new PopekError(`${what}-unreadable`, `The ${what} '${path}' is not a file.`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new PopekError(`${what}-unreadable`, `The ${what} file '${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
}

/** The kernel and initrd a run boots: the user's, or the default guest's (built when missing). */
async function bootFiles(options: RunOptions, io: CliIo): Promise<{ kernel: string; initrd?: string }> {
  if (options.kernel !== undefined) return { kernel: options.kernel, ...(options.initrd !== undefined ? { initrd: options.initrd } : {}) };
  const guest = await buildDefaultGuest({ onProgress: (p) => (p.phase === 'cached' ? undefined : progressPrinter(io.stderr)(p)) });
  return { kernel: guest.kernelPath, initrd: guest.initrdPath };
}

/**
 * `popek run`: builds the machine the options describe, connects COM1, optionally restores a
 * snapshot, runs until the guest powers off or the user quits, and returns the exit status
 * (0 for power-off or quit, 1 for a triple fault with `--no-reboot`).
 */
export async function runCommand(options: RunOptions, io: CliIo): Promise<number> {
  const builtin = findProfile(options.profile);
  if (!BUILTIN_CPU_MODES.has(options.cpuMode)) {
    throw new PopekError('bad-option', `There is no CPU mode '${options.cpuMode}'; the CPU modes are: ${[...BUILTIN_CPU_MODES.keys()].join(', ')}.\nRun 'popek help' for the options.`);
  }
  if (options.mmu !== 'direct') {
    throw new PopekError('bad-option', `The MMU strategy '${options.mmu}' is not available yet; the strategies are: direct.\nRun 'popek help' for the options.`);
  }
  const files = await bootFiles(options, io);
  const kernel = await readUserFile(files.kernel, 'kernel');
  const initrd = files.initrd !== undefined ? await readUserFile(files.initrd, 'initrd') : undefined;
  const restore = options.restore !== undefined ? await readUserFile(options.restore, 'snapshot') : undefined;

  let machine: Machine | undefined;
  const notice = (text: string): void => void io.stderr.write(`\r\n[popek] ${text}\r\n`);
  const onEscape = (key: number): void => {
    const m = machine;
    if (m === undefined) return;
    const k = String.fromCharCode(key).toLowerCase();
    if (k === 'x') {
      notice('quit');
      m.stop();
    } else if (k === 's') {
      m.saveSnapshot().then(
        (bytes) => writeFile(options.snapshotFile, bytes).then(() => notice(`snapshot saved to ${options.snapshotFile} (${(bytes.length / 1e6).toFixed(1)} MB)`)),
        (error: unknown) => notice(`the snapshot could not be saved: ${(error as Error).message}`),
      ).catch((error: unknown) => notice(`the snapshot could not be written: ${(error as Error).message}`));
    } else if (k === 'h') {
      notice('Ctrl-A X quit · Ctrl-A S save a snapshot · Ctrl-A Ctrl-A send Ctrl-A');
    }
  };
  const host: CharBackend = await openCharBackend(options.serial, { stdio: { onEscape }, onInput: () => machine?.wake() });
  // Host input waits until the machine runs: a byte delivered to the UART while a snapshot is
  // being restored would be overwritten by the restored state.
  const serial = new GatedCharBackend(host);

  machine = createMachine({
    profile: options.profile,
    cpuMode: options.cpuMode,
    memoryMiB: options.memoryMiB,
    boot: {
      kind: 'linux',
      kernel,
      ...(initrd !== undefined ? { initrd } : {}),
      cmdline: options.append ?? builtin.defaultCmdline,
      kernelName: `The kernel '${files.kernel}'`,
      ...(files.initrd !== undefined ? { initrdName: `The initrd '${files.initrd}'` } : {}),
      ...(options.noRngSeed ? { rngSeed: false } : {}),
    },
    clock: options.clock,
    // The guest's RTC starts at the host's time in realtime mode; deterministic runs use a fixed date.
    ...(options.clock === 'realtime' ? { startTimeSeconds: Math.floor(Date.now() / 1000) } : {}),
    serial,
    serialTiming: options.serialTiming,
    onTripleFault: options.noReboot ? 'stop' : 'reset',
  });
  const m = machine;
  try {
    if (restore !== undefined) await m.restoreSnapshot(restore);
    if (options.noReboot) m.events.on('reset', (e) => e.reason === 'guest' && m.stop());
    m.events.on('log', (e) => e.level !== 'info' && notice(`${e.source}: ${e.message}`));
    const running = m.run();
    serial.open();
    const exit = await running;
    switch (exit.reason) {
      case 'power-off':
      case 'stopped':
        return 0;
      case 'triple-fault':
        io.stderr.write('popek: the guest triple-faulted (the CPU shut down) and --no-reboot is set, so the machine stopped.\n');
        return 1;
      case 'error':
        throw exit.error;
    }
  } finally {
    m.dispose();
  }
}
