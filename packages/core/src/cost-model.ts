import type { MetricsSnapshot } from './metrics.js';
import { metricKey } from './metrics.js';

/**
 * Turns counted events into simulated cycles: each entry is the cost in cycles of one event of a
 * counter. A key is a metric name (every label set of it) or a full series key
 * (`vtx.exits{reason="io"}`), which takes precedence.
 */
export type CostModel = Readonly<Record<string, number>>;

/**
 * The default costs, from published measurements of a 3.8 GHz Pentium 4 (Adams & Agesen,
 * ASPLOS 2006): a guest instruction costs one cycle; a classic trap about 2000; a VM entry about
 * 2409 and a VM exit about 1931; binary translation about 2300 cycles per translated guest
 * instruction; a hidden (shadow) page fault about 3927. Researchers override any entry.
 */
export const DEFAULT_COST_MODEL: CostModel = {
  'cpu.instructions': 1,
  'cpu.trap-emulate.traps': 2000,
  'cpu.bt.instructions-translated': 2300,
  'cpu.bt.monitor-calls': 40,
  'cpu.vtx.exits': 1931,
  'cpu.vtx.entries': 2409,
  'mmu.shadow.hidden-faults': 3927,
  'mmu.shadow.tracing-faults': 3927,
  'mmu.nested.walk-references': 20,
  'mmu.tlb.misses': 30,
};

/** Simulated cycles, in total and per contributing series. */
export interface CycleEstimate {
  /** Sum over all series. */
  readonly total: number;
  /** Cycles per series key, for the series that have a cost. */
  readonly bySeries: Readonly<Record<string, number>>;
}

/** Applies a cost model to a metrics snapshot. */
export function simulatedCycles(metrics: MetricsSnapshot, model: CostModel = DEFAULT_COST_MODEL): CycleEstimate {
  const bySeries: Record<string, number> = {};
  let total = 0;
  for (const sample of metrics) {
    const key = metricKey(sample.name, sample.labels);
    const cost = model[key] ?? model[sample.name];
    if (cost === undefined || sample.value === 0) continue;
    const cycles = cost * sample.value;
    bySeries[key] = cycles;
    total += cycles;
  }
  return { total, bySeries };
}
