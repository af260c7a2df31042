/**
 * `npm run bench`: interpreter speed in MIPS on a fixed instruction mix (ALU, loads and stores,
 * branches, calls, a string copy), flat 32-bit protected mode, paging off then on, with the real
 * MMU. A figure, not an assertion. The code is compiled with tsc and run in plain Node (see
 * bench-main.ts), as a machine runs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { assemble } from '../test/support/nasm.js';

const MIX = `
bits 32
org 0x10000
start:
  mov esi, 0x20000
  mov edi, 0x30000
  mov ebp, 1000000000
outer:
  mov ecx, 64
inner:
  mov eax, [esi + ecx*4]
  add eax, ebx
  xor edx, eax
  shl edx, 3
  mov [edi + ecx*4], edx
  lea ebx, [ebx + eax*2 + 7]
  cmp eax, 0x12345
  jne .skip
  inc ebx
.skip:
  test ecx, 3
  jnz .nocall
  call leaf
.nocall:
  movzx eax, byte [esi + ecx]
  sub edx, eax
  dec ecx
  jnz inner
  push esi
  push edi
  mov ecx, 16
  rep movsd
  pop edi
  pop esi
  dec ebp
  jnz outer
  hlt
leaf:
  push ebx
  imul ebx, ebx, 13
  adc ebx, edx
  pop ebx
  ret
`;


const here = dirname(fileURLToPath(import.meta.url));
const packages = resolve(here, '../..');
const root = resolve(packages, '..');

it('interpreter MIPS on the fixed instruction mix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-bench-'));
  try {
    const out = join(dir, 'out');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: { outDir: out, rootDir: packages, declaration: false, declarationMap: false, sourceMap: false, noCheck: true, customConditions: ['@popek/source'], typeRoots: [join(root, 'node_modules/@types')] },
        include: [join(packages, 'core/src'), join(packages, 'mmu/src'), join(packages, 'cpu-x86/src'), join(here, 'bench-main.ts')],
        exclude: ['**/*.spec.ts'],
      }),
    );
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
    const nm = join(out, 'node_modules');
    mkdirSync(join(nm, '@popek'), { recursive: true });
    for (const e of readdirSync(join(root, 'node_modules'))) if (e !== '@popek' && e !== '.bin') symlinkSync(join(root, 'node_modules', e), join(nm, e));
    for (const p of ['core', 'mmu']) {
      writeFileSync(join(out, p, 'package.json'), JSON.stringify({ type: 'module', exports: { '.': './src/index.js' } }));
      symlinkSync(join(out, p), join(nm, '@popek', p));
    }
    writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'mix.bin'), assemble(MIX));
    const report = execFileSync(process.execPath, [join(out, 'cpu-x86/scripts/bench-main.js'), join(dir, 'mix.bin')], { encoding: 'utf8' });
    console.log(report.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
