// Runs one emulator as a child process whose stdout is the guest's serial console, answers the
// shell prompt with one line of input (`poweroff`), and measures wall time from spawning the
// process to the prompt and to the process's exit. Every emulator of bench:compare is driven
// through this one function, so all of them are timed the same way.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The line the kernel prints right before it asks the firmware/ACPI to cut the power. */
export const POWER_DOWN_LINE = 'reboot: Power down';

/**
 * Watches a byte stream for a string that may be split across chunks, without keeping the
 * whole stream in memory.
 */
export class StreamMatcher {
  /** @param {string} needle */
  constructor(needle) {
    this.needle = needle;
    this.tail = '';
    this.found = false;
  }

  /**
   * @param {string} chunk - the next piece of the stream (latin1-decoded)
   * @returns {boolean} whether the needle has been seen (in this chunk or before)
   */
  push(chunk) {
    if (this.found) return true;
    const text = this.tail + chunk;
    if (text.includes(this.needle)) {
      this.found = true;
      this.tail = '';
      return true;
    }
    this.tail = text.slice(-Math.max(0, this.needle.length - 1));
    return false;
  }
}

/** Keeps the last `limit` characters of a stream. */
class Tail {
  constructor(limit) {
    this.limit = limit;
    this.text = '';
  }

  push(chunk) {
    this.text = (this.text + chunk).slice(-this.limit);
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux port that matters). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system, all threads) a live process has used so far, from /proc; null
 * where there is no /proc. On a busy host this is steadier than wall time.
 *
 * @param {number|undefined} pid
 * @returns {number|null}
 */
export function cpuSeconds(pid) {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / USER_HZ : null;
  } catch {
    return null;
  }
}

function seconds(fromMs) {
  return (performance.now() - fromMs) / 1000;
}

/**
 * @typedef {object} ConsoleRunSpec
 * @property {string} command - the executable
 * @property {string[]} args - its arguments
 * @property {string} [cwd]
 * @property {string} prompt - the shell prompt to wait for on stdout
 * @property {string} input - what to type at the prompt
 * @property {number} timeoutMs - kill the process after this long
 * @property {string} [logPath] - where to write the console output (stdout and stderr)
 * @property {RegExp} [unavailablePattern] - stderr of an early non-zero exit that means "this
 *   configuration is not supported" rather than "it failed"
 * @property {Record<number, {status: string, note: string}>} [exitMeanings] - exit codes that
 *   carry a meaning after the prompt (the v86 runner's "halted without power-off")
 * @property {(line: string) => void} [onProgress] - short progress notes
 * @property {string[]} [milestones] - console lines (or parts of them) whose first appearance
 *   is timed too, in any order (see {@link ConsoleRunResult.milestoneSeconds})
 */

/**
 * @typedef {object} ConsoleRunResult
 * @property {'ok'|'timeout'|'unavailable'|'failed'|'no-power-off'} status
 * @property {number|null} promptSeconds - spawn to the prompt
 * @property {number|null} promptCpuSeconds - CPU time the process used until the prompt (Linux)
 * @property {number|null} powerOffSeconds - spawn to the process's exit (only when it powered off)
 * @property {number|null} powerDownLineSeconds - spawn to the kernel's "reboot: Power down" line
 * @property {(number|null)[]} milestoneSeconds - per entry of the spec's `milestones`: spawn to
 *   its first appearance on the console (null: it never appeared)
 * @property {number|null} exitSeconds - spawn to the process's exit, whatever the reason
 * @property {number|null} exitCode
 * @property {string|null} signal
 * @property {string} note - a one-line explanation for anything but `ok`
 * @property {string} consoleTail - the last part of the console output
 * @property {string} stderrTail - the last part of stderr
 */

/**
 * Runs the process, answers the prompt once and waits for it to exit or time out.
 *
 * @param {ConsoleRunSpec} spec
 * @returns {Promise<ConsoleRunResult>}
 */
export async function runConsole(spec) {
  let log;
  if (spec.logPath !== undefined) {
    await mkdir(dirname(spec.logPath), { recursive: true });
    log = createWriteStream(spec.logPath);
    log.write(`$ ${[spec.command, ...spec.args].map(shellQuote).join(' ')}\n`);
  }
  const prompt = new StreamMatcher(spec.prompt);
  const powerDown = new StreamMatcher(POWER_DOWN_LINE);
  const milestones = (spec.milestones ?? []).map((line) => new StreamMatcher(line));
  /** @type {(number|null)[]} */
  const milestoneSeconds = milestones.map(() => null);
  const consoleTail = new Tail(2000);
  const stderrTail = new Tail(2000);
  let promptSeconds = null;
  let promptCpuSeconds = null;
  let powerDownLineSeconds = null;
  let timedOut = false;
  let spawnError;

  const started = performance.now();
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {
    // EPIPE when the process exits with input pending: the exit status tells the story.
  });
  child.stdout.on('data', (data) => {
    const chunk = data.toString('latin1');
    log?.write(data);
    consoleTail.push(chunk);
    // Milestones in one chunk arrived together: one time for all of them.
    const now = seconds(started);
    for (const [i, m] of milestones.entries()) if (!m.found && m.push(chunk)) milestoneSeconds[i] = now;
    if (!prompt.found && prompt.push(chunk)) {
      promptSeconds = seconds(started);
      promptCpuSeconds = cpuSeconds(child.pid);
      spec.onProgress?.(`prompt after ${promptSeconds.toFixed(1)} s, typing ${JSON.stringify(spec.input)}`);
      child.stdin.write(spec.input);
    }
    if (!powerDown.found && powerDown.push(chunk)) powerDownLineSeconds = seconds(started);
  });
  child.stderr.on('data', (data) => {
    log?.write(data);
    stderrTail.push(data.toString('latin1'));
  });

  let killTimer;
  const timer = setTimeout(() => {
    timedOut = true;
    spec.onProgress?.(`timed out after ${(spec.timeoutMs / 1000).toFixed(0)} s; stopping it`);
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  }, spec.timeoutMs);

  const { code, signal, exitSeconds } = await new Promise((resolve) => {
    let exit;
    child.on('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null, exitSeconds: seconds(started) });
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal, exitSeconds: seconds(started) };
    });
    // 'close' comes after stdout and stderr are drained, so nothing printed is lost.
    child.on('close', () => resolve(exit ?? { code: null, signal: null, exitSeconds: seconds(started) }));
  });
  clearTimeout(timer);
  clearTimeout(killTimer);
  if (log !== undefined) await new Promise((resolve) => log.end(resolve));

  const base = {
    promptSeconds,
    promptCpuSeconds,
    powerOffSeconds: null,
    powerDownLineSeconds,
    milestoneSeconds,
    exitSeconds: spawnError ? null : exitSeconds,
    exitCode: code,
    signal,
    consoleTail: consoleTail.text,
    stderrTail: stderrTail.text,
  };
  const firstStderrLine = stderrTail.text.trim().split('\n').find((l) => l.trim() !== '') ?? '';

  if (spawnError !== undefined) {
    const missing = /** @type {NodeJS.ErrnoException} */ (spawnError).code === 'ENOENT';
    return { ...base, status: missing ? 'unavailable' : 'failed', note: missing ? `${spec.command} is not installed` : `${spec.command} could not be started: ${spawnError.message}` };
  }
  if (timedOut) {
    const phase = promptSeconds === null ? 'before the shell prompt' : `after typing ${JSON.stringify(spec.input.trim())} at the prompt`;
    return { ...base, status: 'timeout', note: `no ${promptSeconds === null ? 'prompt' : 'power-off'} within ${(spec.timeoutMs / 1000).toFixed(0)} s (stuck ${phase})` };
  }
  if (promptSeconds === null) {
    if (code !== 0 && spec.unavailablePattern?.test(stderrTail.text)) {
      return { ...base, status: 'unavailable', note: firstStderrLine };
    }
    const why = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
    return { ...base, status: 'failed', note: `exited before the prompt (${why})${firstStderrLine ? `: ${firstStderrLine}` : ''}` };
  }
  const meaning = code !== null ? spec.exitMeanings?.[code] : undefined;
  if (meaning !== undefined) return { ...base, status: /** @type {any} */ (meaning.status), note: meaning.note };
  if (code !== 0) {
    const why = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
    return { ...base, status: 'failed', note: `exited after the prompt with ${why}${firstStderrLine ? `: ${firstStderrLine}` : ''}` };
  }
  if (powerDownLineSeconds === null) {
    // A clean exit without the kernel's power-down line: a reboot stopped by -no-reboot, say.
    return { ...base, status: 'failed', note: `exited after the prompt without the kernel's '${POWER_DOWN_LINE}' line (a reboot or crash?)` };
  }
  return { ...base, status: 'ok', powerOffSeconds: exitSeconds, note: '' };
}

/** Quotes an argument for display as a POSIX shell word. */
export function shellQuote(word) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
