import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PopekError, type Machine } from '@popek/core';
import { PC_DEFAULT_CMDLINE, createMachine } from '@popek/machine';
import { ScriptedConsole, type ConsoleStep } from '@popek/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDefaultGuest, type DefaultGuest } from './guest/guest-builder.js';

/*
 * End to end: Debian's stock i386 kernel and a busybox initramfs, booted on the `pc` profile to an
 * interactive shell, driven through COM1 as a person would, in deterministic clock mode.
 */

const PROMPT = 'popek:/root# ';
const MEMORY_MIB = 256;
/** The file whose checksum the guest computes: the output of `seq 1 20000`. */
const SEQ_TEXT = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');
const SLICE = 20_000_000;
const MAX_INSTRUCTIONS = 40_000_000_000;

let guest: DefaultGuest;

function bootMachine(console: ScriptedConsole, cpuMode: string): Machine {
  return createMachine({
    profile: 'pc',
    cpuMode,
    memoryMiB: MEMORY_MIB,
    boot: { kind: 'linux', kernel: kernelBytes, initrd: initrdBytes, cmdline: PC_DEFAULT_CMDLINE },
    clock: 'deterministic',
    serial: console,
  });
}

let kernelBytes: Uint8Array;
let initrdBytes: Uint8Array;

/** Runs `machine` in slices until `done()` or power-off; returns whether it powered off. */
function runUntil(machine: Machine, done: () => boolean): boolean {
  let poweredOff = false;
  const off = machine.events.on('power-off', () => (poweredOff = true));
  let total = 0;
  while (!done() && !poweredOff && total < MAX_INSTRUCTIONS) total += machine.runInstructions(SLICE) || 1;
  off();
  return poweredOff;
}

/** The commands typed at the prompt, after the snapshot point; each waits for the next prompt. */
const session: readonly ConsoleStep[] = [
  { expect: PROMPT, send: 'cat /proc/cpuinfo\n' },
  { expect: PROMPT, send: 'dmesg | grep crng\n' },
  { expect: PROMPT, send: 'seq 1 20000 > /tmp/seq; sha256sum /tmp/seq\n' },
  { expect: PROMPT, send: 'poweroff\n' },
  { expect: 'reboot: Power down' },
];
const FIRST_COMMAND = 'uname -a\n';

/**
 * One boot under `cpuMode`: to the first prompt, a snapshot there (between slices, as a host
 * takes one), then the session. Every boot of the test takes exactly the same path, so their
 * transcripts compare whatever the CPU mode: the guest cannot tell the technique, and guest time
 * counts retired instructions, which every mode retires identically.
 */
async function bootAndRunSession(cpuMode = 'interpreter'): Promise<{ transcript: string; snapshot: Uint8Array; poweredOff: boolean }> {
  const console = new ScriptedConsole([{ expect: PROMPT }]);
  const machine = bootMachine(console, cpuMode);
  runUntil(machine, () => console.finished);
  // Let the shell finish setting up its line editor (it switches the terminal to raw mode, which
  // discards typeahead) and sit idle at the prompt, as it is when a person starts typing: a
  // second of guest time, mostly skipped idle time.
  machine.runInstructions(100_000_000);
  const snapshot = await machine.saveSnapshot();
  console.continueWith(FIRST_COMMAND, session);
  const poweredOff = runUntil(machine, () => console.finished);
  machine.dispose();
  return { transcript: console.text, snapshot, poweredOff };
}

describe('Debian i386 Linux on the pc profile', () => {
  beforeAll(async () => {
    guest = await buildDefaultGuest();
    kernelBytes = new Uint8Array(await readFile(guest.kernelPath));
    initrdBytes = new Uint8Array(await readFile(guest.initrdPath));
  }, 600_000);

  let first: Awaited<ReturnType<typeof bootAndRunSession>> | undefined;

  it('boots to the busybox shell, runs commands, and powers off', async () => {
    first = await bootAndRunSession();
    const text = first.transcript;
    expect(text).toContain(`Linux popek ${guest.kernelRelease} #1 SMP PREEMPT_DYNAMIC Debian ${guest.kernelVersion}`);
    expect(text).toMatch(/model name\s*: .+/);
    expect(text).toMatch(/flags\s*: fpu .*tsc .*cx8 .*cmov/);
    // The loader's random seed made the kernel's generator ready before it started its clocks.
    expect(text).toContain('[    0.000000] random: crng init done');
    const sha = createHash('sha256').update(SEQ_TEXT).digest('hex');
    expect(text).toContain(`${sha}  /tmp/seq`);
    expect(text).toContain('reboot: Power down');
    expect(first.poweredOff).toBe(true);
  }, 1_800_000);

  /** Where two transcripts first differ, for the failure message. */
  function sameTranscript(a: string, b: string): string | undefined {
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    return at === a.length && a.length === b.length ? undefined : `the transcripts differ from character ${at}: ${JSON.stringify(b.slice(at, at + 80))}`;
  }

  it('gives a byte-identical transcript and snapshot when booted again, under binary translation', async () => {
    expect(first, 'the first boot did not run').toBeDefined();
    const second = await bootAndRunSession('bt');
    const diff = sameTranscript(first!.transcript, second.transcript);
    expect(diff === undefined, diff).toBe(true);
    expect(Buffer.compare(first!.snapshot, second.snapshot), 'the snapshots at the prompt differ').toBe(0);
  }, 1_800_000);

  it('gives the same transcript under trap-and-emulate on a virtualizable x86', async () => {
    expect(first, 'the first boot did not run').toBeDefined();
    const third = await bootAndRunSession('trap-emulate-virtualizable');
    const diff = sameTranscript(first!.transcript, third.transcript);
    expect(diff === undefined, diff).toBe(true);
  }, 1_800_000);

  it('under classic trap-and-emulate on the real x86, stops with a report of the hole that broke the guest', () => {
    // Linux 6.1 saves the interrupt flag with PUSHF and restores it with STI: deprivileged, PUSHF
    // shows the host's IF=1, so the kernel re-enables interrupts inside a section it had
    // disabled them for, and a timer handler deadlocks on a lock the interrupted code holds.
    const console = new ScriptedConsole([{ expect: PROMPT }]);
    const machine = bootMachine(console, 'trap-emulate');
    let error: unknown;
    try {
      runUntil(machine, () => console.finished);
    } catch (e) {
      error = e;
    } finally {
      machine.dispose();
    }
    expect(error, 'the guest was not stopped').toBeInstanceOf(PopekError);
    const hole = error as PopekError;
    expect(hole.code).toBe('virtualization-hole');
    expect(hole.message).toMatch(/The hole that broke it: PUSHF at 0x[0-9a-f]{8} showed the host's IF=1/);
    expect(hole.message).toContain("--cpu-mode trap-emulate-virtualizable");
    expect(console.text).not.toContain(PROMPT);
  }, 1_800_000);

  it('a new popek process restores the snapshot taken at the prompt and carries on from the same shell', async () => {
    expect(first, 'the first boot did not run').toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'popek-e2e-'));
    const file = join(dir, 'prompt.snapshot');
    await writeFile(file, first!.snapshot);
    const bin = new URL('../dist/bin/popek.js', import.meta.url);
    const child = execFile(
      process.execPath,
      [bin.pathname, 'run', '--kernel', guest.kernelPath, '--initrd', guest.initrdPath, '--memory', String(MEMORY_MIB), '--clock', 'deterministic', '--restore', file],
      { maxBuffer: 16 << 20, timeout: 600_000 },
    );
    child.stdin?.end(`${FIRST_COMMAND}poweroff\n`);
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (c) => resolve({ stdout: out, code: c }));
    });
    expect(code).toBe(0);
    // The restored shell answers the same command with the same line as the original machine did.
    const answer = (text: string): string => {
      const start = text.indexOf(FIRST_COMMAND.trim());
      return text.slice(start, text.indexOf(PROMPT, start));
    };
    expect(answer(stdout)).toContain(`Linux popek ${guest.kernelRelease}`);
    expect(answer(stdout).replace(/\r/g, '')).toBe(answer(first!.transcript).replace(/\r/g, ''));
    expect(stdout).toContain('reboot: Power down');
  }, 1_800_000);
});
