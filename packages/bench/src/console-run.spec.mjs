import { describe, expect, it } from 'vitest';
import { StreamMatcher, runConsole, shellQuote } from './console-run.mjs';

/** A stand-in emulator: a Node one-liner that behaves as the script says. */
function fake(script, extra = {}) {
  return runConsole({
    command: process.execPath,
    args: ['-e', script],
    prompt: 'popek:/root# ',
    input: 'poweroff\n',
    timeoutMs: 10_000,
    ...extra,
  });
}

const GUEST = `
process.stdout.write('booting\\npopek:/r');
setTimeout(() => process.stdout.write('oot# '), 50);
process.stdin.on('data', (d) => {
  if (String(d) === 'poweroff\\n') { process.stdout.write('poweroff\\nreboot: Power down\\n'); process.exit(0); }
});`;

describe('StreamMatcher', () => {
  it('finds a string split across chunks', () => {
    const m = new StreamMatcher('popek:/root# ');
    expect(m.push('xx popek:/r')).toBe(false);
    expect(m.push('oot')).toBe(false);
    expect(m.push('# yy')).toBe(true);
    expect(m.push('anything')).toBe(true);
  });

  it('does not match what is not there', () => {
    const m = new StreamMatcher('abc');
    expect(m.push('ab')).toBe(false);
    expect(m.push('xc')).toBe(false);
  });
});

describe('runConsole', () => {
  it('times the prompt and the exit after power-off', async () => {
    const r = await fake(GUEST);
    expect(r.status).toBe('ok');
    expect(r.promptSeconds).toBeGreaterThan(0);
    expect(r.powerOffSeconds).toBeGreaterThanOrEqual(r.promptSeconds);
    expect(r.powerDownLineSeconds).not.toBeNull();
  });

  it('times the first appearance of each milestone, in whatever order they come', async () => {
    const script = `process.stdout.write('Linux vers');
setTimeout(() => process.stdout.write('ion 6.1\\nRun /init\\nRun /init\\n'), 100);
setTimeout(() => { ${GUEST} }, 150);`;
    const r = await fake(script, { milestones: ['Run /init', 'Linux version', 'never printed'] });
    expect(r.status).toBe('ok');
    const [init, banner, never] = r.milestoneSeconds;
    expect(banner).toBeGreaterThanOrEqual(0.1);
    expect(init).toBeGreaterThanOrEqual(banner);
    expect(init).toBeLessThanOrEqual(r.promptSeconds);
    expect(never).toBeNull();
  });

  it('reports a refused configuration as unavailable', async () => {
    const r = await fake(`process.stderr.write("popek: There is no CPU mode 'bt'; the CPU modes are: interpreter.\\n"); process.exit(1);`, {
      unavailablePattern: /cpu[- ]mode/i,
    });
    expect(r.status).toBe('unavailable');
    expect(r.note).toContain("no CPU mode 'bt'");
  });

  it('reports other early exits as failures', async () => {
    const r = await fake(`process.stderr.write('boom\\n'); process.exit(3);`, { unavailablePattern: /cpu[- ]mode/i });
    expect(r.status).toBe('failed');
    expect(r.note).toContain('boom');
  });

  it('stops a run that hangs and says where it hung', async () => {
    const r = await fake(`process.stdout.write('popek:/root# '); setInterval(() => {}, 1000);`, { timeoutMs: 1500 });
    expect(r.status).toBe('timeout');
    expect(r.promptSeconds).not.toBeNull();
    expect(r.note).toContain('after typing');
  });

  it('does not count an exit without the power-down line as power-off', async () => {
    const r = await fake(`process.stdout.write('popek:/root# '); process.stdin.on('data', () => process.exit(0));`);
    expect(r.status).toBe('failed');
    expect(r.powerOffSeconds).toBeNull();
  });

  it('maps exit codes with a meaning', async () => {
    const r = await fake(`process.stdout.write('popek:/root# '); process.stdin.on('data', () => process.exit(3));`, {
      exitMeanings: { 3: { status: 'no-power-off', note: 'halted' } },
    });
    expect(r.status).toBe('no-power-off');
    expect(r.promptSeconds).not.toBeNull();
  });

  it('reports a missing emulator as unavailable', async () => {
    const r = await runConsole({ command: 'no-such-emulator-xyz', args: [], prompt: '#', input: '\n', timeoutMs: 5000 });
    expect(r.status).toBe('unavailable');
    expect(r.note).toContain('not installed');
  });
});

describe('shellQuote', () => {
  it('quotes only what needs it', () => {
    expect(shellQuote('-m')).toBe('-m');
    expect(shellQuote('console=ttyS0,115200 panic=-1')).toBe("'console=ttyS0,115200 panic=-1'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
