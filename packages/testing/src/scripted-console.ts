import type { CharBackend, CharReceiver } from '@popek/core';

/** One exchange of a {@link ScriptedConsole}: wait for text, then type. */
export interface ConsoleStep {
  /** What the guest's output must contain (since the previous step) before typing. */
  readonly expect: string | RegExp;
  /** What to type once it does (nothing for a final wait). */
  readonly send?: string;
}

/**
 * A character backend that plays a conversation with the guest, like `expect`: it waits for each
 * step's text in the guest's output, then types the step's input.
 *
 * Input is queued from inside `write`, that is while the guest is running, at a point in guest
 * time fixed by the guest's own output — so in deterministic clock mode the whole transcript is
 * the same run after run, whatever the host does.
 */
export class ScriptedConsole implements CharBackend {
  #steps: readonly ConsoleStep[];
  readonly #output: number[] = [];
  readonly #input: number[] = [];
  #receiver: CharReceiver | undefined;
  #step = 0;
  #pendingText = '';
  readonly #decoder = new TextDecoder();
  readonly #onStep: ((index: number) => void) | undefined;

  /**
   * @param steps - the conversation
   * @param onStep - called with each step's index when its text has appeared (before typing)
   */
  constructor(steps: readonly ConsoleStep[], onStep?: (index: number) => void) {
    this.#steps = steps;
    this.#onStep = onStep;
  }

  /** Whether every step's text has appeared. */
  get finished(): boolean {
    return this.#step >= this.#steps.length;
  }

  /** Index of the step waited for now. */
  get step(): number {
    return this.#step;
  }

  /** The whole transcript: everything the guest wrote, as bytes. */
  get output(): Uint8Array {
    return Uint8Array.from(this.#output);
  }

  /** The whole transcript as text. */
  get text(): string {
    return new TextDecoder().decode(this.output);
  }

  write(bytes: Uint8Array): void {
    for (const b of bytes) this.#output.push(b);
    this.#pendingText += this.#decoder.decode(bytes, { stream: true });
    for (;;) {
      const step = this.#steps[this.#step];
      if (step === undefined) return;
      const haystack = this.#pendingText;
      const at = typeof step.expect === 'string' ? haystack.indexOf(step.expect) : haystack.search(step.expect);
      if (at < 0) return;
      const length = typeof step.expect === 'string' ? step.expect.length : (haystack.slice(at).match(step.expect)?.[0].length ?? 0);
      this.#pendingText = haystack.slice(at + length);
      this.#onStep?.(this.#step);
      this.#step++;
      if (step.send !== undefined) {
        for (const b of new TextEncoder().encode(step.send)) this.#input.push(b);
        this.ready();
      }
    }
  }

  /**
   * Types `text` now and then carries on with `steps`: for a host that stops the conversation
   * between slices (to take a snapshot at a prompt) and resumes it.
   */
  continueWith(text: string, steps: readonly ConsoleStep[] = []): void {
    this.#steps = [...this.#steps, ...steps];
    for (const b of new TextEncoder().encode(text)) this.#input.push(b);
    this.ready();
  }

  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.ready();
  }

  ready(): void {
    const r = this.#receiver;
    if (r === undefined || this.#input.length === 0) return;
    const n = Math.min(r.canAccept(), this.#input.length);
    if (n > 0) r.accept(Uint8Array.from(this.#input.splice(0, n)));
  }
}
