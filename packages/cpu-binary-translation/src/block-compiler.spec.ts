import { describe, expect, it } from 'vitest';
import { BlockCompiler, ExitKind, ModeBit } from './block-compiler.js';

const FLAT = ModeBit.FlatEs | ModeBit.FlatSs | ModeBit.FlatDs;

function page(code: number[], at = 0): Uint8Array {
  const p = new Uint8Array(4096).fill(0xf4); // HLT everywhere else
  p.set(code, at);
  return p;
}

describe('BlockCompiler', () => {
  it('follows a CALL within the page at kernel addresses (above 2 GiB) into the callee', () => {
    // call +5 (to offset 10); five NOPs the call skips; ret
    const bytes = page([0xe8, 0x05, 0x00, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3]);
    const out = new BlockCompiler().compile(bytes, 0, 0xc000_0000 | 0, FLAT)!;
    expect(out.count).toBe(2); // CALL, then RET in the callee: the NOPs are not in the block
    expect(out.exits.at(-1)!.kind).toBe(ExitKind.Indirect); // the RET
  });

  it('ends a block at a direct jump out of the page with a chainable exit', () => {
    const bytes = page([0x40, 0xe9, 0x00, 0x10, 0x00, 0x00]); // inc eax; jmp +0x1000
    const out = new BlockCompiler().compile(bytes, 0, 0x8000_0000 | 0, FLAT)!;
    expect(out.count).toBe(2);
    expect(out.exits).toEqual([{ kind: ExitKind.Direct, target: (0x8000_0006 + 0x1000) | 0 }]);
  });

  it('turns a backward branch to the block start into a loop inside the function', () => {
    const bytes = page([0x49, 0x75, 0xfd, 0xf4]); // l: dec ecx; jnz l; hlt
    const out = new BlockCompiler().compile(bytes, 0, 0xc010_0000 | 0, FLAT)!;
    expect(out.source).toContain('continue loop');
  });

  it('leaves a first instruction that crosses the page end to the interpreter', () => {
    const bytes = page([0xb8, 0x01, 0x02], 4093); // mov eax, imm32 cut by the page end
    expect(new BlockCompiler().compile(bytes, 4093, 0x1ffd, FLAT)).toBeUndefined();
  });

  // 0: dec ecx; 1: jz +3 (to 6); 3: inc eax; 4: jmp -6 (to 0); 6: inc ebx; 7: ret
  const branchy = [0x49, 0x74, 0x03, 0x40, 0xeb, 0xfa, 0x43, 0xc3];
  const BASE = 0xc000_0000 | 0;

  it('goes on at the fall-through of a conditional branch when no visit counts are known', () => {
    const out = new BlockCompiler().compile(page(branchy), 0, BASE, FLAT)!;
    expect(out.exits[0]).toEqual({ kind: ExitKind.Direct, target: BASE + 6 }); // the taken side exits
    expect(out.count).toBe(4); // dec, jz, inc eax, jmp (back to the start: a loop)
  });

  it('goes on at the target of a conditional branch reached more than twice as often as its fall-through', () => {
    const visits = (eip: number): number => (eip === BASE + 6 ? 300 : eip === BASE + 3 ? 100 : 0);
    const out = new BlockCompiler({ visits }).compile(page(branchy), 0, BASE, FLAT)!;
    expect(out.exits[0]).toEqual({ kind: ExitKind.Direct, target: BASE + 3 }); // the fall-through exits
    expect(out.count).toBe(4); // dec, jz, then inc ebx and ret at the target
    expect(out.exits.at(-1)!.kind).toBe(ExitKind.Indirect);
  });

  it('keeps the fall-through when the target is not clearly hotter', () => {
    const visits = (eip: number): number => (eip === BASE + 6 ? 150 : eip === BASE + 3 ? 100 : 0);
    const out = new BlockCompiler({ visits }).compile(page(branchy), 0, BASE, FLAT)!;
    expect(out.exits[0]).toEqual({ kind: ExitKind.Direct, target: BASE + 6 });
  });
});
