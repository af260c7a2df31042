import { describe, expect, it } from 'vitest';
import { HOST_ENGINE_FLAGS, WASM_TIERING_BUDGET, tuneHostEngine, type HostEngine } from './host-engine.js';

/** An engine that records the flags set on it. */
function engine(execArgv: string[] = []): HostEngine & { readonly set: string[] } {
  const set: string[] = [];
  return { execArgv, setFlags: (f) => set.push(f), set };
}

describe('tuneHostEngine', () => {
  it('raises the WebAssembly tiering budget when the user did not set it', () => {
    const e = engine(['--enable-source-maps', '--max-old-space-size=4096']);
    expect(tuneHostEngine(e)).toEqual([`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`]);
    expect(e.set).toEqual(HOST_ENGINE_FLAGS);
  });

  it("leaves the budget given on Node's command line", () => {
    const e = engine(['--wasm-tiering-budget=1000']);
    expect(tuneHostEngine(e)).toEqual([]);
    expect(e.set).toEqual([]);
  });

  it('leaves the budget given with V8\'s underscores', () => {
    const e = engine(['--inspect', '--wasm_tiering_budget=5']);
    expect(tuneHostEngine(e)).toEqual([]);
    expect(e.set).toEqual([]);
  });
});
