import { PopekError } from '@popek/core';

/**
 * What went wrong while building a guest image, as a machine-readable category.
 *
 * - `format`: an archive or compressed stream is malformed, truncated or corrupt.
 * - `unsupported`: the input uses a feature this implementation does not handle.
 * - `network`: the Debian archive could not be reached or answered with an error.
 * - `integrity`: downloaded data does not match the hash or size the archive index promises.
 * - `not-found`: a package or a file inside a package is missing.
 * - `io`: reading or writing the local cache failed.
 */
export type GuestImageErrorCode =
  | 'format'
  | 'unsupported'
  | 'network'
  | 'integrity'
  | 'not-found'
  | 'io';

/**
 * Base class of every error the guest-image builder raises on purpose. Its message is written for
 * the person running `popek`: a front end should print `message` alone, without a stack trace.
 */
export class GuestImageError extends PopekError {
  /** The error's category. */
  declare readonly code: GuestImageErrorCode;

  /**
   * @param code - the error's category
   * @param message - a complete, actionable sentence for the user
   * @param options - the underlying cause, if any
   */
  constructor(code: GuestImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = new.target.name;
  }
}
