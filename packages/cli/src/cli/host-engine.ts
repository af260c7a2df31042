import { setFlagsFromString } from 'node:v8';

/**
 * V8's budget for moving a WebAssembly function from its baseline code (Liftoff) to optimised
 * code (TurboFan), roughly in bytes of code executed; V8's own default is 1,800,000.
 *
 * The binary translator compiles a boot's warm guest code into thousands of small WebAssembly
 * functions. With V8's default, about 1,500 of them are optimised in a Debian boot to the prompt,
 * most of them guest code that runs for a few moments and never again, and the optimising compiler
 * on V8's background threads does a quarter of all the host's work. Ten times the budget leaves
 * the optimising to the code that runs long (the kernel's decompressor, the busiest kernel
 * paths). Host instructions of a deterministic boot to the prompt (`valgrind --tool=cachegrind`,
 * `node --single-threaded`, so the optimising compiler is counted on the one thread): with V8's
 * default budget 75.2 G, of them 20.4 G in the optimising compiler and 54.8 G the rest; three
 * times the budget 70.9 G (16.6 G, 54.3 G); ten times 68.6 G (14.0 G, 54.6 G); thirty times
 * 68.0 G (12.7 G, 55.3 G: the baseline code runs longer).
 */
export const WASM_TIERING_BUDGET = 18_000_000;

/** The host engine flags {@link tuneHostEngine} sets, each unless the user gave it in Node's command line. */
export const HOST_ENGINE_FLAGS: readonly string[] = [`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`];

/** Where {@link tuneHostEngine} looks for the user's own flags, and how it sets its own. */
export interface HostEngine {
  /** Node's command-line flags (`process.execArgv`; Node refuses V8 flags in `NODE_OPTIONS`). */
  readonly execArgv: readonly string[];
  /** Sets a V8 flag (`v8.setFlagsFromString`). */
  readonly setFlags: (flags: string) => void;
}

const processEngine: HostEngine = { execArgv: process.execArgv, setFlags: setFlagsFromString };

/**
 * Sets the host engine flags that suit Popek's translated code ({@link HOST_ENGINE_FLAGS}), before
 * the first machine compiles any: each one unless the user set the same flag in Node's command
 * line (`node --wasm-tiering-budget=… popek.js run`), whose value then stands. Returns the flags
 * it set.
 */
export function tuneHostEngine(engine: HostEngine = processEngine): string[] {
  const given = engine.execArgv.map(flagName);
  const set: string[] = [];
  for (const flag of HOST_ENGINE_FLAGS) {
    if (given.includes(flagName(flag))) continue;
    engine.setFlags(flag);
    set.push(flag);
  }
  return set;
}

/** A flag's name without its value, with V8's `_` and `-` taken as the same. */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replaceAll('_', '-');
}
