import { describe, expect, it } from 'vitest';
import { BOOT_STAGES, STAGE_MILESTONES, comparisonTable, evaluateGoals, median, referenceRun, stageDurations, stageTable, summarizeRounds } from './report.mjs';

const run = (emulator, mode, promptSeconds, powerOffSeconds, status = 'ok', note = '') => ({ emulator, mode, status, note, promptSeconds, powerOffSeconds });

describe('comparisonTable', () => {
  it('divides every time by the first Popek mode that reached the prompt', () => {
    const runs = [
      run('popek', 'bt', null, null, 'unavailable', "There is no CPU mode 'bt'"),
      run('popek', 'interpreter', 100, 110),
      run('v86', 'jit, acpi', 20, 22),
      run('v86', 'jit, no acpi', 10, null, 'no-power-off'),
      run('qemu', 'tcg', 5, 7),
    ];
    expect(referenceRun(runs)?.mode).toBe('interpreter');
    const table = comparisonTable(runs);
    const lines = table.split('\n');
    expect(lines[0]).toContain('prompt ÷ Popek interpreter');
    expect(lines[2]).toMatch(/\| Popek +\| bt +\| unavailable +\| unavailable +\| - +\| - +\|/);
    expect(lines[3]).toContain('1.00× (ref)');
    expect(lines[4]).toMatch(/\| 20\.0 +\| 22\.0 +\| 0\.20× +\| 0\.20× +\|/);
    expect(lines[5]).toMatch(/\| 10\.0 +\| n\/a +\| 0\.10× +\| - +\|/);
    expect(lines[6]).toMatch(/^\| QEMU/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('evaluateGoals', () => {
  it('judges bt against the interpreter, the fastest v86 and QEMU', () => {
    const goals = evaluateGoals([
      run('popek', 'bt', 10, 12),
      run('popek', 'interpreter', 60, 66),
      run('v86', 'jit, acpi', 15, 20),
      run('v86', 'jit, no acpi', 11, null, 'no-power-off'),
      run('qemu', 'tcg', 4, 7),
    ]);
    expect(goals.map((g) => g.verdict)).toEqual(['met', 'met', 'not met']);
    expect(goals[0].values.promptSeconds).toBeCloseTo(6);
    expect(goals[1].values.promptSeconds).toBeCloseTo(1.1);
    expect(goals[2].values.promptSeconds).toBeCloseTo(2.5);
    expect(goals[2].values.powerOffSeconds).toBeCloseTo(12 / 7);
  });

  it('judges v86 against bt with its random seed when that row ran, QEMU and the interpreter against bt without', () => {
    const goals = evaluateGoals([
      run('popek', 'bt', 12, 14),
      run('popek', 'interpreter', 60, 70),
      run('popek', 'bt, rng seed', 10, 12),
      run('v86', 'jit, acpi', 11, 13),
      run('qemu', 'tcg', 6, 7),
    ]);
    // Against bt without the seed, v86 (11 s) would have been faster; against bt with it, QEMU's
    // ratio would have been 10/6.
    expect(goals.map((g) => g.verdict)).toEqual(['met', 'met', 'met']);
    expect(goals[0].values.promptSeconds).toBeCloseTo(5);
    expect(goals[1].goal).toContain('random seed');
    expect(goals[1].values.promptSeconds).toBeCloseTo(1.1);
    expect(goals[2].values.promptSeconds).toBeCloseTo(2);
    expect(goals[2].values.powerOffSeconds).toBeCloseTo(2);
  });

  it('says why a goal could not be measured', () => {
    const goals = evaluateGoals([run('popek', 'bt', null, null, 'unavailable', 'no such mode'), run('popek', 'interpreter', 60, 66)]);
    expect(goals.every((g) => g.verdict === 'not measured')).toBe(true);
    expect(goals[0].detail).toContain('no such mode');
  });
});

describe('summarizeRounds', () => {
  const round = (promptSeconds, powerOffSeconds, status = 'ok', note = '') => ({ status, note, promptSeconds, powerOffSeconds, promptCpuSeconds: promptSeconds === null ? null : promptSeconds + 1 });

  it('takes the median of an odd or an even number of figures', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('gives each column the median of its rounds, so that one slow round does not move it', () => {
    const r = summarizeRounds({ emulator: 'popek', mode: 'bt' }, [round(13, 16), round(21, 24), round(12, 15)]);
    expect(r.status).toBe('ok');
    expect(r.promptSeconds).toBe(13);
    expect(r.powerOffSeconds).toBe(16);
    expect(r.promptCpuSeconds).toBe(14);
    expect(r.range.promptSeconds).toEqual([12, 21]);
    expect(r.rounds).toHaveLength(3);
  });

  it('keeps the worst status, says in how many rounds, and takes the median of the rounds that measured', () => {
    const r = summarizeRounds({ emulator: 'popek', mode: 'bt' }, [round(13, 16), round(null, null, 'timeout', 'no prompt in 600 s'), round(15, 18)]);
    expect(r.status).toBe('timeout');
    expect(r.note).toBe('1 of 3 rounds: no prompt in 600 s');
    expect(r.promptSeconds).toBe(14);
  });

  it('shows the median with the range in the table, and judges the goals on the medians', () => {
    const runs = [
      summarizeRounds({ emulator: 'popek', mode: 'bt' }, [round(12, 14), round(17, 20), round(13, 15)]),
      summarizeRounds({ emulator: 'qemu', mode: 'tcg' }, [round(6, 8), round(6.2, 8.2), round(6.1, 8.1)]),
    ];
    const lines = comparisonTable(runs).split('\n');
    expect(lines[2]).toMatch(/\| 13\.0 \(12\.0–17\.0\) +\| 15\.0 \(14\.0–20\.0\) +\| 1\.00× \(ref\)/);
    expect(lines[3]).toMatch(/\| 6\.1 \(6\.0–6\.2\) +\|/);
    const qemu = evaluateGoals(runs)[2];
    expect(qemu.values.promptSeconds).toBeCloseTo(13 / 6.1);
    expect(qemu.verdict).toBe('not met');
  });
});

describe('boot stages', () => {
  it('end at the console lines every emulator prints, the last at the prompt', () => {
    expect(STAGE_MILESTONES).toEqual(['Linux version ', 'Trying to unpack rootfs', 'Freeing initrd memory', 'Run /init']);
    expect(BOOT_STAGES.at(-1)?.until).toBeNull();
  });

  it('time each stage from the line before it, the first from the start', () => {
    const d = stageDurations([4.5, 7, 7.75, 9.25], 10);
    expect(d).toEqual([4.5, 2.5, 0.75, 1.5, 0.75]);
  });

  it('leave out a stage whose line, or the line before it, is missing or out of order', () => {
    expect(stageDurations([4.5, null, 7.75, 9.25], 10)).toEqual([4.5, null, null, 1.5, 0.75]);
    expect(stageDurations([4.5, 8, 7.75, 9.25], null)).toEqual([4.5, 3.5, null, 1.5, null]);
  });

  it('take the median of each stage over the rounds', () => {
    const rounds = [
      { status: 'ok', promptSeconds: 10, powerOffSeconds: 12, stageSeconds: [4, 3, 1, 1, 1] },
      { status: 'ok', promptSeconds: 12, powerOffSeconds: 14, stageSeconds: [5, 4, null, 2, 1] },
      { status: 'ok', promptSeconds: 11, powerOffSeconds: 13, stageSeconds: [6, 2, 3, 1.5, 0.5] },
    ];
    expect(summarizeRounds({ emulator: 'popek', mode: 'bt' }, rounds).stageSeconds).toEqual([5, 3, 2, 1.5, 1]);
  });

  it("tabulate the runs that timed them and divide Popek bt's stages by QEMU's fastest", () => {
    const runs = [
      { ...run('popek', 'bt', 10, 12), stageSeconds: [4, 3, 1, 1.5, 0.5] },
      run('popek', 'interpreter', 100, 110),
      { ...run('qemu', 'tcg', 5, 7), stageSeconds: [2.5, 1.5, 0.25, 0.6, 0.15] },
      { ...run('qemu', 'tcg', 6, 8), stageSeconds: [2, 2, 0.2, null, 0.1] },
    ];
    const lines = stageTable(runs)?.split('\n') ?? [];
    expect(lines).toHaveLength(2 + 3 + 1);
    expect(lines[0]).toContain('start to banner (s)');
    expect(lines[2]).toMatch(/\| Popek +\| bt +\| 4\.00 +\| 3\.00 +\| 1\.00 +\| 1\.50 +\| 0\.50 +\|/);
    expect(lines[5]).toMatch(/\| Popek bt ÷ QEMU +\| +\| 2\.00× +\| 2\.00× +\| 5\.00× +\| 2\.50× +\| 5\.00× +\|/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('make no table when no run timed its stages', () => {
    expect(stageTable([run('qemu', 'tcg', 5, 7)])).toBeNull();
  });
});
