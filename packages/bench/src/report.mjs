// The comparison table, the ratios and the goals of bench:compare, computed from the runs. Pure
// functions of the run records, so they can be tested without booting anything.

/**
 * @typedef {object} RunRecord
 * @property {'popek'|'v86'|'qemu'} emulator
 * @property {string} mode - `bt`, `interpreter`, `jit, acpi`, `tcg`, ...
 * @property {string} status - see console-run.mjs
 * @property {number|null} promptSeconds
 * @property {number|null} powerOffSeconds
 * @property {number|null} [promptCpuSeconds] - CPU time used until the prompt
 * @property {(number|null)[]} [stageSeconds] - the time of each of {@link BOOT_STAGES} (see {@link stageDurations})
 * @property {string} note
 * @property {RoundRecord[]} [rounds] - with `--rounds N`: each round's figures (the record's are their medians)
 * @property {Record<string, [number, number]>} [range] - with several rounds: the smallest and largest figure of each column
 */

/**
 * One round of one configuration (see {@link summarizeRounds}).
 *
 * @typedef {object} RoundRecord
 * @property {string} status
 * @property {string} [note]
 * @property {number|null} promptSeconds
 * @property {number|null} powerOffSeconds
 * @property {number|null} [promptCpuSeconds]
 * @property {(number|null)[]} [stageSeconds]
 */

/** The goals of the comparison: Popek bt against the interpreter, v86 and QEMU TCG. */
export const GOALS = {
  btOverInterpreter: 5,
  btOverQemu: 2,
};

const COLUMNS = /** @type {const} */ (['promptSeconds', 'powerOffSeconds']);

/**
 * The stages of a boot to the prompt, each ending at a line of the guest's serial console (the
 * last at the prompt), as every emulator prints them for the same kernel and command line: where
 * the time goes, emulator by emulator.
 *
 * The kernel's banner ("Linux version") reaches the serial console only when the console is
 * registered, so the first stage holds the emulator's own start, the firmware, the kernel's
 * decompressor and its early setup. The initramfs is unpacked while other initialisation goes
 * on ("Trying to unpack rootfs" to "Freeing initrd memory").
 */
export const BOOT_STAGES = [
  { name: 'start to banner', until: 'Linux version ' },
  { name: 'initcalls', until: 'Trying to unpack rootfs' },
  { name: 'initramfs unpack', until: 'Freeing initrd memory' },
  { name: 'to /init', until: 'Run /init' },
  { name: 'user space', until: null },
];

/** The console lines {@link BOOT_STAGES} end at (the prompt's left out), for `runConsole`'s `milestones`. */
export const STAGE_MILESTONES = BOOT_STAGES.flatMap((stage) => (stage.until === null ? [] : [stage.until]));

/**
 * The time of each of {@link BOOT_STAGES} in one run: from the previous stage's line (the first
 * from the start of the process) to its own; null for a stage whose line, or the line before, did
 * not appear, or appeared out of order.
 *
 * @param {(number|null)[]} milestoneSeconds - the times of {@link STAGE_MILESTONES}, from the start
 * @param {number|null} promptSeconds
 * @returns {(number|null)[]}
 */
export function stageDurations(milestoneSeconds, promptSeconds) {
  const ends = [...STAGE_MILESTONES.map((_, i) => milestoneSeconds[i] ?? null), promptSeconds];
  return ends.map((end, i) => {
    const start = i === 0 ? 0 : ends[i - 1];
    return end !== null && start !== null && end >= start ? end - start : null;
  });
}

function measured(run, column) {
  const value = run[column];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The median of `values` (the mean of the middle two for an even count); null for none. */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Statuses from the worst to the best: a configuration's record takes its worst round's. */
const STATUS_ORDER = ['failed', 'timeout', 'no-power-off', 'unavailable', 'ok'];

/**
 * One record for a configuration run in several rounds: each time column is the median of the
 * rounds that measured it (a slow or a lucky round does not move it), `range` holds each
 * column's smallest and largest figure, and the status is the worst round's (with a note saying
 * how many rounds had it). The other fields come from `base`; `rounds` keeps every round.
 *
 * @param {Omit<RunRecord, 'promptSeconds'|'powerOffSeconds'|'status'|'note'>} base
 * @param {RoundRecord[]} rounds - at least one
 * @returns {RunRecord}
 */
export function summarizeRounds(base, rounds) {
  const record = { ...base, rounds };
  const range = {};
  for (const column of [...COLUMNS, 'promptCpuSeconds']) {
    const values = rounds.map((r) => measured(r, column)).filter((v) => v !== null);
    record[column] = median(values);
    if (values.length > 1) range[column] = [Math.min(...values), Math.max(...values)];
  }
  if (Object.keys(range).length > 0) record.range = range;
  if (rounds.some((r) => r.stageSeconds !== undefined)) {
    record.stageSeconds = BOOT_STAGES.map((_, i) => median(rounds.map((r) => r.stageSeconds?.[i] ?? null).filter((v) => v !== null)));
  }
  const worst = STATUS_ORDER.find((status) => rounds.some((r) => r.status === status)) ?? rounds[0].status;
  const first = rounds.find((r) => r.status === worst);
  const count = rounds.filter((r) => r.status === worst).length;
  record.status = worst;
  record.note = rounds.length > 1 && worst !== 'ok' ? `${count} of ${rounds.length} rounds${first.note ? `: ${first.note}` : ''}` : (first.note ?? '');
  return record;
}

/**
 * The run the ratios are relative to: Popek's first mode that reached the prompt (bt unless the
 * modes were given in another order or bt did not run).
 *
 * @param {RunRecord[]} runs
 */
export function referenceRun(runs) {
  return runs.find((r) => r.emulator === 'popek' && measured(r, 'promptSeconds') !== null);
}

/** A time cell: seconds, or why there is none. */
export function timeCell(run, column) {
  const value = measured(run, column);
  const range = run.range?.[column];
  if (value !== null) return range !== undefined ? `${value.toFixed(1)} (${range[0].toFixed(1)}–${range[1].toFixed(1)})` : value.toFixed(1);
  switch (run.status) {
    case 'unavailable':
      return 'unavailable';
    case 'timeout':
      return 'timeout';
    case 'no-power-off':
      return 'n/a';
    case 'failed':
      return 'failed';
    default:
      return '-';
  }
}

function ratioCell(run, reference, column) {
  if (reference === undefined) return '-';
  const value = measured(run, column);
  const base = measured(reference, column);
  if (value === null || base === null) return '-';
  return run === reference ? '1.00× (ref)' : `${(value / base).toFixed(2)}×`;
}

/** The emulator's name as the tables show it. */
function emulatorName(run) {
  return run.emulator === 'qemu' ? 'QEMU' : run.emulator === 'popek' ? 'Popek' : 'v86';
}

/** Lays out rows of cells as a Markdown table with aligned columns. */
export function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * The comparison table: one row per run, times in seconds from process start, and each time
 * divided by the reference run's (so 2.00× means "takes twice as long as Popek <ref>"). A run
 * summarised from several rounds shows its median with the range in parentheses.
 *
 * @param {RunRecord[]} runs
 * @returns {string}
 */
export function comparisonTable(runs) {
  const reference = referenceRun(runs);
  const refName = reference !== undefined ? `Popek ${reference.mode}` : 'Popek';
  const header = ['emulator', 'mode', 'to prompt (s)', 'to power-off (s)', `prompt ÷ ${refName}`, `power-off ÷ ${refName}`, 'CPU to prompt (s)'];
  const rows = runs.map((run) => [
    emulatorName(run),
    run.mode,
    timeCell(run, 'promptSeconds'),
    timeCell(run, 'powerOffSeconds'),
    ratioCell(run, reference, 'promptSeconds'),
    ratioCell(run, reference, 'powerOffSeconds'),
    typeof run.promptCpuSeconds === 'number' ? timeCell(run, 'promptCpuSeconds') : '-',
  ]);
  return markdownTable(header, rows);
}

/**
 * The boot stages table: one row per run that timed them (a run of several rounds: each stage's
 * median), and a last row with Popek bt's time of each stage divided by QEMU's fastest when both
 * ran: where Popek loses its time against QEMU.
 *
 * @param {RunRecord[]} runs
 * @returns {string|null} null when no run timed its stages
 */
export function stageTable(runs) {
  const timed = runs.filter((r) => r.stageSeconds !== undefined && r.stageSeconds.some((v) => v !== null));
  if (timed.length === 0) return null;
  const header = ['emulator', 'mode', ...BOOT_STAGES.map((s) => `${s.name} (s)`)];
  const cell = (v) => (v === null || v === undefined ? '-' : v.toFixed(2));
  const rows = timed.map((run) => [emulatorName(run), run.mode, ...BOOT_STAGES.map((_, i) => cell(run.stageSeconds[i]))]);
  const bt = timed.find((r) => r.emulator === 'popek' && r.mode === 'bt');
  const qemu = timed.filter((r) => r.emulator === 'qemu');
  if (bt !== undefined && qemu.length > 0) {
    const ratio = BOOT_STAGES.map((_, i) => {
      const q = qemu.map((r) => r.stageSeconds[i]).filter((v) => v !== null && v > 0);
      const b = bt.stageSeconds[i];
      return b === null || q.length === 0 ? '-' : `${(b / Math.min(...q)).toFixed(2)}×`;
    });
    rows.push(['Popek bt ÷ QEMU', '', ...ratio]);
  }
  return markdownTable(header, rows);
}

function best(runs, column) {
  let found = null;
  for (const run of runs) {
    const value = measured(run, column);
    if (value !== null && (found === null || value < found)) found = value;
  }
  return found;
}

/**
 * The goals, each judged on the time to the prompt and on the time to power-off (a goal is met
 * when every column that could be measured meets it).
 *
 * @param {RunRecord[]} runs
 * @returns {{goal: string, verdict: 'met'|'not met'|'not measured', detail: string, values: Record<string, number|null>}[]}
 */
export function evaluateGoals(runs) {
  const bt = runs.find((r) => r.emulator === 'popek' && r.mode === 'bt');
  // Like for like: QEMU's default CPU has no RDRAND and its loader passes no random seed, so its
  // guest's generator starts empty, as Popek's does with --no-rng-seed (the row 'bt'). v86's CPU
  // has a random-number instruction, which Debian's kernel trusts, so its generator is ready from
  // random_init(), as Popek's is with its boot loader's seed (the row 'bt, rng seed', when it ran).
  const seeded = runs.find((r) => r.emulator === 'popek' && r.mode === 'bt, rng seed' && measured(r, 'promptSeconds') !== null);
  const btVsV86 = seeded ?? bt;
  const interpreter = runs.find((r) => r.emulator === 'popek' && r.mode === 'interpreter');
  const v86 = runs.filter((r) => r.emulator === 'v86');
  const qemu = runs.filter((r) => r.emulator === 'qemu');
  const label = { promptSeconds: 'prompt', powerOffSeconds: 'power-off' };

  /**
   * @param {string} goal
   * @param {(column: string) => number|null} value - the figure for a column, null if unmeasured
   * @param {(v: number) => boolean} ok
   * @param {(v: number) => string} show
   * @param {string} missing - why nothing could be measured
   */
  const judge = (goal, value, ok, show, missing) => {
    const values = {};
    const parts = [];
    let allOk = true;
    for (const column of COLUMNS) {
      const v = value(column);
      values[column] = v;
      if (v === null) continue;
      parts.push(`${label[column]} ${show(v)}`);
      allOk &&= ok(v);
    }
    if (parts.length === 0) return { goal, verdict: 'not measured', detail: missing, values };
    return { goal, verdict: allOk ? 'met' : 'not met', detail: parts.join(', '), values };
  };
  const need = (run, what) => (run === undefined ? `${what} was not run` : `${what}: ${run.status}${run.note ? ` (${run.note})` : ''}`);
  const btMissing = bt === undefined || measured(bt, 'promptSeconds') === null ? need(bt, 'Popek bt') : undefined;

  return [
    judge(
      `Popek bt at least ${GOALS.btOverInterpreter}× faster than Popek interpreter`,
      (c) => (bt && interpreter && measured(bt, c) && measured(interpreter, c) ? measured(interpreter, c) / measured(bt, c) : null),
      (v) => v >= GOALS.btOverInterpreter,
      (v) => `${v.toFixed(2)}× faster`,
      btMissing ?? need(interpreter, 'Popek interpreter'),
    ),
    judge(
      `Popek bt faster than v86${seeded !== undefined ? ' (bt with its random seed: both guests have a ready random generator from the start)' : ''}`,
      (c) => (btVsV86 && measured(btVsV86, c) && best(v86, c) ? best(v86, c) / measured(btVsV86, c) : null),
      (v) => v > 1,
      (v) => (v >= 1 ? `${v.toFixed(2)}× faster` : `${(1 / v).toFixed(2)}× slower`),
      btMissing ?? (v86.length === 0 ? 'v86 was not run' : 'no v86 time'),
    ),
    judge(
      `Popek bt within ${GOALS.btOverQemu}× of QEMU TCG`,
      (c) => (bt && measured(bt, c) && best(qemu, c) ? measured(bt, c) / best(qemu, c) : null),
      (v) => v <= GOALS.btOverQemu,
      (v) => `${v.toFixed(2)}× QEMU's time`,
      btMissing ?? (qemu.length === 0 ? 'QEMU was not run' : 'no QEMU time'),
    ),
  ];
}
