import {
  HostArena,
  Metrics,
  PopekError,
  PhysicalBus,
  SliceExit,
  WriteTracing,
  inject,
  injectable,
  optional,
  serviceId,
  type Counter,
  type MetricsRegistry,
  type WriteTracer,
} from '@popek/core';
import { Eflags, PARITY, decodeInstruction, divAcc, imulTrunc, isCpuFault, mulAcc, shift, type ExecutionEngine, type X86Cpu } from '@popek/cpu-x86';
import { BlockCompiler, ExitKind, MAX_BLOCK_INSTRUCTIONS, ModeBit, scanBlock, type ExitSpec } from './block-compiler.js';
import { BAIL, BLOCK_HELPERS, BLOCK_NEXT, FlagState, MAILBOX_BYTES, MAX_INSTRUCTION_BYTES, MailboxWord, WasmBlockCompiler, blockModule, type CompiledWasm, type WasmBlockOptions, type WasmLayout } from './wasm-block-compiler.js';
import { HASH_ENTRIES, HASH_ENTRY_BYTES, LINKS_PER_SLOT, carryModule, conditionModule, dispatcherModule, forwardingModule, hashEntry, refusingModule } from './wasm-dispatch.js';
import { exportName, wasmHost, type WasmHostApi, type WasmTable } from './wasm-module.js';

/** Options of the binary translator (all optional). */
export interface BinaryTranslationOptions {
  /**
   * Most translated blocks kept at once (default 32768). When the cache is full it is flushed
   * whole (`bt.invalidations{cause="capacity"}`), as v86 and QEMU do. Blocks not yet hot (a
   * visit count each) do not count; when there are four times as many of them, they alone are
   * dropped.
   */
  readonly maxBlocks?: number;
  /**
   * Times a block's first instruction is reached before the block is translated (default 2000
   * with the WebAssembly backend, 5000 with the JavaScript one). Translating costs as much as
   * interpreting the block many times over, and the host runs a new JavaScript function
   * unoptimised for its first few thousand calls, so code that runs a few thousand times (most of
   * a kernel's initialisation) is cheaper interpreted; WebAssembly needs no type feedback (the
   * host's baseline code runs from the first call), so it pays off sooner. Deterministic Debian boot to the prompt, JavaScript: 300
   * took 27.3 s, 1000 took 20.5–21.6 s, 3000 took 18.0–19.6 s, 5000 took 17.5 s, 10000 took
   * 18.4 s; WebAssembly: 100 took 19.1 s, 500 took 12.5 s, 1000 took 11.7 s, 1500 took
   * 11.0–12.3 s, 2500 took 11.7 s, 5000 took 13.2 s (before WebAssembly blocks were compiled
   * in batches, see {@link BinaryTranslationOptions.batch}).
   */
  readonly hotThreshold?: number;
  /**
   * Writes to one page that invalidate its translations before the page is left to the
   * interpreter until the next full flush (default 32): a page that mixes code and busy data
   * would otherwise be translated again after every write.
   */
  readonly maxPageInvalidations?: number;
  /**
   * Blocks compiled into one WebAssembly module (default 32; the WebAssembly backend only). A
   * block is queued once warm (an eighth of the hot threshold's visits); the queue is compiled
   * when it is full, when one of its blocks reaches the hot threshold, or when the visits its
   * blocks received while queued add up to half the hot threshold. The host's cost of
   * compiling, instantiating and first calling a module is mostly per module: for the 1,724
   * blocks of a Debian boot, 376 µs a block in modules of their own, 114 µs in modules of 8,
   * 67 µs in modules of 16 and 55 µs in modules of 32. Deterministic Debian boot, paired runs
   * against one block a module at the hot threshold (median wall-time ratio of five pairs):
   * warm at an eighth, batches of 16: 0.92; a quarter, 16: 0.91; a half, 16: 0.89; a quarter,
   * 32: 0.88; a sixteenth, 32: 0.91. Since the block compiler got twice as fast, an eighth
   * against a quarter (both 32) measures 0.95, a sixteenth against an eighth 1.02.
   *
   * Batches are compiled on the CPU's thread. Compiling them in a worker thread instead (the
   * page copied with the visit counts the compiler reads, the module posted back and installed
   * unless a write, a flush or a drop came in between; hot blocks still compiled at once) was
   * slower on a two-core host: realtime Debian boot to the prompt in 14.7 and 15.5 s against
   * 12.6–14.6 s on the CPU's thread (14.9–16.4 s with lower thresholds), with 3 s more CPU
   * time. Blocks waited out the round trip interpreted (13% more interpreted instructions), hot
   * ones went hot before their batch came back (four times as many modules while the kernel
   * decompresses), and the second core was not free: without the worker the host already uses
   * 1.3 cores (its own background compilation and garbage collection).
   */
  readonly batch?: number;
  /**
   * What hot blocks are compiled into: `'wasm'`, WebAssembly modules for the forms the
   * WebAssembly backend handles (JavaScript for blocks that start with another form), or
   * `'js'`, JavaScript functions. The default is `'wasm'` when the machine's RAM, TLB and
   * registers are in a {@link HostArena} (the `bt` plugin binds one) and the host has
   * WebAssembly, `'js'` otherwise.
   */
  readonly backend?: 'js' | 'wasm';
}

/** The binary translator's options. */
export const BinaryTranslationOptions = serviceId<BinaryTranslationOptions>('@popek/cpu-binary-translation:Options');

/**
 * With the WebAssembly backend, a cold block is warm (queued for the next batch) after this
 * fraction of the hot threshold's visits.
 */
const WARM_FRACTION = 8;

/**
 * With the WebAssembly backend, the queue of warm blocks is compiled once the visits its blocks
 * received while queued (interpreted, waiting for the batch to fill) add up to the hot threshold
 * divided by this. Without that, queued blocks that went on running interpreted for hundreds of
 * visits each ran 20% of the instructions a Debian boot interprets between "Linux version" and
 * the prompt (3.5 M of 17.2 M). Host instructions of a deterministic boot to the prompt, the
 * host's optimising compiler left out (`valgrind --tool=cachegrind`, `node --single-threaded`):
 * 58.3 G without the limit; with it at 1/32 of the hot threshold 57.8 G, 1/8 56.1 G, 1/4
 * 57.9 G, 1/2 55.4 G, 1 56.3 G (runs vary by about 1 G).
 */
const QUEUE_WAIT_FRACTION = 2;

/**
 * Instructions of a typical cold block: a block of this many (or fewer) instructions is warm after
 * an eighth of the hot threshold's visits ({@link WARM_FRACTION}); a longer one sooner, after
 * about as much interpreting, counting {@link VISIT_WORK} per visit. (Between "Linux version" and
 * the prompt, a Debian boot's cold blocks averaged 5.5 instructions a visit, and blocks of 40 to
 * 48 instructions, unrolled hashing and copying, were visited hundreds of times each.)
 */
const COLD_BLOCK_WORK = 5;

/**
 * What one visit of a cold block costs the engine besides interpreting its instructions (the
 * lookup, entering and leaving the interpreter), in interpreted instructions.
 */
const VISIT_WORK = 3;

/** Cold blocks (visit counters) kept, as a multiple of the translation capacity. */
const COLD_FACTOR = 4;

/**
 * Entries of the cold-block cache: a direct-mapped table in front of the block map for blocks
 * still interpreted, four words an entry (see {@link BinaryTranslator}'s `#cold`).
 */
const COLD_ENTRIES = 1 << 16;

/** Visits recorded in the cold-block cache for a block never to be translated. */
const NEVER = -(2 ** 30);

/** Bit of an entry's third word: a WebAssembly block, whose slot is the fourth word. */
const COLD_WASM = 0x8000;

/** Instructions interpreted at a time where nothing can be translated (real mode, v8086). */
const INTERPRET_CHUNK = 256;

/** TLB entry bits holding the host page offset. */
const OFFSET_MASK = 0x7fff_f000;

const IF = Eflags.IF;

/** The WebAssembly backend's state (see {@link BinaryTranslationOptions.backend}). */
interface WasmBackend {
  readonly api: WasmHostApi;
  readonly layout: WasmLayout;
  /** The mailbox blocks write when they exit. */
  readonly mailbox: Int32Array;
  /** The dispatcher's link words ({@link LINKS_PER_SLOT} per slot). */
  readonly links: Int32Array;
  /** The dispatcher's hash table: EIP, mode key, slot per entry of four words. */
  readonly hash: Int32Array;
  /** Per slot, the mask of the block's direct (linkable) exits. */
  readonly direct: Int32Array;
  /**
   * Per target EIP, the link words of the direct exits that go there: a dropped block's incoming
   * links are cleared through it (see `#retireSlot`).
   */
  readonly linkers: Map<number, number[]>;
  /** The functions of the blocks' helper table, in {@link BLOCK_HELPERS}'s order. */
  readonly helpers: readonly unknown[];
  /** What the blocks import: the arena's memory, the dispatcher's `next` and a helper table (new with each table of blocks). */
  imports: Record<string, Record<string, unknown>>;
  /** The block functions, by slot (slot 0 unused); a new one after each flush (see {@link TABLE_INITIAL}). */
  table: WasmTable;
  /** The dispatcher: `run(slot, budget, fl, mode)` (fl: DF in bit 0, poll for events in bit 1). */
  run: (slot: number, budget: number, fl: number, mode: number) => number;
  /** The dispatcher's compiled module and its imports besides the table, to instantiate it with a new table. */
  readonly dispatcher: { readonly module: object; readonly imports: Record<string, unknown> };
  /** The function a dropped block's slot is pointed at. */
  readonly refuse: unknown;
  /** The block in each slot. */
  readonly slots: (Block | undefined)[];
}

/** The first bytes of the page after a block's, its host offset and, when known, its guest frame. */
interface NextPage {
  readonly bytes: Uint8Array;
  readonly hostPage: number;
  readonly gfn?: number;
}

/** Table slots (WebAssembly blocks translated between two flushes of the cache). */
const MAX_SLOTS = 65_536;

/** Link words a target EIP's list holds before the words of dropped blocks are pruned from it. */
const LINKERS_PRUNE_AT = 64;

/**
 * Entries the table of WebAssembly blocks starts with; it doubles when full, up to
 * {@link MAX_SLOTS}. Only the dispatcher imports the table (the blocks tail-call its `next`, see
 * {@link blockModule}): the host keeps a copy of an imported table per instance, and with every
 * module of blocks importing it, instantiating a module cost in proportion to the table's length
 * and setting an entry or growing the table in proportion to the modules. (V8 in Node 20, the
 * 4,836 kernel blocks of a Debian boot in modules of 23: 70–110 ms to set the entries and grow
 * the table from 4,096, 2–3 ms with one importer.) The table keeps the blocks'
 * modules alive: the engine starts a new one, and a new dispatcher, whenever it flushes the
 * cache, so that the modules of dropped blocks go with the old one.
 */
const TABLE_INITIAL = 4096;

/**
 * Bail-outs at a failed widened page check (see {@link WasmBlockOptions.shareChecks}) after which
 * a WebAssembly block is compiled again without shared checks: one whose widened check fails on
 * every run (a stack frame or a structure that straddles a page end) would leave before its first
 * access each time.
 */
const UNSHARE_AFTER_BAILS = 32;

/** A translation: one guest block, compiled once it is hot. */
class Block {
  /** The compiled function (undefined until the block is hot, or for blocks never compiled). */
  fn: ((end: number) => number) | undefined = undefined;
  /** Visits while cold. */
  hits = 0;
  /** Guest instructions (while cold: as many as the block would hold, interpreted). */
  count = 1;
  /** Still valid (a write to its page or a flush clears it). */
  valid = true;
  /** Exits of the compiled function. */
  exits: readonly ExitSpec[] = [];
  /** The block each exit last went to (direct chaining; a one-entry cache for indirect exits). */
  next: (Block | undefined)[] = [];
  /** The WebAssembly table slot of the block's function (0: not a WebAssembly block). */
  slot = 0;
  /** Warm and waiting to be compiled with the next batch (WebAssembly backend). */
  queued = false;
  /**
   * Starts with a form the WebAssembly backend does not handle: compiled into JavaScript once
   * hot, never queued.
   */
  jsOnly = false;
  /** Times the WebAssembly block left before an access whose widened page check failed when its own would have passed. */
  bails = 0;
  /** The guest frame of the next page, when the block runs an instruction that crosses into it inline (else -1). */
  gfn2 = -1;

  constructor(
    /** Host offset of the first byte (the cache key). */
    readonly key: number,
    /** EIP of the first instruction. */
    readonly eip: number,
    /** The mode key the block was compiled for. */
    readonly mode: number,
    /** Host offset of the page. */
    readonly hostPage: number,
    /** Guest frame of the page. */
    readonly gfn: number,
  ) {}
}

/**
 * The binary-translation engine (`bt`): runs slices by executing translated blocks and falls back
 * to the CPU's interpreter where it does not translate (real and virtual-8086 mode, non-flat code
 * or stack segments, data breakpoints, single-stepping, pending events, a block's first
 * instruction crossing a page, pages that keep being rewritten).
 *
 * Translations are keyed by the host offset of their first byte (which the P2M table ties to
 * one guest-physical address; any change of that mapping flushes the cache), by EIP and by the
 * mode key (CPL and which data segments are flat). The pages they came from are write-traced
 * through the bus: any write to such a page — through any virtual alias, by the interpreter, by
 * translated code or by DMA — drops every translation of the page, and a write into the running
 * block makes it exit after the writing instruction.
 *
 * Interrupts are taken at block boundaries (blocks are at most 48 instructions), and a block is
 * entered only when it fits in the slice's instruction budget, so slices end on exactly the same
 * instruction as under the interpreter and deterministic runs see the same guest time.
 *
 * Hot blocks are compiled by one of two backends ({@link BinaryTranslationOptions.backend}):
 * WebAssembly modules run by a WebAssembly dispatcher that follows links and a hash table between
 * them (see `wasm-block-compiler.ts` and `wasm-dispatch.ts`), or JavaScript functions chained
 * here.
 */
@injectable()
export class BinaryTranslator implements ExecutionEngine, WriteTracer {
  /** The engine's name. */
  readonly name = 'bt';

  // ---- read by generated code (the `S` object) ----
  /** The CPU (set when the engine first runs). */
  cpu!: X86Cpu;
  /** The CPU's TLB. */
  tlb!: Int32Array;
  /** Guest RAM (the frame pool). */
  ram!: Uint8Array;
  /** Guest RAM as dwords (aligned accesses), when the host is little-endian. */
  ram32!: Int32Array;
  /** Guest RAM as words (aligned accesses), when the host is little-endian. */
  ram16!: Uint16Array;
  /** Whether {@link ram16} and {@link ram32} may be used. */
  aligned = false;
  /** The parity table. */
  readonly parity = PARITY;
  /** The ISA's shifts and rotates (flag-exact, from `@popek/cpu-x86`). */
  readonly shift = shift;
  /** Truncating IMUL. */
  readonly imul = imulTrunc;
  /** MUL/IMUL into EDX:EAX. */
  readonly mulAcc = mulAcc;
  /** DIV/IDIV from EDX:EAX (raises #DE). */
  readonly divAcc = divAcc;
  /** Set when a write hit the page of the running block. */
  smc = 0;
  /** Instructions of compiled blocks executed by the interpreter (forms not translated). */
  readonly cFallback: Counter;
  /** Monitor calls from compiled blocks, by instruction class. */
  readonly cMonitor: readonly Counter[];

  readonly #tracing: WriteTracing;
  readonly #options: Required<BinaryTranslationOptions>;
  readonly #map = new Map<number, Block>();
  readonly #pages = new Map<number, Block[]>();
  readonly #pageInvalidations = new Map<number, number>();
  #running: Block | undefined;
  /** Translations alive (compiled blocks on traced pages). */
  #translated = 0;
  #ownTrace = false;
  /** The last lookup failed for one instruction only (a TLB fill that faults, a page that is not RAM). */
  #interpretOne = false;

  readonly #cTranslations: Counter;
  readonly #cTranslatedInstructions: Counter;
  readonly #cHits: Counter;
  readonly #cMisses: Counter;
  readonly #cChained: Counter;
  readonly #cLookedUp: Counter;
  readonly #cInterpreted: Counter;
  readonly #cInvalidWrite: Counter;
  readonly #cInvalidCapacity: Counter;
  readonly #cInvalidMapping: Counter;
  readonly #cInvalidReset: Counter;
  readonly #cBlocksInvalidated: Counter;
  readonly #cWasmBlocks: Counter;
  readonly #cWasmModules: Counter;
  readonly #cBailouts: Counter;
  readonly #cUnshared: Counter;
  readonly #cSharedChecks: Counter;
  /**
   * Keys of blocks compiled again without shared page checks (see {@link UNSHARE_AFTER_BAILS});
   * forgotten at a flush.
   */
  readonly #unsharedKeys = new Set<number>();
  readonly #arena: HostArena | undefined;
  /** The retired count when the running WebAssembly block was entered. */
  #rc0 = 0;
  /** The last block the dispatcher ran. */
  #wasmLast: Block | undefined;
  /** The WebAssembly backend's state once attached (undefined for the JavaScript backend). */
  #wasm: WasmBackend | undefined;
  /** Warm blocks waiting to be compiled together (WebAssembly backend). */
  readonly #queue: Block[] = [];
  /** Visits made to queued blocks, while interpreted, since the queue was last compiled. */
  #queueWait = 0;
  /** Visits to queued blocks after which the queue is compiled (see {@link QUEUE_WAIT_FRACTION}). */
  #queueWaitLimit = Infinity;
  /**
   * Visits that make a cold block warm (queued for the next batch), by its instruction count (see
   * {@link COLD_BLOCK_WORK}); never with the JavaScript backend.
   */
  readonly #warmAt = new Float64Array(MAX_BLOCK_INSTRUCTIONS + 1).fill(Infinity);
  /**
   * The cold-block cache: per entry the block's key, EIP, mode key and instruction count
   * (`mode << 16 | count`) and visits (key -1: empty). It holds blocks below the warm and hot
   * thresholds, whose visits it counts in their place (written back when the entry goes), so
   * that the lookup of an interpreted block reads one entry instead of the map and the block:
   * most of a boot's lookups are of such blocks, and the map and its blocks are beyond the
   * host's caches. WebAssembly blocks looked up from here have entries too ({@link COLD_WASM}
   * set, the slot for the visits).
   */
  readonly #cold = new Int32Array(COLD_ENTRIES * 4).fill(-1);
  /** Visits below which a block stays in the cold-block cache (the lower threshold), by its instruction count. */
  readonly #coldAt = new Float64Array(MAX_BLOCK_INSTRUCTIONS + 1);
  /** What a lookup answers for a block found in the cold-block cache: its count, no function. */
  readonly #coldBlock = new Block(-1, 0, -1, 0, 0);
  /** The CPU's `segGeneration` when `#segKey` was computed (-1: never). */
  #segGeneration = -1;
  /** The mode key's segment part (see `#segmentKey`) at `#segGeneration`. */
  #segKey = -1;

  /**
   * @param tracing - write tracing of guest pages (the bus)
   * @param bus - the bus (mapping changes flush the cache)
   * @param metrics - where the engine counts
   * @param options - cache size and thresholds
   */
  constructor(
    @inject(WriteTracing) tracing: WriteTracing,
    @inject(PhysicalBus) bus: PhysicalBus,
    @inject(Metrics) metrics: MetricsRegistry,
    @inject(BinaryTranslationOptions) @optional() options?: BinaryTranslationOptions,
    @inject(HostArena) @optional() arena?: HostArena,
  ) {
    this.#tracing = tracing;
    this.#arena = arena;
    this.#options = resolveOptions(options ?? {}, arena !== undefined);
    const m = metrics;
    this.#cTranslations = m.counter('bt.translations', 'blocks translated into JavaScript');
    this.#cTranslatedInstructions = m.counter('bt.instructions_translated', 'guest instructions in translated blocks');
    this.#cHits = m.counter('bt.cache.lookups', 'translation cache lookups', { result: 'hit' });
    this.#cMisses = m.counter('bt.cache.lookups', 'translation cache lookups', { result: 'miss' });
    this.#cChained = m.counter('bt.transfers', 'control transfers between blocks', { kind: 'chained' });
    this.#cLookedUp = m.counter('bt.transfers', 'control transfers between blocks', { kind: 'lookup' });
    this.#cInterpreted = m.counter('bt.interpreted_instructions', 'instructions the interpreter ran outside translated blocks (cold code, untranslatable modes, events)');
    this.cFallback = m.counter('bt.interpreter_calls', 'instructions inside translated blocks executed by the interpreter');
    const monitorHelp = 'privileged and sensitive instructions in translated blocks, executed by the monitor';
    this.cMonitor = [
      this.cFallback,
      m.counter('bt.monitor_calls', monitorHelp, { class: 'privileged' }),
      m.counter('bt.monitor_calls', monitorHelp, { class: 'io-sensitive' }),
      m.counter('bt.monitor_calls', monitorHelp, { class: 'sensitive' }),
    ];
    const inv = 'translation cache invalidations';
    this.#cInvalidWrite = m.counter('bt.invalidations', inv, { cause: 'write' });
    this.#cInvalidCapacity = m.counter('bt.invalidations', inv, { cause: 'capacity' });
    this.#cInvalidMapping = m.counter('bt.invalidations', inv, { cause: 'mapping' });
    this.#cInvalidReset = m.counter('bt.invalidations', inv, { cause: 'reset' });
    this.#cBlocksInvalidated = m.counter('bt.blocks_invalidated', 'translated blocks dropped');
    this.#cWasmBlocks = m.counter('bt.wasm.blocks', 'blocks translated into WebAssembly');
    this.#cWasmModules = m.counter('bt.wasm.modules', 'WebAssembly modules compiled (each holds a batch of blocks)');
    this.#cBailouts = m.counter('bt.wasm.bailouts', 'WebAssembly blocks left before an instruction the interpreter then ran (TLB miss, MMIO, page crossing, traced page)');
    this.#cSharedChecks = m.counter('bt.wasm.shared_checks', 'data accesses compiled into WebAssembly blocks with no TLB check of their own, on an earlier access\'s widened check');
    this.#cUnshared = m.counter('bt.wasm.unshared', 'WebAssembly blocks dropped to be compiled again without shared page checks, which kept failing');
    bus.onMappingChange(() => {
      if (!this.#ownTrace) this.#flush(this.#cInvalidMapping);
    });
  }

  /** Translated blocks currently cached. */
  get cachedBlocks(): number {
    return this.#translated;
  }

  /** Guest pages currently holding translated code (write-traced). */
  get tracedPages(): number {
    return this.#pages.size;
  }

  /** Drops every translation (RESET, snapshot restore). */
  reset(): void {
    this.#flush(this.#cInvalidReset);
  }

  /** A traced page was written: its translations go. */
  onTracedWrite(address: number, length: number): void {
    const last = (address + Math.max(length, 1) - 1) >>> 12;
    for (let gfn = address >>> 12; gfn <= last; gfn++) {
      const blocks = this.#pages.get(gfn);
      if (blocks === undefined) continue;
      this.#dropPage(gfn, blocks);
      this.#cInvalidWrite.value++;
      this.#pageInvalidations.set(gfn, (this.#pageInvalidations.get(gfn) ?? 0) + 1);
      if (this.#running !== undefined && (this.#running.gfn === gfn || this.#running.gfn2 === gfn)) this.smc = 1;
    }
  }

  /** Runs at most `maxInstructions` instructions. */
  runSlice(cpu: X86Cpu, maxInstructions: number): SliceExit {
    if (this.cpu !== cpu) this.#attach(cpu);
    const end = cpu.retiredCount + maxInstructions;
    const pic = cpu.pic;
    const tlb = this.tlb;
    let prev: Block | undefined;
    let exitId = 0;
    for (;;) {
      const left = end - cpu.retiredCount;
      if (left <= 0 && !cpu.halted) return SliceExit.Budget;
      if (cpu.halted || cpu.attention !== 0 || ((cpu.flags & IF) !== 0 && pic.hasInterrupt())) {
        // Events, HLT, single-stepping, breakpoints: the interpreter's boundary logic.
        const r = this.#interpret(cpu, left > 0 ? 1 : 0, this.#cInterpreted);
        prev = undefined;
        if (r !== SliceExit.Budget) return r;
        continue;
      }
      let b: Block | undefined;
      if (prev !== undefined) {
        const nb = prev.next[exitId];
        const eip = cpu.eip;
        const ex = cpu.exFlag;
        if (nb !== undefined && nb.valid && nb.eip === eip && (tlb[eip >>> 12]! & (OFFSET_MASK | ex)) === (nb.hostPage | ex)) {
          b = nb;
          this.#cChained.value++;
        }
      }
      if (b === undefined) {
        b = this.#lookup(cpu);
        this.#cLookedUp.value++;
        // Only compiled blocks are chained: a cold block must come through the lookup, which counts
        // its visits towards translation.
        if (b?.fn !== undefined && prev !== undefined && prev.valid && prev.exits[exitId]!.kind !== ExitKind.Mode && b.mode === prev.mode) {
          prev.next[exitId] = b;
          // Both WebAssembly blocks: the dispatcher follows the link without coming back here.
          // (An indirect exit goes through the dispatcher's hash table instead.)
          if (b.slot !== 0 && prev.slot !== 0 && exitId < LINKS_PER_SLOT && prev.exits[exitId]!.kind === ExitKind.Direct) {
            this.#wasm!.links[prev.slot * LINKS_PER_SLOT + exitId] = b.slot;
          }
        }
      }
      // WebAssembly blocks make data accesses with the flags of their privilege; while the CPU's
      // fast paths are closed (alignment checks, data breakpoints) every access must take the
      // interpreter's slow path.
      if (b === undefined || b.fn === undefined || b.count > left || (b.slot !== 0 && cpu.rdFlag === 0)) {
        const n = b === undefined ? Math.min(left, this.#interpretOne ? 1 : INTERPRET_CHUNK) : Math.min(left, b.count);
        this.#interpretOne = false;
        const r = b !== undefined && b.fn === undefined ? this.#interpretCold(cpu, n, end) : this.#interpret(cpu, n, this.#cInterpreted);
        prev = undefined;
        if (r !== SliceExit.Budget) return r;
        continue;
      }
      this.#running = b;
      const entered = cpu.retiredCount;
      try {
        exitId = b.fn(end);
      } catch (e) {
        this.#running = undefined;
        if (!isCpuFault(e)) throw e;
        cpu.deliverFault();
        prev = undefined;
        continue;
      }
      this.#running = undefined;
      if (exitId < 0) {
        prev = undefined;
        if (exitId !== BAIL) {
          // A block the dispatcher chained to refused to run: look again where it starts. (The
          // block entered here checks what the lookup checked; should it refuse all the same,
          // the interpreter takes the instruction so that the slice goes on.)
          if (cpu.eip === b.eip && cpu.retiredCount === entered) {
            const r = this.#interpret(cpu, 1, this.#cInterpreted);
            if (r !== SliceExit.Budget) return r;
          }
          continue;
        }
        // A WebAssembly block left before an instruction it could not complete inline: the
        // interpreter runs it, as the JavaScript backend's slow paths would from inside the block.
        this.#cBailouts.value++;
        const mb = this.#wasm?.mailbox;
        if (mb !== undefined && mb[MailboxWord.SharedCheckFailed] !== 0) {
          // Before an access whose own check would have passed.
          mb[MailboxWord.SharedCheckFailed] = 0;
          const last = this.#wasmLast;
          if (last !== undefined && ++last.bails >= UNSHARE_AFTER_BAILS) this.#unshareChecks(last);
        }
        const r = this.#interpret(cpu, 1, this.cFallback);
        if (r !== SliceExit.Budget) return r;
        continue;
      }
      prev = b.slot !== 0 ? this.#wasmLast : b;
    }
  }

  /**
   * Interprets a cold block's visit of `n` instructions and the visits of the cold blocks after it,
   * as long as the cold-block cache holds each of them and nothing needs the slice loop: an event,
   * the slice's end (at `end` retired instructions), or a block that is warm, queued or translated,
   * which the loop's lookup takes. Most of a boot's cold visits follow another (between "Linux
   * version" and the prompt, 1.9 M of 2.4 M); each one here skips the slice loop's checks and the
   * interpreter's slice entry and exit.
   */
  #interpretCold(cpu: X86Cpu, n: number, end: number): SliceExit {
    const before = cpu.retiredCount;
    const pic = cpu.pic;
    let r: SliceExit;
    for (let count = n; ; ) {
      r = cpu.interpretSlice(count);
      if (r !== SliceExit.Budget) break;
      const left = end - cpu.retiredCount;
      if (left <= 0 || cpu.attention !== 0 || ((cpu.flags & IF) !== 0 && pic.hasInterrupt())) break;
      count = this.#coldVisit(cpu, left);
      if (count === 0) break;
    }
    this.#cInterpreted.value += cpu.retiredCount - before;
    return r;
  }

  /**
   * The instructions of a visit to the block at the CPU's EIP, counted as the lookup counts it,
   * when the cold-block cache holds that block as cold, the visit leaves it cold and it fits in
   * `left` instructions; otherwise 0, and nothing is counted.
   */
  #coldVisit(cpu: X86Cpu, left: number): number {
    const mode = this.#modeKey(cpu);
    if (mode < 0) return 0;
    const eip = cpu.eip;
    const e = this.tlb[eip >>> 12]!;
    if ((e & cpu.exFlag) === 0) return 0;
    const key = (e & OFFSET_MASK) | (eip & 0xfff);
    const c = coldEntry(key);
    if (!this.#coldHolds(c, key, eip, mode)) return 0;
    const cold = this.#cold;
    const word = cold[c + 2]!;
    if ((word & COLD_WASM) !== 0) return 0;
    const count = word & (COLD_WASM - 1);
    const visits = cold[c + 3]! + 1;
    if (count > left || visits >= this.#coldAt[count]!) return 0;
    cold[c + 3] = visits;
    this.#cLookedUp.value++;
    return count;
  }

  /** Interprets at most `n` instructions, counting those retired in `counter`. */
  #interpret(cpu: X86Cpu, n: number, counter: Counter): SliceExit {
    const before = cpu.retiredCount;
    const r = cpu.interpretSlice(n);
    counter.value += cpu.retiredCount - before;
    return r;
  }

  /**
   * The linear address of a read-modify-write operand at `seg:off` (from generated code): the
   * segment's write bounds are checked as the interpreter checks them (#GP or #SS(0) otherwise).
   */
  segLinW(seg: number, off: number, size: number): number {
    const cpu = this.cpu;
    const o = off >>> 0;
    if (o < cpu.segLo[seg]! || o + size - 1 > cpu.segWHi[seg]!) cpu.segFault(seg);
    return (cpu.segBase[seg]! + o) | 0;
  }

  #attach(cpu: X86Cpu): void {
    this.#flush(this.#cInvalidReset);
    this.#segGeneration = -1;
    this.cpu = cpu;
    this.tlb = cpu.tlb;
    this.ram = cpu.ram;
    const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    this.aligned = little && cpu.ram.byteOffset % 4 === 0;
    this.ram32 = this.aligned ? new Int32Array(cpu.ram.buffer, cpu.ram.byteOffset, cpu.ram.length >>> 2) : new Int32Array(0);
    this.ram16 = this.aligned ? new Uint16Array(cpu.ram.buffer, cpu.ram.byteOffset, cpu.ram.length >>> 1) : new Uint16Array(0);
    this.#wasm = this.#options.backend === 'wasm' ? this.#attachWasm(cpu) : undefined;
    const warm = this.#wasm !== undefined ? Math.max(1, Math.ceil(this.#options.hotThreshold / WARM_FRACTION)) : Infinity;
    for (let n = 0; n <= MAX_BLOCK_INSTRUCTIONS; n++) {
      // A longer block is warm sooner: after about as much interpreting as a typical one.
      this.#warmAt[n] = Math.min(warm, Math.max(1, Math.ceil((warm * (COLD_BLOCK_WORK + VISIT_WORK)) / (n + VISIT_WORK))));
      this.#coldAt[n] = Math.min(this.#warmAt[n]!, this.#options.hotThreshold);
    }
    this.#queueWaitLimit = Math.max(1, Math.ceil(this.#options.hotThreshold / QUEUE_WAIT_FRACTION));
  }

  /**
   * Checks that the CPU's RAM, TLB, registers and segment state are views of the arena's memory
   * (a write through each view is seen through the memory) and sets up the mailbox, the
   * dispatcher's tables, the dispatcher and the helpers the WebAssembly blocks import.
   */
  #attachWasm(cpu: X86Cpu): WasmBackend {
    const arena = this.#arena;
    const inArena = (view: Int32Array | Uint8Array, index: number, probe: number): boolean => {
      // A write through the view must be seen at its offset in the arena's memory.
      if (arena === undefined || !(view.buffer instanceof SharedArrayBuffer)) return false;
      const whole = new Uint8Array(arena.memory.buffer);
      if (view.byteOffset + view.byteLength > whole.length) return false;
      const saved = view[index]!;
      view[index] = probe;
      const seen = whole[view.byteOffset + index * view.BYTES_PER_ELEMENT]!;
      view[index] = saved;
      return seen === (probe & 255);
    };
    const segmentsLaidOut =
      cpu.segLo.byteOffset === cpu.segBase.byteOffset + 24 && cpu.segRHi.byteOffset === cpu.segBase.byteOffset + 72 && cpu.segWHi.byteOffset === cpu.segBase.byteOffset + 120;
    if (wasmHost === undefined || !segmentsLaidOut || !inArena(cpu.regs, 0, 0x5a) || !inArena(cpu.segBase, 0, 0x77) || !inArena(cpu.tlb, 0, 0xa5) || !inArena(cpu.ram, 0, 0x3c)) {
      throw new PopekError(
        'bt-backend-unavailable',
        "The binary translator's WebAssembly backend needs guest RAM, the TLB and the CPU registers in one WebAssembly memory; bind a HostArena (such as WasmHostArena) in the machine's profile, or use the 'js' backend.",
      );
    }
    const at = arena!.allocate(MAILBOX_BYTES, 8);
    const linksAt = arena!.allocate(MAX_SLOTS * LINKS_PER_SLOT * 4, 8);
    const hashAt = arena!.allocate(HASH_ENTRIES * HASH_ENTRY_BYTES, 16);
    const directAt = arena!.allocate(MAX_SLOTS * 4, 8);
    const memory = arena!.memory;
    const mailbox = new Int32Array(memory.buffer, at, MAILBOX_BYTES >>> 2);
    const links = new Int32Array(memory.buffer, linksAt, MAX_SLOTS * LINKS_PER_SLOT);
    const hash = new Int32Array(memory.buffer, hashAt, (HASH_ENTRIES * HASH_ENTRY_BYTES) >>> 2);
    const direct = new Int32Array(memory.buffer, directAt, MAX_SLOTS);
    const layout: WasmLayout = { tlb: cpu.tlb.byteOffset, ram: cpu.ram.byteOffset, regs: cpu.regs.byteOffset, segments: cpu.segBase.byteOffset, mailbox: at, links: linksAt, hash: hashAt, direct: directAt, maximumPages: 65536 };
    const poll = (retired: number): number => {
      // A block boundary in a chain or a loop: at its guest time, is an event waiting?
      const c = this.cpu;
      c.retiredCount = this.#rc0 + mailbox[MailboxWord.Total]! + retired;
      return c.attention !== 0 || ((c.flags & IF) !== 0 && c.pic.hasInterrupt()) ? 1 : 0;
    };
    const helpers: Record<string, unknown> = {
      m: memory,
      cond: (cc: number): number => {
        this.#takeFlags();
        return this.cpu.cond(cc) ? 1 : 0;
      },
      cf: (): number => {
        this.#takeFlags();
        return this.cpu.cf();
      },
      rot: (bits: number): void => {
        // ROL/ROR: CF and OF (in `bits`) replace the flags' own; the others stay as they were.
        this.#takeFlags();
        const c = this.cpu;
        c.lazy &= ~(Eflags.CF | Eflags.OF);
        c.flags = (c.flags & ~(Eflags.CF | Eflags.OF)) | bits;
      },
      poll,
      interp: (eip: number, next: number, retired: number, cls: number): number => {
        // An instruction the block does not handle inline: the interpreter runs it on the state
        // the block stored (a fault unwinds the block and the dispatcher; the engine delivers it).
        this.#takeFlags();
        const c = this.cpu;
        c.eip = eip;
        c.retiredCount = this.#rc0 + mailbox[MailboxWord.Total]! + retired;
        this.cMonitor[cls]!.value++;
        const dropped = this.#cBlocksInvalidated.value;
        c.executeOne();
        mailbox[MailboxWord.Eip] = c.eip;
        return c.eip === next && this.#cBlocksInvalidated.value === dropped && c.attention === 0 && c.rdFlag !== 0 && !((c.flags & IF) !== 0 && c.pic.hasInterrupt()) ? 0 : 1;
      },
    };
    const api = wasmHost!;
    const table = new api.Table({ element: 'anyfunc', initial: TABLE_INITIAL });
    const instantiate = (bytes: Uint8Array, e: Record<string, unknown>): unknown => new api.Instance(new api.Module(bytes), { e }).exports[exportName(0)];
    // Blocks read incoming flags through WebAssembly helpers that evaluate the state the chain
    // left in the mailbox, and ask the CPU only when there is none.
    helpers['cf'] = instantiate(carryModule(layout), { m: memory, j: helpers['cf'] });
    helpers['cond'] = instantiate(conditionModule(layout), { m: memory, j: helpers['cond'] });
    // The host helpers the blocks call, as WebAssembly functions.
    const hosted = BLOCK_HELPERS.filter((f) => f.name === 'poll' || f.name === 'rot' || f.name === 'interp');
    const forwarding = new api.Instance(new api.Module(forwardingModule(layout, hosted)), { e: { m: memory, ...Object.fromEntries(hosted.map((f) => [f.name, helpers[f.name]])) } }).exports;
    hosted.forEach((f, i) => (helpers[f.name] = forwarding[exportName(i)]));
    const dispatcher = { module: new api.Module(dispatcherModule(layout)), imports: { m: memory, poll } };
    const { run, next } = dispatcherOn(api, dispatcher, table);
    const blockHelpers = BLOCK_HELPERS.map((f) => helpers[f.name]);
    const imports = blockImports(api, memory, blockHelpers, next);
    const refuse = instantiate(refusingModule(layout), { m: memory });
    return { api, layout, mailbox, links, hash, direct, linkers: new Map(), helpers: blockHelpers, imports, table, run, dispatcher, refuse, slots: [undefined] };
  }

  /**
   * Runs WebAssembly block `b` through the dispatcher, which may go on through linked blocks: the
   * mailbox gives EIP, the instructions retired, the flags and the last block.
   */
  #runWasm(b: Block, end: number): number {
    const w = this.#wasm!;
    const cpu = this.cpu;
    const mb = w.mailbox;
    const rc0 = cpu.retiredCount;
    this.#rc0 = rc0;
    mb[MailboxWord.Eip] = b.eip;
    // Bit 1 asks the chain to poll at its block boundaries: with IF set, unless the interrupt
    // controller's request cannot change while no device runs (as in the chain).
    const poll = cpu.pic.eventDriven === true ? 0 : (cpu.flags >>> 8) & 2;
    const x = w.run(b.slot, end - rc0, ((cpu.flags >>> 10) & 1) | poll, b.mode);
    cpu.eip = mb[MailboxWord.Eip]!;
    cpu.retiredCount = rc0 + mb[MailboxWord.Total]!;
    if (mb[MailboxWord.Flags] !== 0) this.#takeFlags();
    const chained = mb[MailboxWord.Chained]!;
    if (chained !== 0) {
      this.#cChained.value += chained;
      mb[MailboxWord.Chained] = 0;
    }
    const lookedUp = mb[MailboxWord.LookedUp]!;
    if (lookedUp !== 0) {
      this.#cLookedUp.value += lookedUp;
      this.#cHits.value += lookedUp;
      mb[MailboxWord.LookedUp] = 0;
    }
    this.#wasmLast = w.slots[mb[MailboxWord.Slot]!];
    return x;
  }

  /** Moves the lazy flags a WebAssembly block left in the mailbox into the CPU. */
  #takeFlags(): void {
    const mb = this.#wasm!.mailbox;
    const state = mb[MailboxWord.Flags]!;
    if (state === 0) return;
    mb[MailboxWord.Flags] = 0;
    const cpu = this.cpu;
    const size = mb[MailboxWord.Size]!;
    cpu.lzRes = mb[MailboxWord.Res]!;
    cpu.lzMask = size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    cpu.lzSign = size === 4 ? -0x8000_0000 : size === 2 ? 0x8000 : 0x80;
    switch (state) {
      case FlagState.Arith:
      case FlagState.Carry:
        // Carry: CF is given, the other five come from the operands as for Arith.
        if (state === FlagState.Carry) cpu.flags = (cpu.flags & -2) | mb[MailboxWord.Cf]!;
        cpu.lazy = state === FlagState.Arith ? 2261 : 2260;
        cpu.lzOp = mb[MailboxWord.Op]!;
        cpu.lzA = mb[MailboxWord.A]!;
        cpu.lzB = mb[MailboxWord.B]!;
        break;
      case FlagState.Shift:
        cpu.flags = (cpu.flags & -2066) | mb[MailboxWord.Cf]! | mb[MailboxWord.Of]!;
        cpu.lazy = 196;
        cpu.lzOp = 0;
        break;
      default:
        cpu.flags &= -2066;
        cpu.lazy = 196;
        cpu.lzOp = 0;
        break;
    }
  }

  /** The mode key for the CPU's current state, or -1 where the engine does not translate. */
  #modeKey(cpu: X86Cpu): number {
    if (cpu.segGeneration !== this.#segGeneration) {
      this.#segKey = this.#segmentKey(cpu);
      this.#segGeneration = cpu.segGeneration;
    }
    return this.#segKey < 0 ? -1 : this.#segKey | cpu.cpl;
  }

  /** The mode key's part that the segments and the mode make (all but the CPL), or -1. */
  #segmentKey(cpu: X86Cpu): number {
    if (!cpu.protectedMode || !cpu.csD || !cpu.ssB || cpu.bpData !== 0) return -1;
    const base = cpu.segBase;
    if (base[1] !== 0 || cpu.segLimit[1] !== 0xffff_ffff) return -1;
    const lo = cpu.segLo;
    const rh = cpu.segRHi;
    const wh = cpu.segWHi;
    let m = 0;
    if (base[0] === 0 && lo[0] === 0 && rh[0] === 0xffff_ffff && wh[0] === 0xffff_ffff) m |= ModeBit.FlatEs;
    if (base[2] === 0 && lo[2] === 0 && rh[2] === 0xffff_ffff && wh[2] === 0xffff_ffff) m |= ModeBit.FlatSs;
    if (base[3] === 0 && lo[3] === 0 && rh[3] === 0xffff_ffff && wh[3] === 0xffff_ffff) m |= ModeBit.FlatDs;
    return m;
  }

  /** Finds (or makes) the block at the CPU's EIP; undefined where nothing is translated. */
  #lookup(cpu: X86Cpu): Block | undefined {
    const mode = this.#modeKey(cpu);
    if (mode < 0) return undefined;
    const eip = cpu.eip;
    let e = this.tlb[eip >>> 12]!;
    let gpa = -1;
    if ((e & cpu.exFlag) === 0) {
      // Not in the TLB (after a CR3 write or a flush): fill it as the fetch would.
      this.#interpretOne = true;
      gpa = cpu.mmu.translate(eip >>> 0, 2, cpu.user);
      if (gpa < 0) return undefined; // the interpreter faults
      e = this.tlb[eip >>> 12]!;
      if ((e & cpu.exFlag) === 0) return undefined; // not RAM: interpreted
      this.#interpretOne = false;
    }
    const hostPage = e & OFFSET_MASK;
    const key = hostPage | (eip & 0xfff);
    const cold = this.#cold;
    const c = coldEntry(key);
    if (this.#coldHolds(c, key, eip, mode)) {
      if ((cold[c + 2]! & COLD_WASM) !== 0) {
        this.#cHits.value++;
        return this.#wasm!.slots[cold[c + 3]!];
      }
      const count = cold[c + 2]! & (COLD_WASM - 1);
      if (++cold[c + 3]! < this.#coldAt[count]!) {
        const cb = this.#coldBlock;
        cb.count = count;
        return cb;
      }
      this.#coldWriteBack(c); // warm or hot: the map's block takes over
    }
    let b = this.#map.get(key);
    if (b !== undefined && b.eip === eip && b.mode === mode) {
      if (b.fn !== undefined) {
        this.#cHits.value++;
        if (b.slot !== 0) this.#coldPut(c, b);
        return b;
      }
      const hits = ++b.hits;
      if (hits >= this.#options.hotThreshold) this.#compile(b);
      else if (hits >= this.#warmAt[b.count]! && !b.queued && !b.jsOnly) this.#enqueue(b);
      else if (b.queued && ++this.#queueWait >= this.#queueWaitLimit) this.#compile(b);
      else if (hits < this.#coldAt[b.count]!) this.#coldPut(c, b);
      return b;
    }
    this.#cMisses.value++;
    if (gpa < 0) gpa = cpu.mmu.translate(eip >>> 0, 2, cpu.user);
    if (gpa < 0) return undefined;
    const gfn = gpa >>> 12;
    if ((this.#pageInvalidations.get(gfn) ?? 0) >= this.#options.maxPageInvalidations) return undefined;
    if (this.#map.size >= COLD_FACTOR * this.#options.maxBlocks) this.#dropCold();
    b = new Block(key, eip, mode, hostPage, gfn);
    b.hits = 1;
    // While cold, the block is interpreted as many instructions as it would hold.
    b.count = Math.max(1, scanBlock(this.ram.subarray(hostPage, hostPage + 4096), eip & 0xfff));
    this.#map.set(key, b);
    if (b.hits >= this.#options.hotThreshold) this.#compile(b);
    else if (b.hits < this.#coldAt[b.count]!) this.#coldPut(c, b);
    return b;
  }

  /** Puts cold or WebAssembly block `b` in cold-block cache entry `c` (writing back the block there). */
  #coldPut(c: number, b: Block): void {
    const cold = this.#cold;
    if (cold[c] !== -1) this.#coldWriteBack(c);
    cold[c] = b.key;
    cold[c + 1] = b.eip | 0;
    if (b.slot !== 0) {
      cold[c + 2] = (b.mode << 16) | COLD_WASM;
      cold[c + 3] = b.slot;
    } else {
      cold[c + 2] = (b.mode << 16) | Math.min(b.count, COLD_WASM - 1);
      cold[c + 3] = Math.max(b.hits, NEVER);
    }
  }

  /** Empties cold-block cache entry `c`, giving its visits back to its block. */
  #coldWriteBack(c: number): void {
    const cold = this.#cold;
    if ((cold[c + 2]! & COLD_WASM) !== 0) {
      cold[c] = -1;
      return;
    }
    const b = this.#map.get(cold[c]!);
    if (b !== undefined && (b.eip | 0) === cold[c + 1] && b.mode === cold[c + 2]! >>> 16 && b.fn === undefined) {
      const hits = cold[c + 3]!;
      b.hits = hits <= NEVER / 2 ? -Infinity : hits;
    }
    cold[c] = -1;
  }

  /** Takes block `b` out of the cold-block cache if it is there (its visits back in the block). */
  #coldForget(b: Block): void {
    const c = coldEntry(b.key);
    if (this.#coldHolds(c, b.key, b.eip, b.mode)) this.#coldWriteBack(c);
  }

  /** Whether cold-block cache entry `c` holds the block of key `key`, EIP `eip` and mode key `mode`. */
  #coldHolds(c: number, key: number, eip: number, mode: number): boolean {
    const cold = this.#cold;
    return cold[c] === key && cold[c + 1] === (eip | 0) && cold[c + 2]! >>> 16 === mode;
  }

  /** Queues warm block `b` for the next batch; a full queue is compiled at once. */
  #enqueue(b: Block): void {
    b.queued = true;
    this.#queue.push(b);
    if (this.#queue.length >= this.#options.batch) this.#compile(b);
  }

  /**
   * Compiles hot block `b`. With the WebAssembly backend the warm blocks queued so far are
   * compiled with it, into one module: the host's cost of a module is mostly per module (see
   * {@link BinaryTranslationOptions.batch}), so blocks are worth compiling after fewer visits.
   */
  #compile(b: Block): void {
    const wasm = this.#wasm;
    const queue = this.#queue;
    const adding = queue.length + 1;
    if (this.#translated + adding > this.#options.maxBlocks || (wasm !== undefined && wasm.slots.length + adding > MAX_SLOTS)) {
      this.#flush(this.#cInvalidCapacity);
      // The block being made hot starts the new cache.
      b.valid = true;
      this.#map.set(b.key, b);
    }
    if (wasm === undefined || b.jsOnly) {
      this.#compileJs(b);
      return;
    }
    const batch = b.queued ? [] : [b];
    // A block checks its page's execute permission for its privilege (the CPU's now): blocks
    // queued at the other one wait for their next visit to be queued again.
    const cpl = b.mode & ModeBit.Cpl;
    for (const q of queue) {
      // Queued blocks may have been dropped (a flush, cold blocks forgotten) or compiled since.
      if (q.valid && q.fn === undefined && q.hits >= 0 && this.#map.get(q.key) === q && (q.mode & ModeBit.Cpl) === cpl) batch.push(q);
    }
    this.#clearQueue();
    this.#compileWasm(wasm, batch);
  }

  /**
   * Write-traces the page of `b` (the first translation on it) and returns the page's list of
   * translations, or undefined when the page is not RAM (ROM or a hole: the block is never
   * translated and is interpreted one instruction at a time).
   */
  #tracePage(b: Block): Block[] | undefined {
    const blocks = this.#traceFrame(b.gfn);
    if (blocks === undefined) {
      this.#coldForget(b);
      b.hits = -Infinity;
    }
    return blocks;
  }

  /** Write-traces guest frame `gfn` (unless traced already) and returns its list of translations; undefined when it is not RAM. */
  #traceFrame(gfn: number): Block[] | undefined {
    let blocks = this.#pages.get(gfn);
    if (blocks !== undefined) return blocks;
    this.#ownTrace = true;
    let traced: boolean;
    try {
      traced = this.#tracing.trace(gfn, this);
    } finally {
      this.#ownTrace = false;
    }
    if (!traced) return undefined;
    blocks = [];
    this.#pages.set(gfn, blocks);
    return blocks;
  }

  /** Compiles `batch` into one WebAssembly module (blocks that start with a form it lacks: JavaScript). */
  #compileWasm(wasm: WasmBackend, batch: readonly Block[]): void {
    const blocks: Block[] = [];
    const compiled: CompiledWasm[] = [];
    for (const b of batch) {
      if (this.#tracePage(b) === undefined) continue;
      const page = this.ram.subarray(b.hostPage, b.hostPage + 4096);
      // The slot #install will give it (blocks are installed in this order): its tail calls
      // follow its own links.
      const slot = wasm.slots.length + blocks.length;
      const shareChecks = !this.#unsharedKeys.has(b.key);
      // (A block compiled again after a flush may have stood on another next page before.)
      b.gfn2 = -1;
      const next = this.#nextPage(b) ?? this.#nextPageFetched(b, page);
      const compile = (nextHost: number): CompiledWasm | undefined =>
        new WasmBlockCompiler(wasm.layout, (eip) => this.#visits(b, eip), { shareChecks }).compile(page, b.eip & 0xfff, b.eip, b.mode, b.hostPage, this.cpu.exFlag, next?.bytes, slot, nextHost);
      let w = compile(next?.hostPage ?? -1);
      if (w?.crossesPage === true) {
        // Its crossing instruction stands on the next page's bytes: a write there drops it too
        // (the page is traced once the batch is compiled: tracing flushes the TLB, which the
        // batch's other blocks read their next pages through).
        const gfn2 = next?.gfn ?? this.#nextFrame(b);
        if (gfn2 >= 0) b.gfn2 = gfn2;
        else w = compile(-1);
      }
      if (w === undefined) {
        // A JavaScript block runs unoptimised for its first thousands of calls: only worth it hot.
        b.jsOnly = true;
        if (b.hits >= this.#options.hotThreshold) this.#compileJs(b);
      } else {
        blocks.push(b);
        compiled.push(w);
      }
    }
    if (blocks.some((b) => b.gfn2 >= 0 && this.#traceFrame(b.gfn2) === undefined)) {
      // A next page the TLB maps executable that is not RAM: not seen, but the blocks were
      // compiled for their slots in order, so none of them is installed (a new start).
      this.#flush(this.#cInvalidMapping);
      return;
    }
    if (blocks.length === 0) return;
    const fns = this.#instantiate(wasm, compiled);
    if (fns !== undefined) {
      for (let i = 0; i < blocks.length; i++) this.#install(wasm, blocks[i]!, compiled[i]!, fns[i]);
      return;
    }
    // A host that will not compile the module here (a browser's main thread limits synchronous
    // compilation to small modules): one module per block, or the JavaScript backend.
    for (let i = 0; i < blocks.length; i++) {
      const one = blocks.length > 1 ? this.#instantiate(wasm, [compiled[i]!]) : undefined;
      if (one !== undefined) {
        this.#install(wasm, blocks[i]!, compiled[i]!, one[0]);
      } else {
        // Its slot stays empty: the blocks after it were compiled for theirs.
        wasm.slots.push(undefined);
        this.#compileJs(blocks[i]!);
      }
    }
  }

  /**
   * The first bytes of the page after block `b`'s in linear order, when the TLB maps it as
   * executable RAM now (for an instruction that crosses the page end; the block does not rely on
   * them staying so, see {@link WasmBlockCompiler.compile}).
   */
  #nextPage(b: Block): NextPage | undefined {
    const e = this.tlb[((b.eip >>> 12) + 1) & 0xf_ffff]!;
    if ((e & this.cpu.exFlag) === 0) return undefined;
    const at = e & OFFSET_MASK;
    return { bytes: this.ram.subarray(at, at + MAX_INSTRUCTION_BYTES), hostPage: at };
  }

  /**
   * The next page as {@link #nextPage} gives it, for a block whose first instruction crosses into
   * it when the TLB does not hold it now (a flush since): the interpreter fetched that instruction
   * there on the block's visits, so the page is translated again as that fetch would. Without it
   * such a block would never be compiled (nor could the JavaScript backend take it). It gives the
   * page's guest frame too, which it translated for.
   */
  #nextPageFetched(b: Block, page: Uint8Array): NextPage | undefined {
    if (decodeInstruction(page, b.eip & 0xfff, true) !== undefined) return undefined;
    const gfn = this.#nextFrame(b);
    if (gfn < 0) return undefined;
    const next = this.#nextPage(b);
    return next === undefined ? undefined : { ...next, gfn };
  }

  /**
   * The guest frame of the page after block `b`'s in linear order, or -1 when it does not
   * translate for an instruction fetch now. (The TLB holds it already, executable: the
   * interpreter fetched the crossing instruction there.)
   */
  #nextFrame(b: Block): number {
    const lin = ((((b.eip >>> 12) + 1) & 0xf_ffff) << 12) >>> 0;
    const gpa = this.cpu.mmu.translate(lin, 2, this.cpu.user);
    return gpa < 0 ? -1 : gpa >>> 12;
  }

  /** Puts WebAssembly block function `fn` (of `b`, compiled as `w`) in a table slot and the hash table. */
  #install(wasm: WasmBackend, b: Block, w: CompiledWasm, fn: unknown): void {
    const slot = wasm.slots.length;
    if (slot >= wasm.table.length) wasm.table.grow(Math.min(wasm.table.length, MAX_SLOTS - wasm.table.length));
    wasm.table.set(slot, fn);
    wasm.slots.push(b);
    b.slot = slot;
    let mask = 0;
    for (let x = 0; x < Math.min(w.exits.length, LINKS_PER_SLOT); x++) {
      const exit = w.exits[x]!;
      if (exit.kind !== ExitKind.Direct) continue;
      mask |= 1 << x;
      this.#addLinker(wasm, exit.target, slot * LINKS_PER_SLOT + x);
    }
    wasm.direct[slot] = mask;
    const h = hashEntry(b.eip);
    wasm.hash[h] = b.eip;
    wasm.hash[h + 1] = b.mode;
    wasm.hash[h + 2] = slot;
    b.fn = (end: number): number => this.#runWasm(b, end);
    this.#installed(b, w.count, w.exits, w.instructions);
    this.#cWasmBlocks.value++;
    this.#cSharedChecks.value += w.sharedChecks;
  }

  /** Compiles `b` into a JavaScript function. */
  #compileJs(b: Block): void {
    if (this.#tracePage(b) === undefined) return;
    // A JavaScript block ends before an instruction that crosses the page end.
    b.gfn2 = -1;
    const page = this.ram.subarray(b.hostPage, b.hostPage + 4096);
    const compiled = new BlockCompiler({ aligned: this.aligned, visits: (eip) => this.#visits(b, eip) }).compile(page, b.eip & 0xfff, b.eip, b.mode);
    if (compiled === undefined) {
      this.#coldForget(b);
      b.hits = -Infinity; // the first instruction crosses the page: interpreted
      return;
    }
    const factory = new Function('S', compiled.source) as (s: BinaryTranslator) => (end: number) => number;
    b.fn = factory(this);
    this.#installed(b, compiled.count, compiled.exits);
  }

  /**
   * Records compiled block `b` (its function set) in its page's list and the counters: `count`
   * instructions on its longest path, `instructions` on all its paths.
   */
  #installed(b: Block, count: number, exits: readonly ExitSpec[], instructions = count): void {
    b.count = count;
    b.exits = exits;
    b.next = new Array<Block | undefined>(exits.length).fill(undefined);
    this.#pages.get(b.gfn)!.push(b);
    if (b.gfn2 >= 0 && b.gfn2 !== b.gfn) this.#pages.get(b.gfn2)?.push(b);
    this.#translated++;
    this.#cTranslations.value++;
    this.#cTranslatedInstructions.value += instructions;
  }

  /**
   * How often execution reached a block starting at `eip` on the page of `b` (its visit count
   * while cold; the threshold once translated; 0 when unknown or never translated).
   */
  #visits(b: Block, eip: number): number {
    const other = this.#map.get(b.hostPage | (eip & 0xfff));
    if (other === undefined || other.eip !== eip || other.mode !== b.mode) return 0;
    if (other.fn !== undefined) return this.#options.hotThreshold;
    const c = coldEntry(other.key);
    const hits = this.#coldHolds(c, other.key, other.eip, other.mode) ? this.#cold[c + 3]! : other.hits;
    return Math.max(hits, 0);
  }

  #dropPage(gfn: number, blocks: readonly Block[]): void {
    // A block whose crossing instruction stands on the next page is on that page's list too: it
    // may have gone with the other page already.
    let dropped = 0;
    for (const b of blocks) {
      if (!b.valid) continue;
      this.#forget(b);
      dropped++;
    }
    this.#cBlocksInvalidated.value += dropped;
    this.#translated -= dropped;
    this.#pages.delete(gfn);
    this.#tracing.untrace(gfn, this);
  }

  /** The functions of a module of blocks `compiled`, or undefined when the host refuses to compile it. */
  #instantiate(wasm: WasmBackend, compiled: readonly CompiledWasm[]): unknown[] | undefined {
    try {
      const exports = new wasm.api.Instance(new wasm.api.Module(blockModule(wasm.layout, compiled.map((w) => w.function))), wasm.imports).exports;
      this.#cWasmModules.value++;
      return compiled.map((_, i) => exports[exportName(i)]);
    } catch (e) {
      if (e instanceof RangeError) return undefined;
      throw e;
    }
  }

  /**
   * Drops WebAssembly block `b`, whose widened page checks keep failing, for one compiled without
   * them once it is hot again.
   */
  #unshareChecks(b: Block): void {
    this.#unsharedKeys.add(b.key);
    this.#forget(b);
    const blocks = this.#pages.get(b.gfn);
    const i = blocks?.indexOf(b) ?? -1;
    if (i >= 0) blocks!.splice(i, 1);
    this.#translated--;
    this.#cBlocksInvalidated.value++;
    this.#cUnshared.value++;
  }

  /** Invalidates translated block `b`: out of the map, its WebAssembly slot (if any) retired. */
  #forget(b: Block): void {
    b.valid = false;
    if (this.#map.get(b.key) === b) this.#map.delete(b.key);
    if (b.slot !== 0) this.#retireSlot(b);
  }

  /**
   * Records link word `word` (of a direct exit) as one that may lead to `target`. A target's list
   * drops the words of dropped blocks before it grows past {@link LINKERS_PRUNE_AT}, so code
   * that is translated again and again does not make it grow without bound.
   */
  #addLinker(wasm: WasmBackend, target: number, word: number): void {
    const key = target | 0;
    let words = wasm.linkers.get(key);
    if (words === undefined) wasm.linkers.set(key, (words = []));
    else if (words.length >= LINKERS_PRUNE_AT) {
      let kept = 0;
      for (const w of words) if (wasm.slots[(w / LINKS_PER_SLOT) | 0] !== undefined) words[kept++] = w;
      words.length = kept;
    }
    words.push(word);
  }

  /**
   * Points a dropped WebAssembly block's slot at the refusing function, and clears the links to
   * it: a chain that still went through one would stop there and come back to the engine at every
   * pass (its translation again has another slot, which the dispatcher links the exit to anew).
   */
  #retireSlot(b: Block): void {
    this.#coldForget(b);
    const w = this.#wasm!;
    w.table.set(b.slot, w.refuse);
    const h = hashEntry(b.eip);
    if (w.hash[h + 2] === b.slot) w.hash[h + 2] = 0;
    const words = w.linkers.get(b.eip | 0);
    if (words !== undefined) for (const i of words) if (w.links[i] === b.slot) w.links[i] = 0;
    w.slots[b.slot] = undefined;
    b.slot = 0;
  }

  /** Forgets the visit counts of blocks not yet translated (the cache keeps its translations). */
  #dropCold(): void {
    this.#clearQueue();
    this.#cold.fill(-1);
    for (const [key, b] of this.#map) if (b.fn === undefined) this.#map.delete(key);
  }

  /** Empties the queue of warm blocks. */
  #clearQueue(): void {
    for (const b of this.#queue) b.queued = false;
    this.#queue.length = 0;
    this.#queueWait = 0;
  }

  #flush(cause: Counter): void {
    if (this.#map.size === 0 && this.#pages.size === 0) return;
    cause.value++;
    for (const [gfn, blocks] of this.#pages) {
      // (A block on two pages' lists counts once.)
      for (const b of blocks) {
        if (!b.valid) continue;
        b.valid = false;
        this.#cBlocksInvalidated.value++;
      }
      this.#tracing.untrace(gfn, this);
    }
    for (const b of this.#map.values()) b.valid = false;
    const w = this.#wasm;
    if (w !== undefined) {
      // The blocks go with their table (whose entries are not reset one by one: each set costs
      // the host as much as there are modules importing the table).
      for (let slot = 1; slot < w.slots.length; slot++) {
        const b = w.slots[slot];
        if (b !== undefined) b.slot = 0;
      }
      w.slots.length = 1;
      w.links.fill(0);
      w.linkers.clear();
      w.hash.fill(0);
      w.direct.fill(0);
      w.table = new w.api.Table({ element: 'anyfunc', initial: TABLE_INITIAL });
      const { run, next } = dispatcherOn(w.api, w.dispatcher, w.table);
      w.imports = blockImports(w.api, w.imports['e']!['m'], w.helpers, next);
      w.run = run;
    }
    this.#clearQueue();
    this.#cold.fill(-1);
    this.#unsharedKeys.clear();
    this.#pages.clear();
    this.#map.clear();
    this.#translated = 0;
    this.#pageInvalidations.clear();
  }
}

function resolveOptions(o: BinaryTranslationOptions, haveArena: boolean): Required<BinaryTranslationOptions> {
  const maxBlocks = o.maxBlocks ?? 32_768;
  const maxPageInvalidations = o.maxPageInvalidations ?? 32;
  const batch = o.batch ?? 32;
  const backend = o.backend ?? (haveArena && wasmHost !== undefined ? 'wasm' : 'js');
  const hotThreshold = o.hotThreshold ?? (backend === 'wasm' ? 2000 : 5000);
  if (backend !== 'js' && backend !== 'wasm') throw new RangeError(`backend must be 'js' or 'wasm', not ${String(backend)}`);
  if (!Number.isInteger(maxBlocks) || maxBlocks < 1) throw new RangeError(`maxBlocks must be a positive integer, not ${maxBlocks}`);
  if (!Number.isInteger(hotThreshold) || hotThreshold < 1) throw new RangeError(`hotThreshold must be a positive integer, not ${hotThreshold}`);
  if (!Number.isInteger(maxPageInvalidations) || maxPageInvalidations < 1) {
    throw new RangeError(`maxPageInvalidations must be a positive integer, not ${maxPageInvalidations}`);
  }
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, not ${batch}`);
  return { maxBlocks, hotThreshold, maxPageInvalidations, backend, batch };
}

/**
 * The first word of the cold-block cache entry for block key `key` (exported for tests).
 *
 * @internal
 */
export function coldEntry(key: number): number {
  return ((key ^ (key >>> 16)) & (COLD_ENTRIES - 1)) << 2;
}

/**
 * What the block modules of one table of blocks import: the memory, `next` (the dispatcher's for
 * that table) and a helper table of `helpers`. (A new helper table with each table of blocks: a
 * table keeps the modules that import it alive.)
 */
function blockImports(api: WasmHostApi, memory: unknown, helpers: readonly unknown[], next: unknown): Record<string, Record<string, unknown>> {
  const t = new api.Table({ element: 'anyfunc', initial: BLOCK_HELPERS.length });
  helpers.forEach((f, i) => t.set(i, f));
  return { e: { m: memory, t, [BLOCK_NEXT.name]: next } };
}

/** An instance of the dispatcher that calls the blocks of `table`: its `run`, and the `next` the blocks import. */
function dispatcherOn(api: WasmHostApi, dispatcher: WasmBackend['dispatcher'], table: WasmTable): { run: WasmBackend['run']; next: unknown } {
  const exports = new api.Instance(dispatcher.module, { e: { ...dispatcher.imports, t: table } }).exports;
  return { run: exports[exportName(0)] as WasmBackend['run'], next: exports[exportName(1)] };
}
