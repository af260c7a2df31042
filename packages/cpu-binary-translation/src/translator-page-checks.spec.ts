/**
 * Accesses that stand on an earlier access's page check. In a WebAssembly block, the first access
 * made of some registers checks its TLB entry; later accesses made of the same registers (with no
 * write to them in between, or only constants added, as PUSH and POP add to ESP) widen that one
 * check to cover their bytes and permissions, and are then made with no check of their own. When
 * the widened check fails (the bytes straddle a page end, or the page lacks a permission a later
 * access needs) the block leaves before the first access, and the interpreter goes on; a block
 * whose widened checks keep failing is compiled again without them. Every case against the
 * interpreter.
 */
import { SliceExit } from "@popek/core";
import { describe, expect, it } from "vitest";
import {
  BLOCK_LAYOUT,
  READ_ONLY_PAGE,
  WARMUP,
  WALK_PAGES,
  archState,
  compileWasmBlock,
  hasNasm,
  metric,
  runPaged,
  twin,
  walkIntoUnmappedPage,
  writeIntoReadOnlyPage,
} from "../test/support/rig.js";
import { uleb } from "./wasm-module.js";

const WASM = { backend: "wasm" as const, hotThreshold: 16 };

/** How many times a block's code loads a TLB entry (`i32.load` at the layout's TLB offset). */
function tlbLoads(body: ArrayLike<number>): number {
  const tlb: number[] = [];
  uleb(tlb, BLOCK_LAYOUT.tlb);
  let n = 0;
  for (let i = 0; i + 2 + tlb.length <= body.length; i++) {
    if (body[i] !== 0x28) continue; // i32.load, then the alignment, then the offset
    if (tlb.every((b, j) => body[i + 2 + j] === b)) n++;
  }
  return n;
}

/** A loop over fields off EDI and the stack, with EDI at `data` and ESP at `stack`. */
function fieldLoop(data: number, stack: number): string {
  return `
    ${WARMUP}
    mov edi, ${data}
    mov esp, ${stack}
    mov ecx, 3000
    xor eax, eax
again:
    mov eax, [edi]
    add eax, [edi + 4]
    mov [edi + 8], eax
    add dword [edi + 0x20], ecx
    mov ebx, [edi - 4]
    push eax
    push ebx
    mov edx, [esp + 4]
    add [esp], edx
    pop edx
    pop ebx
    xor [edi - 4], edx
    dec ecx
    jnz again
    hlt
`;
}

describe.skipIf(!hasNasm)(
  "binary translator: accesses that stand on an earlier page check",
  () => {
    it("makes accesses off one register, with no write to it in between, with one TLB load", () => {
      const compiled = compileWasmBlock(`
    mov eax, [edi]
    add eax, [edi + 4]
    mov [edi + 8], eax
    add dword [edi + 0x20], 1
    push eax
    push dword [edi - 4]
    pop edx
    mov [esp - 8], edx
    pop ebx
    hlt
`);
      expect(compiled).toBeDefined();
      // One for EDI's page, one for ESP's: the rest stand on them.
      expect(tlbLoads(compiled!.function.body)).toBe(2);
    });

    it("checks again after the register is written, or after the interpreter ran an instruction", () => {
      const compiled = compileWasmBlock(`
    mov eax, [edi]
    mov edi, esi
    mov [edi + 4], eax
    lea edi, [edi + ebx]
    mov [edi + 8], eax
    cpuid
    mov eax, [edi + 12]
    hlt
`);
      expect(compiled).toBeDefined();
      expect(tlbLoads(compiled!.function.body)).toBe(4);
    });

    it.each([
      ["well inside a page", 0x8100, 0x20800],
      ["straddling a page end (the fields)", 0x9000 - 8, 0x20800],
      ["straddling a page end (the pushes)", 0x8100, 0x20004],
    ])(
      "runs fields and pushes %s with the state of the interpreter",
      (name, data, stack) => {
        const { bt, ref } = twin(
          (r) => {
            r.load(fieldLoop(data, stack));
            for (let a = data - 4; a < data + 0x24; a += 4)
              r.setU32(a, (a * 0x9e3779b1) >>> 0);
          },
          { bt: WASM }
        );
        expect(ref.run()).toBe(SliceExit.Halted);
        expect(bt.run()).toBe(SliceExit.Halted);
        expect(archState(bt)).toEqual(archState(ref));
        for (let a = data - 4; a < data + 0x24; a += 4)
          expect(bt.u32(a)).toBe(ref.u32(a));
        for (let a = stack - 8; a < stack; a += 4)
          expect(bt.u32(a)).toBe(ref.u32(a));
        expect(metric(bt, "bt.wasm.blocks")).toBeGreaterThan(0);
        if (name === "well inside a page") {
          // The loop ran in its block: it never left before an access.
          expect(metric(bt, "bt.wasm.bailouts")).toBeLessThan(10);
          expect(metric(bt, "bt.wasm.unshared")).toBe(0);
          expect(bt.interpretedSinceMark()).toBeLessThan(600);
        } else {
          // The widened check failed every iteration, the block leaving before its first access,
          // until the engine compiled it again without shared checks; the loop then ran in it.
          expect(metric(bt, "bt.wasm.unshared")).toBeGreaterThan(0);
          expect(metric(bt, "bt.wasm.bailouts")).toBeLessThan(500);
        }
      }
    );

    it("runs fields straddling two pages mapped apart with the state of the interpreter", () => {
      // Linear 0x600000 and 0x601000 are physical 0x604000 and 0x602000: the bytes of [EDI + 8]
      // are not where the host offset of [EDI] plus 8 would take them.
      const data = 0x601000 - 8;
      const map = (pt: { map(lin: number, phys: number): void }): void => {
        pt.map(0x600000, 0x604000);
        pt.map(0x601000, 0x602000);
      };
      const bt = runPaged("bt", fieldLoop(data, 0x20800), map, { bt: WASM });
      const ref = runPaged("interp", fieldLoop(data, 0x20800), map);
      expect(ref.cpu.halted).toBe(true);
      expect(archState(bt)).toEqual(archState(ref));
      for (const phys of [0x604000, 0x602000, 0x605000, 0x603000])
        for (let a = phys; a < phys + 0x1000; a += 4)
          if (bt.u32(a) !== ref.u32(a))
            expect([phys, a, bt.u32(a)]).toEqual([phys, a, ref.u32(a)]);
      expect(metric(bt, "bt.wasm.blocks")).toBeGreaterThan(0);
    });

    it("raises #PF at a later access whose bytes are on the unmapped page after the first one, as the interpreter does", () => {
      // [ESI - 4] is on a mapped page when [ESI] is at the start of the unmapped one.
      const { bt } = walkIntoUnmappedPage(
        `
    ${WARMUP}
    mov esi, ${WALK_PAGES + 4}
    xor ebx, ebx
walk:
    mov eax, [esi - 4]
    add ebx, [esi]
    add esi, 4
    jmp walk
`,
        { bt: WASM }
      );
      expect(metric(bt, "bt.wasm.blocks")).toBeGreaterThan(0);
    });

    it("raises #PF at a write through the register a read made writable-checked, on a read-only page", () => {
      // The read of [ESI + 4] checks for the write to [ESI] too: on the read-only page (its TLB
      // entry filled for reads by the loop's first instruction) the block leaves before the read;
      // the interpreter makes the read and faults at the write.
      writeIntoReadOnlyPage(
        `mov ebx, [${
          READ_ONLY_PAGE + 8
        }]\n    mov eax, [esi + 4]\n    add eax, ecx\n    mov [esi], eax`,
        0x8100,
        0x1234_5678,
        { bt: WASM }
      );
    });

    it("does not let a write through a register that was overwritten stand on the old page check", () => {
      // EDI's page is checked writable by the first store; EDI then takes ESI, the read-only page
      // in the last iteration, where the second store must fault.
      writeIntoReadOnlyPage(
        "mov edi, 0x8200\n    mov [edi + 4], ecx\n    mov edi, esi\n    mov [edi], ecx",
        0x8100,
        0x0bad_f00d,
        { bt: WASM }
      );
    });
  }
);
