#!/usr/bin/env node
// Boots a Linux kernel + initrd on v86 (the npm package) with the guest's first serial port on
// this process's stdin/stdout, so bench:compare can drive and time v86 exactly like the
// emulators it runs as commands (Popek's CLI, qemu-system-i386).
//
// v86 has no "power off" of its own: with `acpi: true` the guest's ACPI S5 request (a write of
// SLP_TYP|SLP_EN to PM1a_CNT) is stored and otherwise ignored, and the emulator keeps running.
// So this process exits on the kernel's last words instead:
//   "reboot: Power down"     exit 0 (the kernel is about to write SLP_EN: that is the power-off)
//   "reboot: System halted"  exit 3 (no power-off method: the kernel halted the CPU forever)
//   "Kernel panic"           exit 4
// Usage: node v86-child.mjs --bios F --vga-bios F --kernel F --initrd F --memory MIB --append TEXT [--acpi] [--no-jit]
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamMatcher } from './console-run.mjs';

const { values } = parseArgs({
  options: {
    bios: { type: 'string' },
    'vga-bios': { type: 'string' },
    kernel: { type: 'string' },
    initrd: { type: 'string' },
    memory: { type: 'string', default: '256' },
    append: { type: 'string', default: '' },
    acpi: { type: 'boolean', default: false },
    'no-jit': { type: 'boolean', default: false },
  },
  strict: true,
});
for (const required of ['bios', 'vga-bios', 'kernel']) {
  if (values[required] === undefined) {
    process.stderr.write(`v86-child: --${required} is required\n`);
    process.exit(2);
  }
}

/** The whole file as a stand-alone ArrayBuffer, the form v86's `{ buffer }` images take. */
async function image(path) {
  const data = await readFile(path);
  return { buffer: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
}

const libraryUrl = import.meta.resolve('v86');
const { V86 } = await import(libraryUrl);
const wasmPath = fileURLToPath(new URL('v86.wasm', libraryUrl));

const emulator = new V86({
  wasm_path: wasmPath,
  memory_size: Number(values.memory) * 1024 * 1024,
  bios: await image(values.bios),
  vga_bios: await image(values['vga-bios']),
  bzimage: await image(values.kernel),
  ...(values.initrd !== undefined ? { initrd: await image(values.initrd) } : {}),
  cmdline: values.append,
  acpi: values.acpi,
  disable_jit: values['no-jit'],
  autostart: true,
});

const endings = [
  { matcher: new StreamMatcher('reboot: Power down'), code: 0 },
  { matcher: new StreamMatcher('reboot: System halted'), code: 3 },
  { matcher: new StreamMatcher('Kernel panic - not syncing'), code: 4 },
];

// Serial output is written in one batch per emulator time slice (a microtask after the bytes of
// the slice), not one pipe write per byte.
let pending = [];
function flush() {
  if (pending.length === 0) return;
  const bytes = Buffer.from(pending);
  pending = [];
  process.stdout.write(bytes);
  const text = bytes.toString('latin1');
  for (const { matcher, code } of endings) {
    if (matcher.push(text)) {
      // Let the console output reach the parent, then go: the guest is done.
      process.stdout.write('\n', () => process.exit(code));
      emulator.stop();
      return;
    }
  }
}
emulator.add_listener('serial0-output-byte', (byte) => {
  if (pending.length === 0) queueMicrotask(flush);
  pending.push(byte);
});

process.stdin.on('data', (data) => emulator.serial0_send(data.toString('latin1')));
process.stdin.on('end', () => {
  // The parent closed our input; keep running until it kills us or the guest ends.
});
