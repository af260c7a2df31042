/**
 * Seeded random guest programs for differential runs of the translator against the interpreter:
 * a loop whose body is a random mix of integer instructions over registers and a 256-byte data
 * area at EBP (all operand sizes, memory and immediate forms, flag consumers after flag
 * producers, short forward branches, PUSH/POP, calls within the page), run a random number of
 * times. The data area is {@link DATA} (EBP, never written by the body).
 */
import { seededRandom } from '@popek/testing';
import { WARMUP } from './rig.js';

/** The data area the bodies use (EBP points at it). */
export const DATA = 0x40000;
/** The loop counter and the saved EFLAGS. */
export const COUNTER = DATA + 0x100;
export const SAVED_FLAGS = DATA + 0x104;

const R32 = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'];
const R16 = ['ax', 'bx', 'cx', 'dx', 'si', 'di'];
const R8 = ['al', 'bl', 'cl', 'dl', 'ah', 'bh', 'ch', 'dh'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const ALU = ['add', 'sub', 'adc', 'sbb', 'and', 'or', 'xor', 'cmp'];

/** The body's instructions (some entries are several lines). */
export function randomBody(next: () => number): string[] {
  const pick = <T>(a: readonly T[]): T => a[next() % a.length]!;
  const imm32 = (): string => pick(['0', '1', '-1', '0x7f', '0x80', '0xff', '0x7fffffff', '0x80000000', String(next() | 0), String(next() & 0xffff)]);
  const mem = (size: string): string => `${size} [ebp + ${(next() % 60) * 4 + (next() % 4)}]`;
  const out: string[] = [];
  const n = 8 + (next() % 30);
  let label = 0;
  for (let i = 0; i < n; i++) {
    const kind = next() % 22;
    const size = next() % 3;
    const regs = size === 0 ? R32 : size === 1 ? R16 : R8;
    const reg = pick(regs);
    const reg2 = pick(regs);
    const sz = size === 0 ? 'dword' : size === 1 ? 'word' : 'byte';
    const imm = size === 2 ? String(next() & 0xff) : size === 1 ? String(next() & 0xffff) : imm32();
    const alu = pick(ALU);
    switch (kind) {
      case 0:
      case 1:
        out.push(`${alu} ${reg}, ${reg2}`);
        break;
      case 2:
        out.push(`${alu} ${reg}, ${imm}`);
        break;
      case 3:
        out.push(`${alu} ${reg}, ${mem(sz)}`);
        break;
      case 4:
        out.push(`${alu} ${mem(sz)}, ${reg}`);
        break;
      case 5:
        out.push(`${alu} ${mem(sz)}, ${imm}`);
        break;
      case 6:
        out.push(`${pick(['inc', 'dec', 'neg', 'not'])} ${pick([reg, mem(sz)])}`);
        break;
      case 7:
        out.push(`test ${reg}, ${pick([reg2, size === 2 ? '0x81' : '0x8001'])}`);
        break;
      case 8:
        out.push(`mov ${reg}, ${pick([reg2, mem(sz)])}`);
        break;
      case 9:
        out.push(`mov ${mem(sz)}, ${reg}`);
        break;
      case 10:
        out.push(`movzx ${pick(R32)}, ${pick([pick(R8), pick(R16), 'byte [ebp + 7]', 'word [ebp + 9]'])}`);
        break;
      case 11:
        out.push(`movsx ${pick(R32)}, ${pick([pick(R8), pick(R16), 'byte [ebp + 13]', 'word [ebp + 17]'])}`);
        break;
      case 12:
        out.push(`set${pick(CC)} ${pick([pick(R8), 'byte [ebp + 21]'])}`);
        break;
      case 13:
        out.push(`cmov${pick(CC)} ${pick(R32)}, ${pick([pick(R32), 'dword [ebp + 25]'])}`);
        break;
      case 14:
        out.push(`j${pick(CC)} .s${label}\n    ${alu} ${reg}, ${reg2}\n.s${label}:`);
        label++;
        break;
      case 15:
        out.push(`push ${pick(R32)}\n    pop ${pick(R32)}`);
        break;
      case 16:
        out.push(`lea ${pick(R32)}, [${pick(R32)} + ${pick(R32)} * ${pick([1, 2, 4, 8])} + ${next() % 1000}]`);
        break;
      case 17:
        out.push(`${pick(['shl', 'shr', 'sar', 'rol', 'rcr'])} ${reg}, ${pick(['1', 'cl', String(next() % 33)])}`);
        break;
      case 18:
        out.push(`xchg ${reg}, ${reg2}`);
        break;
      case 19:
        out.push(pick(['stc', 'clc', 'cmc']));
        break;
      case 20:
        out.push(`call .f${label}\n    jmp .g${label}\n.f${label}:\n    ${alu} ${reg}, ${reg2}\n    ret\n.g${label}:`);
        label++;
        break;
      default:
        out.push(`imul ${pick(R32)}, ${pick(R32)}, ${next() % 1000}`);
        break;
    }
  }
  return out;
}

/** How the loop goes back to its head. */
export type BackEdge = 'jnz' | 'ret';

/**
 * A whole program: warm-up, random registers, the loop (`iterations` times, back edge `jnz top`
 * — a block that may loop on itself — or `push top; ret`), then EFLAGS saved and HLT.
 */
export function randomProgram(seed: number, backEdge: BackEdge): string {
  const next = seededRandom(Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995);
  const body = randomBody(next);
  const init = R32.map((r) => `mov ${r}, ${next() | 0}`).join('\n    ');
  const iterations = 3 + (next() % 40);
  const back = backEdge === 'jnz' ? 'jnz top' : 'jz done\n    push top\n    ret';
  return `
    ${WARMUP}
    mov ebp, ${DATA}
    ${init}
    mov dword [${COUNTER}], ${iterations}
top:
    ${body.join('\n    ')}
    dec dword [${COUNTER}]
    ${back}
done:
    pushfd
    pop dword [${SAVED_FLAGS}]
    hlt
`;
}
