/**
 * One site where a sensitive-unprivileged instruction, run deprivileged, gave the guest kernel a
 * result that differs from what the same instruction gives at a real CPL 0.
 */
export interface VirtualizationHole {
  /** Linear address of the instruction's first byte (CS base + EIP). */
  readonly address: number;
  /** EIP of the instruction (its offset in CS). */
  readonly eip: number;
  /** The instruction (`POPF`, `SGDT`, `MOV from CS`, ...). */
  readonly instruction: string;
  /** Which guest-visible value differs (`EFLAGS`, `GDTR base`, `CS selector`, ...). */
  readonly what: string;
  /** The value the guest got from the deprivileged instruction (first occurrence). */
  readonly seen: number;
  /** The value it would have got at CPL 0 on bare hardware (first occurrence). */
  readonly expected: number;
  /**
   * Whether the guest really got {@link seen} (true) or the difference is only recorded while the
   * instruction ran natively (false: a transfer whose deprivileged effect the model does not apply).
   */
  readonly applied: boolean;
  /** One sentence that says what happened, with the values. */
  readonly detail: string;
  /** Guest instructions retired before the first occurrence. */
  readonly firstRetired: number;
  /** How many times this site diverged. */
  readonly hits: number;
}

/** The mutable record behind a {@link VirtualizationHole} (the mode bumps `hits`). */
export class HoleRecord implements VirtualizationHole {
  /** How many times this site diverged. */
  hits = 1;

  /**
   * @param address - linear address of the instruction
   * @param eip - its EIP
   * @param instruction - the instruction
   * @param what - which value differs
   * @param seen - what the guest got
   * @param expected - what it would have got at CPL 0
   * @param applied - whether the guest really got `seen`
   * @param detail - one sentence with the values
   * @param firstRetired - instructions retired before it
   */
  constructor(
    readonly address: number,
    readonly eip: number,
    readonly instruction: string,
    readonly what: string,
    readonly seen: number,
    readonly expected: number,
    readonly applied: boolean,
    readonly detail: string,
    readonly firstRetired: number,
  ) {}
}

/** `0x` and eight hex digits. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

/** `0x` and four hex digits. */
export function hex16(v: number): string {
  return `0x${(v & 0xffff).toString(16).padStart(4, '0')}`;
}
