// The one error a capture source raises for bad input (not a capture, truncated, bad filter):
// a UserError, so the CLI prints the message alone without a stack trace.

import { UserError } from '../../src/core/user-error';

export class CaptureFileError extends UserError {
  /** Byte offset in the file where the problem was found (undefined when not tied to a position). */
  readonly byteOffset: number | undefined;

  constructor(message: string, byteOffset?: number) {
    super(message, 1);
    this.name = 'CaptureFileError';
    this.byteOffset = byteOffset;
  }
}
