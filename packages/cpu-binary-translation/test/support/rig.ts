/**
 * A small protected-mode test machine for the translator's hard-case suites: the same guest runs
 * under the binary translator (`bt`) and under the reference interpreter (`interp`, no policy), so
 * a test can require identical architectural state from both.
 *
 * Layout (physical, identity-mapped when paging is on):
 * - 0x0500 GDT: 0x08 code0, 0x10 data0, 0x1b code3, 0x23 data3, 0x28 TSS
 * - 0x0600 TSS (ESP0 = {@link KSTACK}, SS0 = 0x10)
 * - 0x1000 IDT (256 interrupt gates, DPL 3)
 * - 0x3000 one 16-byte stub per vector: `hlt; jmp $-1` (a fault parks the CPU there)
 * - 0x9000 top of the kernel stack
 * - 0x10000 guest code ({@link CODE})
 * - 0x100000 page tables (when paging is on)
 */
import { MetricsRegistry, SliceExit, WasmHostArena } from '@popek/core';
import { expect } from 'vitest';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { enterFlatRing0, writeFlatGdt } from '../../../cpu-x86/test/support/flat-kernel.js';
import { makeCpu, type TestCpu } from '../../../cpu-x86/test/support/machine.js';
import { assemble } from '../../../cpu-x86/test/support/nasm.js';
import { ModeBit } from '../../src/block-compiler.js';
import { BinaryTranslationMode } from '../../src/bt-mode.js';
import { BinaryTranslator, type BinaryTranslationOptions } from '../../src/translator.js';
import { WasmBlockCompiler, type CompiledWasm, type WasmLayout } from '../../src/wasm-block-compiler.js';

export { hasNasm } from '../../../cpu-x86/test/support/nasm.js';

export const GDT = 0x500;
export const TSS = 0x600;
export const IDT = 0x1000;
const TABLES = { gdt: GDT, tss: TSS, idt: IDT };
export const STUBS = 0x3000;
export const KSTACK = 0x9000;
export const CODE = 0x10000;
export const PAGE_TABLES = 0x100000;

/** Page-table entry bits. */
export const PTE = { P: 1, W: 2, U: 4, G: 0x100 } as const;

/**
 * The translator backend of rigs that do not choose one: WebAssembly, or JavaScript with
 * `POPEK_BT_BACKEND=js` (the package's tests run under both).
 */
const DEFAULT_BACKEND: 'js' | 'wasm' = process.env['POPEK_BT_BACKEND'] === 'js' ? 'js' : 'wasm';

/** Which engine runs the guest. */
export type Engine = 'bt' | 'interp';

/** Options of {@link makeRig}. */
export interface RigOptions {
  /** RAM size (default 8 MiB). */
  readonly ramBytes?: number;
  /** Translator options (default: hot threshold 1, every block translated on first sight). */
  readonly bt?: BinaryTranslationOptions;
}

/** A test machine. */
export interface Rig extends TestCpu {
  readonly engine: Engine;
  /** The translator (bt only). */
  readonly translator: BinaryTranslator | undefined;
  /** Assembles `source` (`bits 32`, `org at`) and copies it to physical `at`. */
  load(source: string, at?: number): Uint8Array;
  /** Points IDT vector `v` at `handler` (interrupt gate, CPL 0 code). */
  setGate(v: number, handler: number): void;
  /**
   * Turns on 32-bit paging with an identity map of the first 4 MiB (writable; user-accessible
   * with `user`, global with `global`), CR0.WP with `wp`, CR4.PGE with `pge`; returns the tables
   * for further mappings.
   */
  enablePaging(opts?: { wp?: boolean; pge?: boolean; user?: boolean; global?: boolean }): PageTables;
  /** Enters CPL 3 at `eip` with `esp` (flat user segments). */
  enterUser(eip: number, esp: number): void;
  /** Runs slices of `slice` instructions until the CPU halts or `limit` instructions retire. */
  run(limit?: number, slice?: number): SliceExit;
  /** A dword of physical memory. */
  u32(addr: number): number;
  /** Sets a dword of physical memory (directly, no write tracing). */
  setU32(addr: number, v: number): void;
  /** The vector whose stub the CPU is parked in (-1 if not in a stub). */
  parkedVector(): number;
  /**
   * `bt.interpreted_instructions` when the guest last executed `out 0x80, al` (the end of
   * {@link WARMUP}), or undefined.
   */
  mark: number | undefined;
  /** Every exception delivered after an instruction faulted, with the interpreter work since {@link mark}. */
  readonly faults: { vector: number; eip: number; interpretedSinceMark: number }[];
  /** `bt.interpreted_instructions` minus {@link mark}. */
  interpretedSinceMark(): number;
}

/** A 32-bit two-level page table builder writing into guest RAM. */
export class PageTables {
  #next: number;
  constructor(
    private readonly ram: Uint8Array,
    /** Physical address of the page directory. */
    readonly directory: number,
  ) {
    this.#next = directory + 0x1000;
    ram.fill(0, directory, directory + 0x1000);
  }

  #dv(): DataView {
    return new DataView(this.ram.buffer, this.ram.byteOffset, this.ram.byteLength);
  }

  /** Maps the 4 KiB page at linear `lin` to physical `phys` with `flags` (P is implied). */
  map(lin: number, phys: number, flags: number = PTE.W): void {
    const dv = this.#dv();
    const pdi = lin >>> 22;
    let pde = dv.getUint32(this.directory + pdi * 4, true);
    if ((pde & 1) === 0) {
      const table = this.#next;
      this.#next += 0x1000;
      this.ram.fill(0, table, table + 0x1000);
      pde = table | PTE.P | PTE.W | PTE.U;
      dv.setUint32(this.directory + pdi * 4, pde, true);
    }
    const table = pde & ~0xfff;
    dv.setUint32(table + ((lin >>> 12) & 0x3ff) * 4, ((phys & ~0xfff) | flags | PTE.P) >>> 0, true);
  }

  /** Maps `pages` consecutive pages. */
  mapRange(lin: number, phys: number, pages: number, flags: number = PTE.W): void {
    for (let i = 0; i < pages; i++) this.map(lin + i * 0x1000, phys + i * 0x1000, flags);
  }

  /** Makes the page at `lin` not present. */
  unmap(lin: number): void {
    const at = this.pteAddress(lin);
    if (at >= 0) this.#dv().setUint32(at, 0, true);
  }

  /** Physical address of the page-table entry of `lin` (-1 when its table is absent). */
  pteAddress(lin: number): number {
    const pde = this.#dv().getUint32(this.directory + (lin >>> 22) * 4, true);
    if ((pde & 1) === 0) return -1;
    return (pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4;
  }
}

/** Builds a CPL-0 flat protected-mode machine (paging off) at {@link CODE}, ESP {@link KSTACK}. */
export function makeRig(engine: Engine, rigOptions: RigOptions = {}): Rig {
  const options: RigOptions = { ...rigOptions, bt: { backend: DEFAULT_BACKEND, ...rigOptions.bt } };
  // The WebAssembly backend needs RAM, the TLB and the registers in one arena.
  const arena = engine === 'bt' && options.bt?.backend === 'wasm' ? new WasmHostArena({ maximumPages: 4096 }) : undefined;
  const t = makeCpu(options.ramBytes ?? 8 << 20, {}, (bus) => new Mmu(bus, new DirectStrategy(), new MetricsRegistry(), arena), arena);
  const cpu = t.cpu;
  let translator: BinaryTranslator | undefined;
  if (engine === 'bt') {
    translator = new BinaryTranslator(t.bus, t.bus, t.metrics, { hotThreshold: 1, ...options.bt }, arena);
    cpu.setPolicy(new BinaryTranslationMode(translator));
  }
  const ram = t.bus.ram;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  writeFlatGdt(ram, TABLES, KSTACK);
  const setGate = (v: number, handler: number): void => {
    dv.setUint32(IDT + v * 8, ((0x08 << 16) | (handler & 0xffff)) >>> 0, true);
    dv.setUint32(IDT + v * 8 + 4, ((handler & 0xffff0000) | 0xee00) >>> 0, true);
  };
  for (let v = 0; v < 256; v++) {
    const stub = STUBS + v * 16;
    ram[stub] = 0xf4; // hlt
    ram[stub + 1] = 0xeb; // jmp $-1 (back to the hlt)
    ram[stub + 2] = 0xfd;
    setGate(v, stub);
  }
  enterFlatRing0(cpu, TABLES, CODE, KSTACK);

  const rig: Rig = Object.assign(t, {
    engine,
    translator,
    load(source: string, at = CODE): Uint8Array {
      const bytes = assemble(`bits 32\norg ${at}\n${source}\n`);
      ram.set(bytes, at);
      return bytes;
    },
    setGate,
    enablePaging(opts: { wp?: boolean; pge?: boolean; user?: boolean; global?: boolean } = {}): PageTables {
      const pt = new PageTables(ram, PAGE_TABLES);
      const flags = PTE.W | (opts.user === true ? PTE.U : 0) | (opts.global === true ? PTE.G : 0);
      pt.mapRange(0, 0, 1024, flags);
      if (opts.pge === true) cpu.setControlRegister(4, 0x80);
      cpu.setControlRegister(3, PAGE_TABLES);
      cpu.setControlRegister(0, (0x80000011 | (opts.wp === true ? 0x10000 : 0)) | 0);
      return pt;
    },
    enterUser(eip: number, esp: number): void {
      cpu.setSegment('cs', { selector: 0x1b, base: 0, limit: 0xffffffff, accessRights: 0xc0fb });
      for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: 0x23, base: 0, limit: 0xffffffff, accessRights: 0xc0f3 });
      // IOPL 3, so that the user-mode WARMUP may signal its end with OUT.
      cpu.setRegisters({ eip, esp, eflags: 0x3002 });
    },
    run(limit = 10_000_000, slice = 100_000): SliceExit {
      const end = cpu.retired() + limit;
      for (;;) {
        const r = cpu.runSlice(Math.min(slice, end - cpu.retired()));
        if (r === SliceExit.Requested && cpu.retired() < end) continue;
        if (r !== SliceExit.Budget || cpu.retired() >= end || cpu.shutdown) return r;
      }
    },
    u32(addr: number): number {
      return dv.getUint32(addr, true);
    },
    setU32(addr: number, v: number): void {
      dv.setUint32(addr, v >>> 0, true);
    },
    parkedVector(): number {
      const eip = cpu.eip >>> 0;
      if (eip < STUBS || eip >= STUBS + 256 * 16) return -1;
      return (eip - STUBS) >>> 4;
    },
    mark: undefined as number | undefined,
    faults: [] as { vector: number; eip: number; interpretedSinceMark: number }[],
    interpretedSinceMark(): number {
      return t.metrics.value('bt.interpreted_instructions') - (rig.mark ?? 0);
    },
  });
  t.bus.mapPorts(0x80, 1, {
    read: () => 0xff,
    write: () => {
      rig.mark = t.metrics.value('bt.interpreted_instructions');
    },
  });
  const deliverFault = cpu.deliverFault.bind(cpu);
  cpu.deliverFault = (): void => {
    rig.faults.push({ vector: cpu.excVector, eip: cpu.eip >>> 0, interpretedSinceMark: rig.interpretedSinceMark() });
    deliverFault();
  };
  return rig;
}

/** The architectural state two engines must agree on. */
export interface ArchState {
  readonly regs: readonly number[];
  readonly eip: number;
  readonly eflags: number;
  readonly cpl: number;
  readonly cr0: number;
  readonly cr2: number;
  readonly cr3: number;
  readonly segSel: readonly number[];
  readonly retired: number;
  readonly halted: boolean;
}

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

/** The CPU's architectural state as a plain, comparable value (registers as uint32). */
export function archState(t: TestCpu): ArchState {
  const c = t.cpu;
  return {
    regs: Array.from(c.regs, (v) => v >>> 0),
    eip: c.eip >>> 0,
    eflags: c.getEflags() >>> 0,
    cpl: c.cpl,
    cr0: c.cr0 >>> 0,
    cr2: c.cr2 >>> 0,
    cr3: c.cr3 >>> 0,
    segSel: Array.from(c.segSel),
    retired: c.retired(),
    halted: c.halted,
  };
}

/** Named registers (uint32) for readable assertions. */
export function regs(t: TestCpu): Record<(typeof REG_NAMES)[number], number> {
  const out = {} as Record<(typeof REG_NAMES)[number], number>;
  REG_NAMES.forEach((n, i) => (out[n] = t.cpu.regs[i]! >>> 0));
  return out;
}

/** The interrupt/exception frame at the top of the stack (CPL-0 handler, no privilege change). */
export function frame(rig: Rig, withError: boolean): { error: number; eip: number; cs: number; eflags: number } {
  const esp = rig.cpu.regs[4]! >>> 0;
  const base = withError ? esp + 4 : esp;
  return {
    error: withError ? rig.u32(esp) : -1,
    eip: rig.u32(base),
    cs: rig.u32(base + 4) & 0xffff,
    eflags: rig.u32(base + 8),
  };
}

/** A counter of the translator (0 when never created). */
export function metric(rig: Rig, name: string, labels: Record<string, string> = {}): number {
  return rig.metrics.value(name, labels);
}

/** Builds the same guest on a bt and an interpreter machine (`setup` loads code and state). */
export function twin(setup: (rig: Rig) => void, options: RigOptions = {}): { bt: Rig; ref: Rig } {
  const bt = makeRig('bt', options);
  const ref = makeRig('interp', options);
  setup(bt);
  setup(ref);
  return { bt, ref };
}

/**
 * Runs `src` on a new rig of `engine` with paging on (WP set, supervisor pages), `map` adding
 * pages to the identity map of the first 4 MiB, until it halts or parks in an exception stub.
 */
export function runPaged(engine: Engine, src: string, map: (pt: PageTables, rig: Rig) => void, options: RigOptions = {}): Rig {
  const rig = makeRig(engine, options);
  rig.load(src);
  map(rig.enablePaging({ wp: true }), rig);
  rig.run(200_000);
  return rig;
}

/** Start of the five writable pages {@link walkIntoUnmappedPage} maps; the page after them is not mapped. */
export const WALK_PAGES = 0x500000;

/**
 * Runs `src`, which walks through the pages from {@link WALK_PAGES} into the unmapped one after
 * the fifth with ESI (a #PF there), on a bt and an interpreter rig with paging on (`options` for
 * the bt rig), and checks that both took that #PF, the bt rig after translating, with the same
 * exception frame and the same state. Returns both rigs for the test's own checks.
 */
export function walkIntoUnmappedPage(src: string, options: RigOptions = {}): { bt: Rig; ref: Rig } {
  const map = (pt: PageTables): void => {
    pt.mapRange(WALK_PAGES, WALK_PAGES, 5, PTE.W);
    pt.unmap(WALK_PAGES + 0x5000);
  };
  const rigs = pageFaultLikeInterpreter(src, map, undefined, options);
  for (const r of [rigs.ref, rigs.bt]) expect(regs(r).esi).toBe(WALK_PAGES + 0x5000);
  return rigs;
}

/**
 * Runs `src` with paging on (`map` adding pages, see {@link runPaged}) on a bt rig (`options`)
 * and an interpreter rig, and checks that both took a #PF (with error code `error`, when given),
 * the bt rig after translating, with the same exception frame and the same state. Returns both
 * rigs for the test's own checks.
 */
export function pageFaultLikeInterpreter(src: string, map: (pt: PageTables, rig: Rig) => void, error?: number, options: RigOptions = {}): { bt: Rig; ref: Rig } {
  const bt = runPaged('bt', src, map, options);
  const ref = runPaged('interp', src, map);
  for (const r of [ref, bt]) {
    expect(r.parkedVector()).toBe(14);
    if (error !== undefined) expect(frame(r, true).error).toBe(error);
  }
  expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
  expect(frame(bt, true)).toEqual(frame(ref, true));
  expect(archState(bt)).toEqual(archState(ref));
  return { bt, ref };
}

/** The read-only page {@link writeIntoReadOnlyPage} maps. */
export const READ_ONLY_PAGE = 0x507000;

/**
 * Runs a loop whose `body` writes the dword at ESI: `data` for 2999 iterations, then
 * {@link READ_ONLY_PAGE}, mapped read-only and holding `value`. Checks with
 * {@link pageFaultLikeInterpreter} that a bt rig (`options`) and an interpreter rig both took
 * the #PF with the write bit (error 3) there, alike, and that the page still holds `value`.
 * Returns both rigs for the test's own checks.
 */
export function writeIntoReadOnlyPage(body: string, data: number, value: number, options: RigOptions = {}): { bt: Rig; ref: Rig } {
  const src = `
    ${WARMUP}
    mov ecx, 3000
    mov esi, ${data}
walk:
    mov edx, ${READ_ONLY_PAGE}
    cmp ecx, 1
    cmove esi, edx             ; the last iteration writes the read-only page
    ${body}
    dec ecx
    mov edx, walk
    jmp edx
`;
  const map = (pt: PageTables, r: Rig): void => {
    pt.map(READ_ONLY_PAGE, READ_ONLY_PAGE, 0);
    r.setU32(READ_ONLY_PAGE, value);
  };
  const rigs = pageFaultLikeInterpreter(src, map, 3, options);
  for (const r of [rigs.ref, rigs.bt]) expect(r.u32(READ_ONLY_PAGE)).toBe(value);
  return rigs;
}

/** Flag writers (some after register moves), a flag reader, a branch and a store, to put after an instruction whose flags a test checks. */
export function flagFollowers(data: number): string[] {
  return [
    'add eax, ebx',
    'mov ebx, eax\n    sub ebx, 7',
    'lea esi, [eax + 4]\n    cmp esi, edx',
    'not eax\n    test eax, eax',
    'movzx edx, al\n    xor edx, 0x80',
    'and eax, 0xff',
    'or al, 1',
    'test eax, 0x10',
    'adc eax, ebx',
    'jc .skip\n    inc edi\n.skip:',
    `mov [${data + 0x100}], eax\n    add eax, 1`,
  ];
}

/**
 * Guest code that spins a couple of thousand instructions on the code page, then marks its end
 * with `out 0x80, al` ({@link Rig.mark}). The first instructions of a run are interpreted while
 * the TLB is cold (the translator only looks blocks up through a filled TLB entry) and again
 * after the page first becomes write-traced (which flushes the TLB), so tests that need the code
 * after it translated put this first, and may check {@link Rig.interpretedSinceMark}.
 */
export const WARMUP = `
    mov ecx, 1000
.warm:
    dec ecx
    jnz .warm
    out 0x80, al
`;

/** An arena layout for compiling WebAssembly blocks outside a machine (the offsets are arbitrary). */
export const BLOCK_LAYOUT: WasmLayout = { tlb: 0x100000, ram: 0x1000_0000, regs: 0x1000, segments: 0x2000, mailbox: 0x3000, links: 0x4000, hash: 0x8000, direct: 0x9000, maximumPages: 65536 };

/** The mode key {@link compileWasmBlock} compiles blocks for: CPL 0, flat ES, SS and DS. */
export const BLOCK_MODE = ModeBit.FlatEs | ModeBit.FlatSs | ModeBit.FlatDs;

/**
 * Assembles `source` at {@link CODE} and compiles the WebAssembly block at its start (or `at`
 * bytes on), in flat ring-0 mode, with the engine's visit counts `visits` (none: blocks follow
 * the fall-through); undefined when the backend does not take its first instruction. The block
 * is compiled for mode key {@link BLOCK_MODE} and table slot `slot` (0: none); the host offset
 * of {@link CODE}'s page is {@link BLOCK_HOST_PAGE}, the next page's follows it.
 */
export function compileWasmBlock(source: string, visits?: (eip: number) => number, where: { slot?: number; at?: number } = {}): CompiledWasm | undefined {
  const page = new Uint8Array(8192);
  page.set(assemble(`bits 32\norg ${CODE}\n${source}\n`));
  const at = where.at ?? 0;
  const base = at & ~0xfff;
  return new WasmBlockCompiler(BLOCK_LAYOUT, visits).compile(page.subarray(base), at - base, CODE + at, BLOCK_MODE, BLOCK_HOST_PAGE + base, 0, undefined, where.slot ?? 0);
}

/** The host offset of the page of {@link CODE} for the blocks {@link compileWasmBlock} compiles. */
export const BLOCK_HOST_PAGE = 0x5000;
