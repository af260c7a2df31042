import { serviceId } from './service-id.js';

/** Labels that distinguish series of one metric (`{ reason: 'io' }`). */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * A monotonically increasing count. Hot paths keep a reference and bump `value` directly
 * (`counter.value++` or `counter.inc()`): no lookup, no allocation.
 */
export class Counter {
  /** The count. */
  value = 0;

  /**
   * @param name - metric name (`cpu.bt.translations`)
   * @param labels - the series' labels
   * @param help - one line that says what is counted
   */
  constructor(
    readonly name: string,
    readonly labels: MetricLabels,
    readonly help: string,
  ) {}

  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }
}

/**
 * A distribution of observed values in power-of-two buckets: bucket `i` counts values `v` with
 * `2^(i-1) <= v < 2^i` (bucket 0 counts values below 1). Cheap enough for per-event use.
 */
export class Histogram {
  /** Counts per bucket. */
  readonly buckets = new Float64Array(64);
  /** Number of observations. */
  count = 0;
  /** Sum of observations. */
  sum = 0;
  /** Largest observation. */
  max = 0;

  /**
   * @param name - metric name
   * @param labels - the series' labels
   * @param help - one line that says what is observed
   */
  constructor(
    readonly name: string,
    readonly labels: MetricLabels,
    readonly help: string,
  ) {}

  /** Records one value (non-negative). */
  observe(value: number): void {
    const v = value > 0 ? value : 0;
    const bucket = v < 1 ? 0 : Math.min(63, 32 - Math.clz32(v >= 0xffff_ffff ? 0xffff_ffff : v));
    this.buckets[bucket]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** The value below which `q` (0–1) of observations fall, to bucket precision. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < 64; i++) {
      seen += this.buckets[i]!;
      if (seen >= target) return i === 0 ? 1 : 2 ** i;
    }
    return this.max;
  }
}

/** One series in a {@link MetricsSnapshot}. */
export interface MetricSample {
  /** Metric name. */
  readonly name: string;
  /** Series labels. */
  readonly labels: MetricLabels;
  /** `counter` or `histogram`. */
  readonly kind: 'counter' | 'histogram';
  /** Counter value, or histogram observation count. */
  readonly value: number;
  /** Histogram sum (absent for counters). */
  readonly sum?: number;
  /** Help text. */
  readonly help: string;
}

/** The values of every metric at one moment, sorted by key. */
export type MetricsSnapshot = readonly MetricSample[];

/** The canonical key of a series: `name{a="1",b="2"}`. */
export function metricKey(name: string, labels: MetricLabels = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(',')}}`;
}

/**
 * The core metrics registry: named counters and histograms, one instance per series. Components
 * create their series once, at build, and keep the references.
 */
export class MetricsRegistry {
  readonly #series = new Map<string, Counter | Histogram>();

  /** The counter for `name` and `labels`, created on first use. */
  counter(name: string, help = '', labels: MetricLabels = {}): Counter {
    const key = metricKey(name, labels);
    const existing = this.#series.get(key);
    if (existing instanceof Counter) return existing;
    if (existing !== undefined) throw new Error(`metric ${key} is a histogram, not a counter`);
    const c = new Counter(name, { ...labels }, help);
    this.#series.set(key, c);
    return c;
  }

  /** The histogram for `name` and `labels`, created on first use. */
  histogram(name: string, help = '', labels: MetricLabels = {}): Histogram {
    const key = metricKey(name, labels);
    const existing = this.#series.get(key);
    if (existing instanceof Histogram) return existing;
    if (existing !== undefined) throw new Error(`metric ${key} is a counter, not a histogram`);
    const h = new Histogram(name, { ...labels }, help);
    this.#series.set(key, h);
    return h;
  }

  /** The current value of a counter series (0 when it does not exist). */
  value(name: string, labels: MetricLabels = {}): number {
    const s = this.#series.get(metricKey(name, labels));
    return s instanceof Counter ? s.value : (s?.count ?? 0);
  }

  /** The sum of a counter over all its label sets. */
  total(name: string): number {
    let sum = 0;
    for (const s of this.#series.values()) if (s.name === name) sum += s instanceof Counter ? s.value : s.count;
    return sum;
  }

  /** Every series' current value. */
  snapshot(): MetricsSnapshot {
    return [...this.#series.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) =>
        s instanceof Counter
          ? { name: s.name, labels: s.labels, kind: 'counter' as const, value: s.value, help: s.help }
          : { name: s.name, labels: s.labels, kind: 'histogram' as const, value: s.count, sum: s.sum, help: s.help },
      );
  }

  /** Zeroes every series (the references stay valid). */
  reset(): void {
    for (const s of this.#series.values()) {
      if (s instanceof Counter) s.value = 0;
      else {
        s.buckets.fill(0);
        s.count = 0;
        s.sum = 0;
        s.max = 0;
      }
    }
  }
}

/** The machine's metrics registry. */
export const Metrics = serviceId<MetricsRegistry>('@popek/core:Metrics');
