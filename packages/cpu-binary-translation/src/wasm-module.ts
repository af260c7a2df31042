/**
 * A minimal WebAssembly binary writer for the translator's WebAssembly backend: one module per
 * translated block, holding one function over an imported shared memory and a few imported
 * helper functions. Only the encodings the backend uses are here (i32 arithmetic, loads and
 * stores, structured control, calls).
 */

/**
 * The part of the host's WebAssembly API the backend uses (Popek's packages do not load the DOM
 * library, where TypeScript declares it).
 */
export interface WasmHostApi {
  /** Compiles a module (synchronously). */
  readonly Module: new (bytes: Uint8Array) => object;
  /** A table of functions. */
  readonly Table: new (descriptor: { element: 'anyfunc'; initial: number; maximum?: number }) => WasmTable;
  /** Instantiates a compiled module with its imports. */
  readonly Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  /** Whether `bytes` is a valid module. */
  validate(bytes: Uint8Array): boolean;
}

/** A WebAssembly table of functions. */
export interface WasmTable {
  /** Entries. */
  readonly length: number;
  /** Adds `delta` entries (null); returns the previous length. */
  grow(delta: number): number;
  /** Sets entry `index` to an exported WebAssembly function. */
  set(index: number, value: unknown): void;
}

/** The host's WebAssembly API (undefined on a host without WebAssembly). */
export const wasmHost: WasmHostApi | undefined = (globalThis as { WebAssembly?: WasmHostApi }).WebAssembly;

/** WebAssembly opcodes the backend emits. */
export const Op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  returnCallIndirect: 0x13,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i32Store8: 0x3a,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeS: 0x4c,
  i32LeU: 0x4d,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i32Extend8S: 0xc0,
  i32Extend16S: 0xc1,
} as const;

/** The block type of a structured instruction with no result. */
export const VOID = 0x40;

/** The value type i32 (also the block type of a structured instruction with an i32 result). */
export const I32 = 0x7f;

/** Appends the unsigned LEB128 encoding of `v` (0 ≤ v < 2³²). */
export function uleb(out: number[], v: number): void {
  let x = v >>> 0;
  for (;;) {
    const b = x & 0x7f;
    x >>>= 7;
    if (x === 0) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Appends the signed LEB128 encoding of the int32 `v`. */
export function sleb(out: number[], v: number): void {
  let x = v | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

/** A function type: parameter count and result count, all i32. */
export interface I32Signature {
  readonly params: number;
  readonly results: number;
}

/**
 * The index {@link buildModule} gives type `t` in a module built from `spec` (for
 * `call_indirect`): types are numbered in the order imports, functions, extra types first use them.
 */
export function typeIndexOf(spec: Pick<ModuleSpec, 'imports' | 'functions' | 'extraTypes'>, t: I32Signature): number {
  const seen: I32Signature[] = [];
  for (const u of [...spec.imports.map((f) => f.type), ...spec.functions.map((f) => f.type), ...(spec.extraTypes ?? [])]) {
    if (!seen.some((v) => v.params === u.params && v.results === u.results)) seen.push(u);
  }
  return seen.findIndex((v) => v.params === t.params && v.results === t.results);
}

/** A function a module defines. */
export interface FunctionSpec {
  /** Its type. */
  readonly type: I32Signature;
  /** Its i32 locals beyond the parameters. */
  readonly locals: number;
  /** Its body, without the final `end`. */
  readonly body: readonly number[] | Uint8Array;
  /**
   * Its name in the module's name section: what host profilers and debuggers show for it
   * (ASCII).
   */
  readonly name?: string;
}

/** What {@link buildModule} puts in the module. */
export interface ModuleSpec {
  /** The imported memory (`e.m`): shared, with this maximum in 64 KiB pages. */
  readonly memoryMaximumPages: number;
  /** With a size, the module imports a function table `e.t` of at least that many entries (its table 0). */
  readonly tableMinimum?: number;
  /** Types used by `call_indirect` besides those of the imports and the function (see {@link typeIndexOf}). */
  readonly extraTypes?: readonly I32Signature[];
  /** Imported functions (`e.<name>`), numbered from 0 in this order. */
  readonly imports: readonly { readonly name: string; readonly type: I32Signature }[];
  /**
   * The functions it defines, exported under their index in this list (`"0"`, `"1"`, …; see
   * {@link exportName}). Their function indices follow the imports'.
   */
  readonly functions: readonly FunctionSpec[];
}

/** The export name {@link buildModule} gives the module's `i`th defined function. */
export function exportName(i: number): string {
  return String(i);
}

/**
 * Encodes a module: imports `e.m` (a shared memory, minimum one page) and the functions of
 * `spec.imports`, and defines and exports the functions of `spec.functions`.
 */
export function buildModule(spec: ModuleSpec): Uint8Array {
  const types: I32Signature[] = [];
  const typeIndex = (t: I32Signature): number => {
    const i = types.findIndex((u) => u.params === t.params && u.results === t.results);
    if (i >= 0) return i;
    types.push(t);
    return types.length - 1;
  };
  const importTypes = spec.imports.map((f) => typeIndex(f.type));
  const fnTypes = spec.functions.map((f) => typeIndex(f.type));
  for (const t of spec.extraTypes ?? []) typeIndex(t);

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const typeSec: number[] = [];
  uleb(typeSec, types.length);
  for (const t of types) {
    typeSec.push(0x60);
    uleb(typeSec, t.params);
    for (let i = 0; i < t.params; i++) typeSec.push(I32);
    uleb(typeSec, t.results);
    for (let i = 0; i < t.results; i++) typeSec.push(I32);
  }
  section(out, 1, typeSec);

  const importSec: number[] = [];
  uleb(importSec, spec.imports.length + 1 + (spec.tableMinimum !== undefined ? 1 : 0));
  name(importSec, 'e');
  name(importSec, 'm');
  importSec.push(0x02, 0x03); // memory, shared with a maximum
  uleb(importSec, 1);
  uleb(importSec, spec.memoryMaximumPages);
  if (spec.tableMinimum !== undefined) {
    name(importSec, 'e');
    name(importSec, 't');
    importSec.push(0x01, 0x70, 0x00); // table of funcref, no maximum
    uleb(importSec, spec.tableMinimum);
  }
  spec.imports.forEach((f, i) => {
    name(importSec, 'e');
    name(importSec, f.name);
    importSec.push(0x00);
    uleb(importSec, importTypes[i]!);
  });
  section(out, 2, importSec);

  const funcSec: number[] = [];
  uleb(funcSec, fnTypes.length);
  for (const t of fnTypes) uleb(funcSec, t);
  section(out, 3, funcSec);

  const exportSec: number[] = [];
  uleb(exportSec, fnTypes.length);
  for (let i = 0; i < fnTypes.length; i++) {
    name(exportSec, exportName(i));
    exportSec.push(0x00);
    uleb(exportSec, spec.imports.length + i);
  }
  section(out, 7, exportSec);

  // The code section, written straight into the result: function bodies are most of a module.
  const heads = spec.functions.map((f) => {
    const head: number[] = [];
    if (f.locals > 0) {
      head.push(1);
      uleb(head, f.locals);
      head.push(I32);
    } else {
      head.push(0);
    }
    const size: number[] = [];
    uleb(size, head.length + f.body.length + 1);
    return [...size, ...head];
  });
  const count: number[] = [];
  uleb(count, spec.functions.length);
  let codeBytes = count.length;
  spec.functions.forEach((f, i) => (codeBytes += heads[i]!.length + f.body.length + 1));
  out.push(10);
  uleb(out, codeBytes);
  for (const b of count) out.push(b);
  const names = nameSection(spec);
  const bytes = new Uint8Array(out.length + codeBytes - count.length + names.length);
  bytes.set(out);
  let at = out.length;
  spec.functions.forEach((f, i) => {
    bytes.set(heads[i]!, at);
    at += heads[i]!.length;
    bytes.set(f.body, at);
    at += f.body.length;
    bytes[at++] = Op.end;
  });
  bytes.set(names, at);
  return bytes;
}

/**
 * The custom section "name" with subsection 1, the names of `spec`'s named functions (by
 * function index, ascending); empty when none has a name.
 */
function nameSection(spec: ModuleSpec): number[] {
  const named = spec.functions.flatMap((f, i) => (f.name === undefined ? [] : [{ index: spec.imports.length + i, name: f.name }]));
  if (named.length === 0) return [];
  const names: number[] = [];
  uleb(names, named.length);
  for (const f of named) {
    uleb(names, f.index);
    name(names, f.name);
  }
  const custom: number[] = [];
  name(custom, 'name');
  custom.push(1);
  uleb(custom, names.length);
  for (const b of names) custom.push(b);
  const out: number[] = [];
  section(out, 0, custom);
  return out;
}

/** Code fragments for the backend's generators: each pushes one i32. */
export type Code = number[];

// The fragment helpers below run for every operand of every translated instruction: they copy
// into an array of the final length (faster than spreads or `concat`).

/** `parts`, one after the other, then `op`. */
function joined(op: number, ...parts: Code[]): Code {
  let n = 1;
  for (const p of parts) n += p.length;
  const c = new Array<number>(n);
  let j = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) c[j++] = p[i]!;
  c[j] = op;
  return c;
}

/** `local.get l`. */
export function get(l: number): Code {
  if (l < 128) return [Op.localGet, l];
  const c = [Op.localGet];
  uleb(c, l);
  return c;
}

/** `i32.const v`. */
export function k(v: number): Code {
  if (v >= -64 && v < 64) return [Op.i32Const, v & 0x7f];
  const c = [Op.i32Const];
  sleb(c, v);
  return c;
}

/** `a b op`. */
export function bin(op: number, a: Code, b: Code): Code {
  const c = new Array<number>(a.length + b.length + 1);
  let j = 0;
  for (let i = 0; i < a.length; i++) c[j++] = a[i]!;
  for (let i = 0; i < b.length; i++) c[j++] = b[i]!;
  c[j] = op;
  return c;
}

/** `a i32.eqz`. */
export function eqz(a: Code): Code {
  return joined(Op.i32Eqz, a);
}

/** `cond ? a : b` (both evaluated). */
export function select(a: Code, b: Code, cond: Code): Code {
  return joined(Op.select, a, b, cond);
}

/** The i32 at the constant address `address`. */
export function load32(address: number): Code {
  return loadAt(k(0), address);
}

/** The i32 at `base + offset` (`base` computes the variable part, `offset` is the immediate). */
export function loadAt(base: Code, offset: number): Code {
  const c = [...base, Op.i32Load];
  memarg(c, offset);
  return c;
}

/** Appends a memory immediate (alignment hint 0, `offset`). */
export function memarg(out: number[], offset: number): void {
  out.push(0);
  uleb(out, offset);
}
