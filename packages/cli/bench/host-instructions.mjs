// Host instructions per guest instruction over one window of the default guest's boot: a figure
// that barely moves with the host's load. Wall and CPU seconds on a shared machine wander by a
// third from one boot to the next; instruction counts under valgrind agree to 0.1% between two
// runs side by side and to a few percent between runs at different times (the machine's run loop
// and V8's heuristics look at the clock), so compare a change with its base side by side. Run it
// with `npm run bench:host-instructions` (after a build; needs valgrind). It prints figures and
// asserts nothing.
//
// 1. Boots the default guest with the deterministic clock until the console shows `--from`,
//    pauses it at the end of that instruction and saves a snapshot.
// 2. Under `valgrind --tool=cachegrind`, runs two children: one restores the snapshot and exits
//    (start-up, module loading, the restore), the other restores it and runs until the console
//    shows `--to`. The difference is the window's cost. Node runs them with `--single-threaded`,
//    so that V8 compiles on the same thread in the same order every time.
//
// The window starts with an empty translation cache (a restore drops every translation), so it
// weighs what cold and warm code cost: the interpreter, the block compiler, V8's compilation of
// the modules and the engine's lookups. Instruction counts do not see cache misses.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PC_DEFAULT_CMDLINE, createMachine } from '@popek/machine';
import { ScriptedConsole } from '@popek/testing';
import { buildDefaultGuest } from '../dist/guest/guest-builder.js';

const USAGE = `Usage: node packages/cli/bench/host-instructions.mjs [options]
  --from TEXT       console text where the window starts (default 'PCI: Using configuration type 1')
  --to TEXT         console text where it ends (default 'kprobes: kprobe jump-optimization is enabled')
  --cpu-mode MODE   Popek CPU mode (default bt)`;

/** Guest instructions a window may take before the child gives up on its end. */
const WINDOW_LIMIT = 1e9;

/** Seconds the boot (without valgrind) may take to reach the window's end: the prompt comes in about 15. */
const BOOT_SECONDS = 180;

/** The temporary directory of the snapshot, removed on the way out. */
let tempDir;

/** Stops with one line for the user. */
function fail(message) {
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  console.error(`host-instructions: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      from: { type: 'string', default: 'PCI: Using configuration type 1' },
      to: { type: 'string', default: 'kprobes: kprobe jump-optimization is enabled' },
      'cpu-mode': { type: 'string', default: 'bt' },
      child: { type: 'string' },
      snapshot: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  fail(`${e.message}\n${USAGE}`);
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

/** The machine both the boot and the children build (a snapshot restores only into its twin). */
async function machineOptions() {
  const guest = await buildDefaultGuest();
  return {
    profile: 'pc',
    cpuMode: values['cpu-mode'],
    memoryMiB: 256,
    boot: { kind: 'linux', kernel: new Uint8Array(await readFile(guest.kernelPath)), initrd: new Uint8Array(await readFile(guest.initrdPath)), cmdline: PC_DEFAULT_CMDLINE },
    clock: 'deterministic',
  };
}

/** The engine's counters as a map from name and labels to value. */
function counters(machine) {
  return new Map(machine.metrics.snapshot().map((s) => [s.name + (Object.keys(s.labels ?? {}).length > 0 ? JSON.stringify(s.labels) : ''), s.value]));
}

if (values.child !== undefined) {
  // A child under valgrind: restore, then exit at once or run the window. Its last line is JSON.
  const options = await machineOptions();
  const window = values.child === 'window';
  let before;
  let machine;
  const serial = new ScriptedConsole(window ? [{ expect: values.to }] : [], () => {
    const after = counters(machine);
    const deltas = {};
    for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) deltas[k] = v - (before.get(k) ?? 0);
    console.log(JSON.stringify({ instructions: machine.processor.retired() - start, counters: deltas }));
    process.exit(0);
  });
  machine = createMachine({ ...options, serial });
  await machine.restoreSnapshot(new Uint8Array(await readFile(values.snapshot)));
  const start = machine.processor.retired();
  before = counters(machine);
  if (!window) {
    console.log(JSON.stringify({ instructions: 0, counters: {} }));
    process.exit(0);
  }
  // A window whose end never comes would run under valgrind for ever.
  setInterval(() => {
    if (machine.processor.retired() - start > WINDOW_LIMIT) fail(`the console did not show '${values.to}' within ${WINDOW_LIMIT / 1e9} G guest instructions`);
  }, 1000).unref();
  const exit = await machine.run();
  fail(`the guest stopped (${exit.reason}) before the console showed '${values.to}'`);
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  fail('valgrind is not installed (Debian: apt-get install valgrind)');
}

// 1. The snapshot at --from.
tempDir = mkdtempSync(join(tmpdir(), 'popek-host-instructions-'));
const snapshot = join(tempDir, 'window.snapshot');
try {
  const options = await machineOptions();
  let seen = false;
  let reachedEnd = false;
  // The boot goes on past the snapshot to the window's end, so that a `--to` the guest never
  // prints is found here rather than after hours under valgrind.
  const serial = new ScriptedConsole([{ expect: values.from }, { expect: values.to }], (step) => {
    if (step === 0) {
      // The line is written from inside an instruction: the machine pauses at the end of it and
      // is saved between slices.
      seen = true;
      machine.pause();
      setImmediate(save);
    } else {
      reachedEnd = true;
      machine.stop();
    }
  });
  const machine = createMachine({ ...options, serial });
  let save;
  const saved = new Promise((resolve, reject) => {
    // From the event loop once the machine has paused, so between slices.
    save = () => {
      if (machine.state !== 'paused') return void setImmediate(save);
      const at = machine.processor.retired();
      machine.saveSnapshot().then(async (bytes) => {
        machine.resume();
        await writeFile(snapshot, bytes);
        resolve(at);
      }, reject);
    };
  });
  const run = machine.run();
  const watchdog = setTimeout(() => fail(`the console did not show '${seen ? values.to : values.from}' within ${BOOT_SECONDS} s of booting`), BOOT_SECONDS * 1000);
  const exit = await run;
  clearTimeout(watchdog);
  if (!seen) fail(`the guest stopped (${exit.reason}) before the console showed '${values.from}'`);
  if (!reachedEnd) fail(`the guest stopped (${exit.reason}) before the console showed '${values.to}'`);
  const at = await saved;
  machine.dispose();
  console.error(`[host-instructions] snapshot at '${values.from}', guest instruction ${at}`);

  // 2. The two children under valgrind, side by side.
  const child = (kind) =>
    new Promise((resolve, reject) => {
      const args = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', process.argv[1], '--child', kind, '--snapshot', snapshot, '--to', values.to, '--cpu-mode', values['cpu-mode']];
      const p = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('error', reject);
      p.on('close', (code) => {
        const refs = /I\s+refs:\s+([\d,]+)/.exec(err);
        const last = out.trim().split('\n').pop() ?? '';
        if (code !== 0 || refs === null || !last.startsWith('{')) reject(new Error(`the ${kind} run failed (status ${code}):\n${(out + err).trim().split('\n').slice(-8).join('\n')}`));
        else resolve({ refs: Number(refs[1].replaceAll(',', '')), ...JSON.parse(last) });
      });
    });
  console.error('[host-instructions] running the restore alone and the window under valgrind (a minute or two)');
  const [base, window] = await Promise.all([child('restore'), child('window')]);
  const host = window.refs - base.refs;
  console.log(`window: '${values.from}' → '${values.to}', cpu mode ${values['cpu-mode']}, deterministic clock, translation cache empty at the start`);
  console.log(`guest instructions: ${window.instructions}`);
  console.log(`host instructions: ${(host / 1e9).toFixed(3)} G (window run ${(window.refs / 1e9).toFixed(3)} G, restore alone ${(base.refs / 1e9).toFixed(3)} G)`);
  console.log(`host instructions per guest instruction: ${(host / window.instructions).toFixed(0)}`);
  const shown = Object.entries(window.counters).filter(([k]) => k.startsWith('bt.') || k.startsWith('cpu.') || k.startsWith('mmu.'));
  for (const [k, v] of shown) console.log(`  ${k} ${v}`);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
} finally {
  rmSync(tempDir, { recursive: true, force: true });
}
