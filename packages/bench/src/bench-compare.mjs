#!/usr/bin/env node
// bench:compare: boots Popek's default guest (Debian bookworm's i386 kernel + a BusyBox
// initramfs) on Popek (each requested CPU mode), on v86 and on qemu-system-i386 (TCG), one
// after the other, and prints the wall time from process start to the shell prompt and to
// power-off, with ratios against Popek. See ../README.md.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { runConsole, shellQuote } from './console-run.mjs';
import { BOOT_STAGES, STAGE_MILESTONES, comparisonTable, evaluateGoals, referenceRun, stageDurations, stageTable, summarizeRounds } from './report.mjs';

const execFileAsync = promisify(execFile);

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const POPEK_BIN = join(REPO_ROOT, 'packages/cli/dist/bin/popek.js');
const V86_CHILD = fileURLToPath(new URL('./v86-child.mjs', import.meta.url));
/** The default guest's shell prompt: hostname `popek`, PS1 '\h:\w\$ ', home /root. */
const PROMPT = 'popek:/root# ';
const INPUT = 'poweroff\n';
const EMULATORS = ['popek', 'v86', 'qemu'];

const USAGE = `Usage: npm run bench:compare [-- options]   (or: node packages/bench/src/bench-compare.mjs [options])

Boots the default guest on Popek, v86 and QEMU TCG, one after the other, types 'poweroff' at the
shell prompt and prints the wall time to the prompt and to power-off.

Options:
  --emulators LIST     which to run, in this order (default popek,v86,qemu)
  --popek-modes LIST   Popek CPU modes to run (default bt,interpreter); the first one that
                       reaches the prompt is the reference of the ratios
  --popek-clock MODE   Popek's --clock: realtime (default) or deterministic
  --popek-rng-seed LIST  Popek runs without and/or with its boot loader's random seed (default
                       off,on). 'off' (rows named by mode alone) leaves the guest's random
                       generator empty, as under QEMU (no RDRAND, no seed); 'on' (Popek's
                       default; the row 'MODE, rng seed', first mode only) makes it ready
                       from the start, as v86's CPU random instruction does. Goals: like for like
  --v86-acpi LIST      v86 runs with ACPI on and/or off (default on,off); only 'on' can power off
  --v86-jit LIST       v86 runs with its JIT on and/or off (default on)
  --qemu PATH          the QEMU binary (default qemu-system-i386)
  --memory MIB         guest RAM for all emulators (default: Popek's default)
  --append TEXT        kernel command line for all emulators (default: Popek's pc profile's)
  --timeout SECONDS    per run, from start to power-off (default 600)
  --rounds N           run every configuration N times, in turn (round 1 of each, then round
                       2, ...); the table shows each one's median with the range, and the
                       ratios and goals use the medians (default 1)
  --json               print the results as JSON on stdout (the table then goes to stderr)
  --skip-build         do not run 'turbo run build --filter=@popek/cli...' first
  --help`;

function fail(message) {
  process.stderr.write(`bench:compare: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        emulators: { type: 'string', default: EMULATORS.join(',') },
        'popek-modes': { type: 'string', default: 'bt,interpreter' },
        'popek-clock': { type: 'string', default: 'realtime' },
        'popek-rng-seed': { type: 'string', default: 'off,on' },
        'v86-acpi': { type: 'string', default: 'on,off' },
        'v86-jit': { type: 'string', default: 'on' },
        qemu: { type: 'string', default: 'qemu-system-i386' },
        memory: { type: 'string' },
        append: { type: 'string' },
        timeout: { type: 'string', default: '600' },
        rounds: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        'skip-build': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
  const list = (name, allowed) => {
    const items = values[name].split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) fail(`--${name} needs at least one value`);
    const bad = allowed === undefined ? undefined : items.find((i) => !allowed.includes(i));
    if (bad !== undefined) fail(`--${name}: '${bad}' is not one of ${allowed.join(', ')}`);
    return [...new Set(items)];
  };
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) fail(`--timeout takes a number of seconds; '${values.timeout}' is not one`);
  if (!/^\d+$/.test(values.rounds) || Number(values.rounds) < 1 || Number(values.rounds) > 20) fail(`--rounds takes a whole number from 1 to 20; '${values.rounds}' is not one`);
  if (values.memory !== undefined && !/^\d+$/.test(values.memory)) fail(`--memory takes a whole number of MiB; '${values.memory}' is not one`);
  if (!['realtime', 'deterministic'].includes(values['popek-clock'])) fail(`--popek-clock is realtime or deterministic`);
  return {
    help: values.help,
    emulators: list('emulators', EMULATORS),
    popekModes: list('popek-modes'),
    popekClock: values['popek-clock'],
    popekRngSeed: list('popek-rng-seed', ['off', 'on']),
    v86Acpi: list('v86-acpi', ['on', 'off']),
    v86Jit: list('v86-jit', ['on', 'off']),
    qemu: values.qemu,
    memoryMiB: values.memory !== undefined ? Number(values.memory) : undefined,
    append: values.append,
    timeoutMs: timeout * 1000,
    rounds: Number(values.rounds),
    json: values.json,
    skipBuild: values['skip-build'],
  };
}

const options = parseOptions(process.argv.slice(2));
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
/** Progress and everything that is not the result goes to stderr. */
const note = (line) => process.stderr.write(`[bench] ${line}\n`);
/** The table goes to stdout, unless stdout is for JSON. */
const out = (text) => (options.json ? process.stderr : process.stdout).write(`${text}\n`);

/** Runs a command with its output shown on our stderr; resolves with its exit status. */
function runShown(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('exit', (code) => resolve({ code }));
  });
}

async function firstLine(command, args) {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd: REPO_ROOT, timeout: 30_000 });
    return stdout.trim().split('\n')[0] ?? '';
  } catch {
    return undefined;
  }
}

// 1. Popek's CLI, built, and the default guest, fetched.
if (!options.skipBuild) {
  note('building the Popek CLI: npx turbo run build --filter=@popek/cli... --output-logs=errors-only');
  const build = await runShown('npx', ['turbo', 'run', 'build', '--filter=@popek/cli...', '--output-logs=errors-only']);
  if (build.code !== 0) fail(`the build of @popek/cli failed (${build.error?.message ?? `exit status ${build.code}`}); fix it, or pass --skip-build to use the existing dist`);
}
note('making sure the default guest is cached: popek guest fetch');
const fetched = await runShown(process.execPath, [POPEK_BIN, 'guest', 'fetch']);
if (fetched.code !== 0) fail(`'popek guest fetch' failed (${fetched.error?.message ?? `exit status ${fetched.code}`})`);
const guestDir = await firstLine(process.execPath, [POPEK_BIN, 'guest', 'path']);
if (guestDir === undefined || guestDir === '') fail(`'popek guest path' printed nothing`);
const guestManifest = JSON.parse(await readFile(join(guestDir, 'manifest.json'), 'utf8'));
const kernelPath = join(guestDir, guestManifest.kernel.file);
const initrdPath = join(guestDir, guestManifest.initrd.file);
/** ~/.cache/popek/bench (or under $POPEK_CACHE_DIR / $XDG_CACHE_HOME, like the guest). */
const benchCacheDir = join(dirname(dirname(guestDir)), 'bench');
const logDir = join(benchCacheDir, 'logs');

// 2. The settings shared by all emulators: Popek's defaults unless overridden.
async function popekDefaults() {
  const help = (await execFileAsync(process.execPath, [POPEK_BIN, 'help'])).stdout;
  const memory = /--memory\s+MIB\b.*\(default (\d+)\)/.exec(help);
  // The command line `popek run` uses without --append: the pc profile's, from @popek/machine as
  // the CLI resolves it.
  const machineEntry = createRequire(join(REPO_ROOT, 'packages/cli/package.json')).resolve('@popek/machine');
  const machine = await import(pathToFileURL(machineEntry).href);
  const cmdline = machine.findProfile?.('pc')?.defaultCmdline ?? machine.PC_DEFAULT_CMDLINE;
  if (memory === null || typeof cmdline !== 'string') throw new Error("could not read Popek's default memory size and command line");
  return { memoryMiB: Number(memory[1]), cmdline };
}
const defaults = await popekDefaults().catch((error) => fail(error.message));
const memoryMiB = options.memoryMiB ?? defaults.memoryMiB;
const cmdline = options.append ?? defaults.cmdline;
if (!/(^|\s)console=ttyS0\b/.test(cmdline)) note(`warning: the command line has no console=ttyS0; the prompt may never reach the serial port`);

let seabios;
if (options.emulators.includes('v86') || options.emulators.includes('qemu')) {
  const { ensureSeabios } = await import('./seabios.mjs');
  seabios = await ensureSeabios({ cacheDir: join(benchCacheDir, 'seabios'), onProgress: note }).catch((error) => {
    note(`the SeaBIOS ROMs are unavailable: ${error.message}`);
    return undefined;
  });
}

// 3. The runs.
/** @type {{emulator: string, mode: string, command?: string[], unavailable?: string, unavailablePattern?: RegExp, exitMeanings?: object}[]} */
const plan = [];
for (const emulator of options.emulators) {
  if (emulator === 'popek') {
    // Without the seed first (the reference row): the guest's random generator starts empty, as under QEMU.
    const variants = options.popekRngSeed.flatMap((seed) => (seed === 'off' ? options.popekModes : options.popekModes.slice(0, 1)).map((mode) => ({ mode, seed })));
    for (const { mode, seed } of variants) {
      plan.push({
        emulator,
        mode: seed === 'on' ? `${mode}, rng seed` : mode,
        command: [
          process.execPath, POPEK_BIN, 'run', '--cpu-mode', mode, '--clock', options.popekClock, '--memory', String(memoryMiB), '--kernel', kernelPath, '--initrd', initrdPath, '--append', cmdline, '--serial', 'stdio', '--no-reboot',
          ...(seed === 'off' ? ['--no-rng-seed'] : []),
        ],
        // `popek run` refuses an unknown or unfinished CPU mode with one line on stderr.
        unavailablePattern: /cpu[- ]mode/i,
      });
    }
  } else if (emulator === 'v86') {
    for (const jit of options.v86Jit) {
      for (const acpi of options.v86Acpi) {
        const mode = `${jit === 'on' ? 'jit' : 'no jit'}, ${acpi === 'on' ? 'acpi' : 'no acpi'}`;
        if (seabios === undefined) {
          plan.push({ emulator, mode, unavailable: 'no SeaBIOS ROMs (see above)' });
          continue;
        }
        plan.push({
          emulator,
          mode,
          command: [process.execPath, V86_CHILD, '--bios', seabios.roms['bios-256k.bin'], '--vga-bios', seabios.roms['vgabios-stdvga.bin'], '--kernel', kernelPath, '--initrd', initrdPath, '--memory', String(memoryMiB), '--append', cmdline, ...(acpi === 'on' ? ['--acpi'] : []), ...(jit === 'off' ? ['--no-jit'] : [])],
          exitMeanings: {
            3: { status: 'no-power-off', note: "the kernel found no way to power off and halted ('reboot: System halted'): without acpi v86 offers none" },
            4: { status: 'failed', note: 'kernel panic' },
          },
        });
      }
    }
  } else {
    plan.push({
      emulator,
      mode: 'tcg',
      command: [options.qemu, '-accel', 'tcg', '-m', String(memoryMiB), ...(seabios !== undefined ? ['-bios', seabios.roms['bios-256k.bin']] : []), '-kernel', kernelPath, '-initrd', initrdPath, '-append', cmdline, '-nographic', '-no-reboot'],
    });
  }
}

note(`guest: ${guestManifest.kernel.package} ${guestManifest.kernel.version} + busybox ${guestManifest.busybox.version} initramfs (${guestDir})`);
note(`memory ${memoryMiB} MiB, command line '${cmdline}', timeout ${options.timeoutMs / 1000} s per run; runs are sequential${options.rounds > 1 ? `, ${options.rounds} rounds of every configuration in turn` : ''}`);
const startLoad = os.loadavg()[0];
if (startLoad > 0.5 * os.cpus().length) {
  note(`warning: the host is busy (1-minute load average ${startLoad.toFixed(2)} on ${os.cpus().length} CPUs); wall times will be inflated`);
}
/** Each configuration's rounds, in the plan's order. */
const roundsOf = plan.map(() => []);
/** Each configuration's command line as a shell would take it (null: unavailable). */
const commandLines = plan.map((item) => (item.command === undefined ? null : item.command.map(shellQuote).join(' ')));
const shown = (v) => (v === null ? '-' : `${v.toFixed(1)} s`);
for (let round = 1; round <= options.rounds; round++) {
  for (const [index, item] of plan.entries()) {
    const name = `${item.emulator} ${item.mode}`;
    const step = `(${options.rounds > 1 ? `round ${round}/${options.rounds}, ` : ''}${index + 1}/${plan.length})`;
    if (item.command === undefined) {
      if (round === 1) note(`${step} ${name}: unavailable, ${item.unavailable}`);
      roundsOf[index].push({ status: 'unavailable', note: item.unavailable, promptSeconds: null, powerOffSeconds: null, promptCpuSeconds: null, powerDownLineSeconds: null, exitSeconds: null, exitCode: null, log: null, loadAverageAtStart: null });
      continue;
    }
    const [command, ...args] = item.command;
    const commandLine = commandLines[index];
    const logPath = join(logDir, `${item.emulator}-${item.mode.replace(/[^a-z0-9]+/gi, '-')}${options.rounds > 1 ? `-round${round}` : ''}.log`);
    const loadAverageAtStart = Number(os.loadavg()[0].toFixed(2));
    note(`${step} ${name} (host load ${loadAverageAtStart}): ${commandLine}`);
    const result = await runConsole({
      command,
      args,
      cwd: REPO_ROOT,
      prompt: PROMPT,
      input: INPUT,
      timeoutMs: options.timeoutMs,
      logPath,
      unavailablePattern: item.unavailablePattern,
      exitMeanings: item.exitMeanings,
      milestones: STAGE_MILESTONES,
      onProgress: (line) => note(`    ${line}`),
    });
    note(`    ${result.status}: prompt ${shown(result.promptSeconds)}, power-off ${shown(result.powerOffSeconds)}${result.note ? `; ${result.note}` : ''} (console log: ${logPath})`);
    roundsOf[index].push({
      status: result.status,
      note: result.note,
      promptSeconds: result.promptSeconds,
      powerOffSeconds: result.powerOffSeconds,
      promptCpuSeconds: result.promptCpuSeconds,
      powerDownLineSeconds: result.powerDownLineSeconds,
      stageSeconds: stageDurations(result.milestoneSeconds, result.promptSeconds),
      exitSeconds: result.exitSeconds,
      exitCode: result.exitCode,
      log: logPath,
      loadAverageAtStart,
    });
  }
}
/** One record per configuration: with one round, that round's figures; with several, their medians (each round kept in `rounds`). */
const runs = plan.map((item, index) => {
  const base = { emulator: item.emulator, mode: item.mode, command: commandLines[index] };
  const rounds = roundsOf[index];
  return options.rounds === 1 ? { ...base, ...rounds[0], note: rounds[0].note ?? '' } : summarizeRounds(base, rounds);
});

// 4. The report.
const reference = referenceRun(runs);
const goals = evaluateGoals(runs);
const bt = runs.find((r) => r.emulator === 'popek' && r.mode === 'bt');
const interpreter = runs.find((r) => r.emulator === 'popek' && r.mode === 'interpreter');
const btSpeedup = (column) => (bt?.[column] && interpreter?.[column] ? interpreter[column] / bt[column] : null);

const [gitHead, gitDirty, qemuVersion] = await Promise.all([
  firstLine('git', ['rev-parse', '--short', 'HEAD']),
  firstLine('git', ['status', '--porcelain', '--untracked-files=no']),
  options.emulators.includes('qemu') ? firstLine(options.qemu, ['--version']) : undefined,
]);
const v86Package = JSON.parse(await readFile(new URL('package.json', new URL('..', import.meta.resolve('v86'))), 'utf8'));
const host = { cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version, platform: `${os.type()} ${os.release()} ${os.arch()}` };

out('');
out(comparisonTable(runs));
out('');
out(`Times: wall seconds from starting the process to the shell prompt '${PROMPT.trim()}' and to power-off (the process's exit after 'poweroff');`);
out(`CPU to prompt: user+system CPU seconds of the emulator's process (all threads) until the prompt, steadier than wall time on a busy host.`);
if (reference !== undefined) out(`Ratios: each time divided by Popek ${reference.mode}'s (below 1.00× is faster than Popek ${reference.mode}).`);
if (runs.some((r) => r.emulator === 'v86')) {
  out(`v86 power-off: v86 keeps running after the guest's ACPI S5 request, so its time is the exit of the runner on the kernel's 'reboot: Power down' line.`);
}
for (const run of runs) if (run.status !== 'ok' && run.note) out(`${run.emulator} ${run.mode}: ${run.status}: ${run.note}`);
const stages = stageTable(runs);
if (stages !== null) {
  out('');
  out(`Boot stages: wall seconds from one console line to the next${options.rounds > 1 ? ' (medians of the rounds)' : ''}: ${BOOT_STAGES.map((s) => `${s.name} (to ${s.until === null ? 'the prompt' : `'${s.until.trim()}'`})`).join(', ')}.`);
  out(stages);
}
const speedups = ['promptSeconds', 'powerOffSeconds', 'promptCpuSeconds'].map(btSpeedup);
out(
  `bt/interpreter speed-up: ${
    speedups[0] !== null
      ? `${speedups[0].toFixed(2)}× to the prompt, ${speedups[1] !== null ? `${speedups[1].toFixed(2)}×` : '-'} to power-off, ${speedups[2] !== null ? `${speedups[2].toFixed(2)}×` : '-'} in CPU time to the prompt`
      : `not measured (bt: ${bt?.status ?? 'not run'}, interpreter: ${interpreter?.status ?? 'not run'})`
  }`,
);
out('');
out('Goals:');
for (const g of goals) out(`  ${g.verdict === 'met' ? '[met]' : g.verdict === 'not met' ? '[NOT met]' : '[not measured]'} ${g.goal}: ${g.detail}`);
out('');
out('Command lines:');
for (const run of runs) out(`  ${run.emulator} ${run.mode}: ${run.command ?? '(not run)'}`);
out('');
const loads = roundsOf.flatMap((rounds) => rounds.map((r) => r.loadAverageAtStart)).filter((l) => l !== null);
out(`Host: ${host.cpu}, ${host.cpus} CPUs, 1-minute load average ${loads.length > 0 ? `${Math.min(...loads)}–${Math.max(...loads)}` : '-'} at the start of the runs; Node ${host.node}; Popek ${gitHead ?? '?'}${gitDirty ? ' (uncommitted changes)' : ''}; v86 ${v86Package.version}${qemuVersion ? `; ${qemuVersion}` : ''}`);
if (seabios !== undefined) out(`SeaBIOS: Debian ${seabios.package} ${seabios.version} (${seabios.dir}), bios-256k.bin for v86 and QEMU, vgabios-stdvga.bin for v86`);

if (options.json) {
  const document = {
    format: 1,
    date: new Date().toISOString(),
    host,
    popek: { commit: gitHead ?? null, uncommittedChanges: Boolean(gitDirty), clock: options.popekClock },
    v86: { version: v86Package.version },
    qemu: options.emulators.includes('qemu') ? { version: qemuVersion ?? null } : null,
    seabios: seabios !== undefined ? { package: seabios.package, version: seabios.version, debSha256: seabios.debSha256, dir: seabios.dir } : null,
    guest: { kernel: guestManifest.kernel.package, kernelVersion: guestManifest.kernel.version, busybox: guestManifest.busybox.version, kernelPath, initrdPath },
    memoryMiB,
    cmdline,
    prompt: PROMPT,
    timeoutSeconds: options.timeoutMs / 1000,
    rounds: options.rounds,
    reference: reference !== undefined ? { emulator: reference.emulator, mode: reference.mode } : null,
    stages: BOOT_STAGES,
    runs,
    btOverInterpreter: { promptSeconds: speedups[0], powerOffSeconds: speedups[1], promptCpuSeconds: speedups[2] },
    goals,
  };
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}
// Exit status: 0 when every requested run reached the prompt (or was unavailable), 1 otherwise.
// (A configuration's record has its worst round's status.)
process.exit(runs.some((r) => r.status === 'failed' || r.status === 'timeout') ? 1 : 0);
