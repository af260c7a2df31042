/*
 * Translation throughput of the MMU's slow path for TLB-miss-heavy patterns: every round touches
 * a working set of pages once (all misses, each a full guest page-table walk), then reloads CR3
 * (a non-global flush through the fill list) so the next round misses again. Prints translations
 * per second; asserts nothing about speed. Run with `npm run bench`.
 */
import { FlatPhysicalBus, MetricsRegistry } from '@popek/core';
import { it } from 'vitest';
import { DirectStrategy } from '../src/direct-strategy.js';
import { Mmu } from '../src/mmu.js';
import { Cr0, Cr4, PageEntry } from '../src/paging-bits.js';
import { ControlRegister } from '../src/paging-mode.js';
import { AccessKind, TlbFlag } from '../src/tlb-flag.js';

const { P, RW, US, PS } = PageEntry;
const PG = Cr0.PG | Cr0.PE;
const WORKING_SET = 4096; // pages per round (16 MiB of linear space)
const MIN_MS = 400;
// Local copies: under vitest an imported binding read in a hot loop costs a getter call.
const READ = AccessKind.Read;
const WRITE = AccessKind.Write;
const READ_SUPERVISOR = TlbFlag.ReadSupervisor;
const CR3 = ControlRegister.Cr3;

interface Setup {
  readonly mmu: Mmu;
  readonly metrics: MetricsRegistry;
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
  /** Linear addresses of the working set, in the order the rounds touch them. */
  readonly addresses: Uint32Array;
}

function addresses(linear: (i: number) => number): Uint32Array {
  const out = new Uint32Array(WORKING_SET);
  for (let i = 0; i < WORKING_SET; i++) out[i] = linear(i);
  return out;
}

function write32(bus: FlatPhysicalBus, address: number, value: number): void {
  bus.writePhysical(address, 4, value >>> 0);
}

function build(kind: 'off' | '32-bit 4K' | '32-bit 4M' | 'PAE 4K' | 'PAE 2M'): Setup {
  const bus = new FlatPhysicalBus(64 << 20);
  const metrics = new MetricsRegistry();
  const mmu = new Mmu(bus, new DirectStrategy(), metrics);
  // Linear pages 0xc000_0000 + i * 4 KiB map RAM page 16 MiB + i * 4 KiB.
  const base = 0xc000_0000;
  const frames = 0x0100_0000;
  const linear = (i: number): number => (base + ((i * 7) % WORKING_SET) * 0x1000) >>> 0;
  switch (kind) {
    case 'off':
      return { mmu, metrics, cr0: Cr0.PE, cr3: 0, cr4: 0, addresses: addresses((i) => frames + ((i * 7) % WORKING_SET) * 0x1000) };
    case '32-bit 4K': {
      const pd = 0x1000;
      for (let t = 0; t < WORKING_SET / 1024; t++) {
        const table = 0x10_0000 + t * 0x1000;
        write32(bus, pd + ((base >>> 22) + t) * 4, table | P | RW | US);
        for (let i = 0; i < 1024; i++) write32(bus, table + i * 4, (frames + (t * 1024 + i) * 0x1000) | P | RW | US);
      }
      return { mmu, metrics, cr0: PG, cr3: pd, cr4: 0, addresses: addresses(linear) };
    }
    case '32-bit 4M': {
      const pd = 0x1000;
      for (let t = 0; t < WORKING_SET / 1024; t++) write32(bus, pd + ((base >>> 22) + t) * 4, (frames + t * 0x40_0000) | P | RW | PS);
      return { mmu, metrics, cr0: PG, cr3: pd, cr4: Cr4.PSE, addresses: addresses(linear) };
    }
    case 'PAE 4K':
    case 'PAE 2M': {
      const pdpt = 0x1000;
      for (let i = 0; i < 4; i++) write32(bus, pdpt + i * 8, (0x2000 + i * 0x1000) | P);
      const pd = 0x2000 + 3 * 0x1000; // linear 0xc000_0000 is PDPTE 3
      for (let t = 0; t < WORKING_SET / 512; t++) {
        if (kind === 'PAE 2M') {
          write32(bus, pd + t * 8, (frames + t * 0x20_0000) | P | RW | PS);
          continue;
        }
        const table = 0x10_0000 + t * 0x1000;
        write32(bus, pd + t * 8, table | P | RW | US);
        for (let i = 0; i < 512; i++) write32(bus, table + i * 8, (frames + (t * 512 + i) * 0x1000) | P | RW | US);
      }
      return { mmu, metrics, cr0: PG, cr3: pdpt, cr4: Cr4.PAE, addresses: addresses(linear) };
    }
  }
}

function report(name: string, count: number, ms: number, extra = ''): void {
  const perSecond = (count / ms) * 1000;
  const each = 1e9 / perSecond;
  const eachText = each >= 1000 ? `${(each / 1000).toFixed(1)} µs` : `${each.toFixed(0)} ns`;
  console.log(`${name.padEnd(46)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)}/s  (${eachText} each)${extra}`);
}

for (const kind of ['off', '32-bit 4K', '32-bit 4M', 'PAE 4K', 'PAE 2M'] as const) {
  it(`TLB-miss translations, paging ${kind}`, () => {
    const s = build(kind);
    s.mmu.setControl(s.cr0, s.cr3, s.cr4, 0);
    const mmu = s.mmu;
    const linear = s.addresses;
    let translations = 0;
    let rounds = 0;
    const start = performance.now();
    let now = start;
    while (now - start < MIN_MS) {
      for (let i = 0; i < WORKING_SET; i++) {
        // One access in four is a write: those set D on the first round and fill write flags.
        if (mmu.translate(linear[i]!, (i & 3) === 0 ? WRITE : READ, false) === -1) {
          throw new Error(`bench tables fault at page ${i}`);
        }
      }
      translations += WORKING_SET;
      rounds++;
      mmu.setControl(s.cr0, s.cr3, s.cr4, 0, CR3);
      now = performance.now();
    }
    const refs = s.metrics.total('mmu.walk-references') / Math.max(1, s.metrics.total('mmu.walks'));
    report(`miss + walk + fill, ${kind}`, translations, now - start, `, ${refs.toFixed(2)} refs/walk, ${rounds} CR3 flushes`);
  });
}

it('TLB hits (the CPU fast-path check, for comparison)', () => {
  const s = build('32-bit 4K');
  s.mmu.setControl(s.cr0, s.cr3, s.cr4, 0);
  const linear = s.addresses;
  for (let i = 0; i < WORKING_SET; i++) s.mmu.translate(linear[i]!, WRITE, false);
  const tlb = s.mmu.tlb;
  let sum = 0;
  let hits = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_MS) {
    for (let i = 0; i < WORKING_SET; i++) {
      const entry = tlb[linear[i]! >>> 12]!;
      if ((entry & READ_SUPERVISOR) !== 0) sum += entry & 0x7fff_f000;
    }
    hits += WORKING_SET;
    now = performance.now();
  }
  report('TLB hit check', hits, now - start, sum === 0 ? ' (no hits!)' : '');
});

it('CR3 write cost with a full working set, against clearing the whole TLB', () => {
  const s = build('32-bit 4K');
  s.mmu.setControl(s.cr0, s.cr3, s.cr4, 0);
  let flushes = 0;
  let flushMs = 0;
  const deadline = performance.now() + MIN_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < WORKING_SET; i++) s.mmu.translate(s.addresses[i]!, READ, false);
    const t0 = performance.now();
    s.mmu.setControl(s.cr0, s.cr3, s.cr4, 0, CR3);
    flushMs += performance.now() - t0;
    flushes++;
  }
  report(`CR3 flush of ${WORKING_SET} filled entries`, flushes, flushMs);
  const scratch = new Int32Array(1 << 20);
  let clears = 0;
  const start = performance.now();
  let now = start;
  while (now - start < MIN_MS / 4) {
    scratch.fill(0);
    clears++;
    now = performance.now();
  }
  report('full 2^20-entry clear (what the list avoids)', clears, now - start);
});
