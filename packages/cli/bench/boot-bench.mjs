// Boot benchmark: wall-clock seconds from start to the shell prompt and to power-off for the
// default guest on the `pc` profile, in realtime and deterministic clock modes, under each CPU
// mode asked for (`--cpu-mode bt,interpreter`; default bt). Run it with `npm run bench:boot`
// (after a build); it prints figures and asserts nothing.
//
// `--phases` breaks each boot into firmware and kernel decompression (to the kernel's first console
// line), kernel initialisation (to `Run /init`) and user space (to the prompt): wall seconds, guest
// instructions and MIPS of each, and, under `bt`, the engine's counters for it (translations,
// instructions left to the interpreter, chained and looked-up transfers between blocks).
import { readFile } from 'node:fs/promises';
import { ContainerModule } from '@popek/core';
import { BinaryTranslationOptions } from '@popek/cpu-binary-translation';
import { PC_DEFAULT_CMDLINE, createMachine } from '@popek/machine';
import { ScriptedConsole } from '@popek/testing';
import { buildDefaultGuest } from '../dist/guest/guest-builder.js';

const PROMPT = 'popek:/root# ';
const modes = process.argv.includes('--deterministic-only') ? ['deterministic'] : ['realtime', 'deterministic'];
const phases = process.argv.includes('--phases');
// Console text that ends each phase, and the phase's name.
const PHASES = [
  ['Linux version', 'firmware, decompressor'],
  ['Run /init as init process', 'kernel initialisation'],
  [PROMPT, 'user space to the prompt'],
];
// The engine counters shown per phase (name, labels, column heading).
const COUNTERS = [
  ['bt.translations', {}, 'translations'],
  ['bt.interpreted_instructions', {}, 'interpreted'],
  ['bt.transfers', { kind: 'chained' }, 'chained'],
  ['bt.transfers', { kind: 'lookup' }, 'looked up'],
  ['bt.wasm.blocks', {}, 'wasm blocks'],
  ['bt.wasm.modules', {}, 'modules'],
  ['bt.wasm.bailouts', {}, 'bail-outs'],
];

/** The value of one counter in a metrics snapshot (0 when the machine has none). */
function counter(snapshot, name, labels) {
  const want = JSON.stringify(labels);
  return snapshot.find((s) => s.name === name && JSON.stringify(s.labels ?? {}) === want)?.value ?? 0;
}

/** Prints one boot's phases from the marks taken at each phase's end. */
function printPhases(marks) {
  let prev = { t: 0, instructions: 0, snapshot: [] };
  for (const [i, [, name]] of PHASES.entries()) {
    const m = marks[i];
    if (m === undefined) break;
    const dt = (m.t - prev.t) / 1000;
    const di = m.instructions - prev.instructions;
    const deltas = COUNTERS.map(([c, labels]) => counter(m.snapshot, c, labels) - counter(prev.snapshot, c, labels));
    const engine = deltas.every((d) => d === 0)
      ? []
      : COUNTERS.map(([, , heading], k) => `${heading} ${deltas[k] < 100_000 ? String(deltas[k]) : `${(deltas[k] / 1e6).toFixed(1)} M`}`);
    console.log(`    ${name.padEnd(26)} ${dt.toFixed(2).padStart(6)} s ${(di / 1e6).toFixed(0).padStart(6)} M instructions ${(di / 1e6 / dt).toFixed(0).padStart(5)} MIPS   ${engine.join('   ')}`.trimEnd());
    prev = m;
  }
}
const ipsArg = process.argv.indexOf('--ips');
const instructionsPerSecond = ipsArg > 0 ? Number(process.argv[ipsArg + 1]) : undefined;
const cpuArg = process.argv.indexOf('--cpu-mode');
const cpuModes = (cpuArg > 0 ? process.argv[cpuArg + 1] : 'bt').split(',');
// `--bt-backend js|wasm`: what the translator compiles hot blocks into (default: WebAssembly).
// `--hot N`: the translator's hot threshold.
const backendArg = process.argv.indexOf('--bt-backend');
const backend = backendArg > 0 ? process.argv[backendArg + 1] : undefined;
const hotArg = process.argv.indexOf('--hot');
const hotThreshold = hotArg > 0 ? Number(process.argv[hotArg + 1]) : undefined;
const modules =
  backend === undefined && hotThreshold === undefined
    ? []
    : [
        new ContainerModule(({ bind }) => {
          bind(BinaryTranslationOptions).toConstantValue({ ...(backend !== undefined ? { backend } : {}), ...(hotThreshold !== undefined ? { hotThreshold } : {}) });
        }),
      ];
const guest = await buildDefaultGuest();
const kernel = new Uint8Array(await readFile(guest.kernelPath));
const initrd = new Uint8Array(await readFile(guest.initrdPath));

for (const cpuMode of cpuModes) for (const clock of modes) {
  let promptAt = NaN;
  const started = performance.now();
  const marks = [];
  let machine;
  // With --phases, the console also waits for each phase's end before the prompt (the last one).
  const before = phases ? PHASES.slice(0, -1).map(([expect]) => ({ expect })) : [];
  const steps = [...before, { expect: PROMPT, send: 'poweroff\n' }, { expect: 'reboot: Power down' }];
  const promptStep = before.length;
  const console_ = new ScriptedConsole(steps, (step) => {
    const now = performance.now();
    if (step === promptStep) promptAt = now;
    if (phases && step < PHASES.length) marks.push({ t: now - started, instructions: machine.processor.retired(), snapshot: machine.metrics.snapshot() });
  });
  machine = createMachine({
    profile: 'pc',
    cpuMode,
    memoryMiB: 256,
    boot: { kind: 'linux', kernel, initrd, cmdline: PC_DEFAULT_CMDLINE },
    clock,
    ...(instructionsPerSecond !== undefined ? { instructionsPerSecond } : {}),
    serial: console_,
    modules,
  });
  const exit = await machine.run();
  const ended = performance.now();
  const instructions = machine.processor.retired();
  machine.dispose();
  const toPrompt = (promptAt - started) / 1000;
  const toOff = (ended - started) / 1000;
  console.log(
    `${cpuMode.padEnd(12)} ${clock.padEnd(13)} to shell prompt ${toPrompt.toFixed(1)} s   to power-off ${toOff.toFixed(1)} s   ` +
      `${(instructions / 1e9).toFixed(2)} G instructions   ${(instructions / 1e6 / toOff).toFixed(1)} MIPS   (${exit.reason})`,
  );
  if (phases) printPhases(marks);
}
