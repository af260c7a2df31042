import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canRunNative, runNative, runPopek } from './harness.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'programs');
const FLAGS = [
  ['-O0', '-march=i386'],
  ['-O2', '-march=i686'],
  ['-Os', '-march=pentiumpro'],
  ['-O3', '-march=i686', '-fomit-frame-pointer'],
];

function gccCanBuild32(): boolean {
  try {
    execFileSync('gcc', ['-m32', '-ffreestanding', '-nostdlib', '-x', 'c', '-c', '-o', '/dev/null', '-'], { input: 'int f(int x){return x*3;}', stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}

const native = canRunNative();
const gcc = gccCanBuild32();

describe('compiled programs (gcc -m32, freestanding) against the host CPU', () => {
  if (!native.ok || !gcc) {
    it.skip(`skipped: ${!native.ok ? native.why : 'gcc cannot build 32-bit code'}`, () => {});
    return;
  }
  for (const source of readdirSync(DIR).filter((f) => f.endsWith('.c'))) {
    for (const flags of FLAGS) {
      it(`${source} ${flags.join(' ')}: prints what the host prints`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'popek-prog-'));
        try {
          const obj = join(dir, 'p.o');
          const exe = join(dir, 'p');
          execFileSync('gcc', ['-m32', ...flags, '-ffreestanding', '-nostdlib', '-fno-pic', '-fno-stack-protector', '-fno-builtin', '-fno-asynchronous-unwind-tables', '-fno-math-errno', '-I', DIR, '-c', join(DIR, source), '-o', obj]);
          execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0x400000', obj, '-o', exe]);
          const host = Buffer.from(await runNative(exe)).toString('latin1');
          const popek = Buffer.from(runPopek(exe).output).toString('latin1');
          expect(host.length).toBeGreaterThan(0);
          expect(popek).toBe(host);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
