/**
 * An error that a user can act on. Popek's command-line front end prints its `message` alone,
 * without a stack trace, and exits with a non-zero status; every other error is a bug.
 *
 * `code` is a stable, machine-readable identifier (for example `profile-invalid`,
 * `kernel-missing`); `message` is one or more complete sentences that say what is wrong and
 * what to do about it.
 */
export class PopekError extends Error {
  /** A stable identifier for the kind of problem, for programs that react to it. */
  readonly code: string;

  /**
   * @param code - stable identifier of the kind of problem
   * @param message - what is wrong and what the user can do, in complete sentences
   * @param options - the underlying cause, when there is one
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PopekError';
    this.code = code;
  }
}

/** Whether `value` is a {@link PopekError} (also across package copies). */
export function isPopekError(value: unknown): value is PopekError {
  return value instanceof PopekError || (value instanceof Error && value.name === 'PopekError' && 'code' in value);
}
