/**
 * BT, BTS, BTR, BTC and XADD in translated code. The WebAssembly backend compiles them inline: a
 * bit test sets CF and keeps the other flags as the last flag writer in the block left them
 * (with none in the block, the interpreter runs it); XADD adds as ADD does. Registers, flags,
 * memory and exception frames must be those the interpreter leaves.
 */
import { describe, expect, it } from 'vitest';
import { PTE, WARMUP, archState, hasNasm, metric, pageFaultLikeInterpreter, twin, writeIntoReadOnlyPage, type PageTables, type Rig } from '../test/support/rig.js';

const WASM = { backend: 'wasm' as const, hotThreshold: 16 };

const DATA = 0x40000;

/** Runs `src` (with DATA filled) on a bt rig forcing WebAssembly blocks and on an interpreter rig: same state, same memory. */
function matchInterpreter(src: string): { bt: Rig; ref: Rig } {
  const { bt, ref } = twin(
    (r) => {
      r.load(src);
      for (let i = 0; i < 0x200; i++) r.bus.ram[DATA + i] = (i * 37 + 11) & 0xff;
    },
    { bt: WASM },
  );
  ref.run();
  bt.run();
  expect(archState(bt)).toEqual(archState(ref));
  expect(bt.bus.ram.subarray(DATA, DATA + 0x200)).toEqual(ref.bus.ram.subarray(DATA, DATA + 0x200));
  expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  return { bt, ref };
}

/** A loop of 3000 iterations around `body`, which may use EAX, EBX, EDX, ESI (ECX counts down, EDI and EBP sum what the body leaves). */
function loop(body: string): string {
  return `
    ${WARMUP}
    mov ecx, 3000
    xor edi, edi
    xor ebp, ebp
again:
    mov eax, ecx
    imul eax, eax, 0x3779b1
    mov ebx, ecx
    mov edx, ecx
    shr edx, 3
    ${body}
    pushfd
    pop esi
    and esi, 0x8d5             ; CF PF AF ZF SF OF
    add edi, esi
    add ebp, eax
    add ebp, ebx
    dec ecx
    jnz again
    hlt
`;
}

/** The last flag writer before the bit test, each leaving the flags another way. */
const PRODUCERS: Record<string, string> = {
  add: 'add eax, 0x40000000', // overflows on a quarter of the iterations
  sub: 'cmp eax, 0x7654321', // and this on a few
  adc: 'adc eax, edx',
  sbb: 'sbb ebx, edx',
  inc: 'inc eax',
  dec: 'dec ebx',
  logic: 'and eax, ebx',
  xor: 'xor ebx, 0x5a5a',
  shift: 'shl ebx, 3',
};

/** Bit tests of each form: register or memory operand, immediate or register bit offset (signed into memory). */
const BIT_TESTS = [
  'bt eax, 13',
  'bts ebx, 31',
  'btr eax, 0',
  'btc ebx, 7',
  'bt eax, edx',
  'bts ebx, ecx',
  'btr eax, edx',
  'btc ebx, eax',
  `bt dword [${DATA + 0x40}], 5`,
  `bts dword [${DATA + 0x44}], 17`,
  `ds btr dword [${DATA + 0x48}], 30`,
  `btc dword [${DATA + 0x4c}], 1`,
  `bt [${DATA + 0x80}], edx`,
  `bts [${DATA + 0x80}], edx`,
  `btr [${DATA + 0x100}], esi`,
  `btc [${DATA + 0x100}], esi`,
];

/**
 * Readers of every flag the instruction before them left: branches on each (the fall-through
 * paths change no flags), SETC, then PUSHFD.
 */
const FLAG_READERS = `jo .o
    lea ebp, [ebp + 3]
.o:
    jp .p
    lea ebp, [ebp + 5]
.p:
    jl .l
    lea ebp, [ebp + 9]
.l:
    jbe .be
    lea ebp, [ebp + 17]
.be:
    js .s
    lea ebp, [ebp + 33]
.s:
    setc dl
    movzx edx, dl
    lea ebp, [ebp + edx * 8]
    pushfd
    pop edx
    and edx, 0x8d5             ; CF PF AF ZF SF OF
    add edi, edx`;

/** Bit offsets into memory: positive and negative, several dwords away from the operand. */
const OFFSET_SETUP = 'mov esi, ecx\n    and esi, 0x1ff\n    sub esi, 0x100';

describe.skipIf(!hasNasm)('binary translator: BT, BTS, BTR and BTC', () => {
  const cases = Object.keys(PRODUCERS).flatMap((p) => BIT_TESTS.map((t) => [t, p] as const));
  it.each(cases)('%s after %s: CF and the kept flags, registers and memory match the interpreter', (test, producer) => {
    const body = `
    and edx, 0x3ff
    ${OFFSET_SETUP}
    ${PRODUCERS[producer]}
    ${test}
    ${FLAG_READERS}`;
    matchInterpreter(loop(body));
  });

  it('runs inline, without calling the interpreter, after a flag writer in the block (bit offsets into memory below the operand too)', () => {
    const { bt } = matchInterpreter(
      loop(`
    and edx, 0x3ff
    ${OFFSET_SETUP}
    add eax, ebx
    bts [${DATA + 0x80}], edx
    setc dl
    btc [${DATA + 0x100}], esi
    adc ebp, 0
    btr eax, 3
    adc ebp, 0`),
    );
    // At most the bail-outs of first accesses that missed the TLB go to the interpreter.
    expect(metric(bt, 'bt.interpreter_calls')).toBeLessThanOrEqual(metric(bt, 'bt.wasm.bailouts'));
    expect(metric(bt, 'bt.wasm.bailouts')).toBeLessThan(20);
  });

  it.each(['bt ebx, 10', 'inc eax\n    bt ebx, 10', 'dec eax\n    bts eax, 5'])('"%s" at the head of a block keeps the flags the previous block left', (head) => {
    matchInterpreter(
      loop(`
    cmp eax, 0x7654321         ; flags differ from one iteration to the next
    mov edx, head
    jmp edx
head:
    ${head}
    ${FLAG_READERS}
    bts eax, 2
    adc ebp, eax`),
    );
  });

  it('into a read-only page: #PF with the write bit, nothing changed, the frame as the interpreter leaves it', () => {
    const body = `mov ebx, ecx
    add ebx, 9                 ; a producer in the block
    bts dword [esi], 4`;
    const { bt } = writeIntoReadOnlyPage(body, DATA, 0x11111101, { bt: WASM });
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  });

  it('a negative register bit offset reaches below the operand, into an unmapped page: #PF at that address', () => {
    const src = `
    ${WARMUP}
    mov ecx, 3000
walk:
    mov edx, -0x8000           ; 4 KiB below the operand on the last iteration
    cmp ecx, 1
    mov eax, 64
    cmove eax, edx
    add ebx, ecx
    bt [0x508000], eax
    adc ebx, 0
    dec ecx
    mov edx, walk
    jmp edx
`;
    const map = (pt: PageTables): void => {
      pt.map(0x508000, 0x508000, PTE.W);
      pt.unmap(0x507000);
    };
    const { bt } = pageFaultLikeInterpreter(src, map, 0, { bt: WASM });
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  });
});

/** XADD forms: register and memory, byte and dword, the DS prefix Linux puts in for LOCK on one processor. */
const XADDS = ['xadd eax, ebx', 'xadd ebx, ebx', 'xadd dl, ah', 'xadd bh, bh', 'xadd bx, dx', `xadd [${DATA + 0x31}], ax`, `xadd [${DATA + 0x20}], ebx`, `ds xadd [${DATA + 0x24}], eax`, `xadd [${DATA + 0x29}], dh`, `xadd [${DATA + 0x2c} + edx * 4], ebx`];

describe.skipIf(!hasNasm)('binary translator: XADD', () => {
  it.each(XADDS)('%s: the sum, the old value, ADD flags and memory match the interpreter', (form) => {
    const { bt } = matchInterpreter(
      loop(`
    and edx, 0x1f
    ${form}
    lea ebp, [ebp + edx]       ; the register operands, without touching the flags
    lea ebp, [ebp + esi * 2]
    ${FLAG_READERS}`),
    );
    expect(metric(bt, 'bt.interpreter_calls')).toBeLessThanOrEqual(metric(bt, 'bt.wasm.bailouts'));
  });
});
