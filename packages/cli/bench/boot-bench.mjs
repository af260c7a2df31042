// Boot benchmark: wall-clock seconds from start to the shell prompt and to power-off for the
// default guest on the `pc` profile, in realtime and deterministic clock modes, under each CPU
// mode asked for (`--cpu-mode bt,interpreter`; default bt). Run it with `npm run bench:boot`
// (after a build); it prints figures and asserts nothing.
import { readFile } from 'node:fs/promises';
import { PC_DEFAULT_CMDLINE, createMachine } from '@popek/machine';
import { ScriptedConsole } from '@popek/testing';
import { buildDefaultGuest } from '../dist/guest/guest-builder.js';

const PROMPT = 'popek:/root# ';
const modes = process.argv.includes('--deterministic-only') ? ['deterministic'] : ['realtime', 'deterministic'];
const ipsArg = process.argv.indexOf('--ips');
const instructionsPerSecond = ipsArg > 0 ? Number(process.argv[ipsArg + 1]) : undefined;
const cpuArg = process.argv.indexOf('--cpu-mode');
const cpuModes = (cpuArg > 0 ? process.argv[cpuArg + 1] : 'bt').split(',');
const guest = await buildDefaultGuest();
const kernel = new Uint8Array(await readFile(guest.kernelPath));
const initrd = new Uint8Array(await readFile(guest.initrdPath));

for (const cpuMode of cpuModes) for (const clock of modes) {
  let promptAt = NaN;
  const started = performance.now();
  const console_ = new ScriptedConsole([{ expect: PROMPT, send: 'poweroff\n' }, { expect: 'reboot: Power down' }], (step) => {
    if (step === 0) promptAt = performance.now();
  });
  const machine = createMachine({
    profile: 'pc',
    cpuMode,
    memoryMiB: 256,
    boot: { kind: 'linux', kernel, initrd, cmdline: PC_DEFAULT_CMDLINE },
    clock,
    ...(instructionsPerSecond !== undefined ? { instructionsPerSecond } : {}),
    serial: console_,
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
}
