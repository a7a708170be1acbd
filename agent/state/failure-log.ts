// Logs a failure that repeats (a state file or disk queue that cannot be written, retried with a backoff) once per
// cause, and once when it stops: a retry loop must not print a line per attempt.

import type { Logger, LogFields } from '../../src/core/logger';

/** The cause a failure is logged once for: its errno code (ENOSPC, EISDIR, EIO…), else its message. */
export function failureCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** The error as a log field; a full disk is named as such, whatever call hit it. */
export function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return failureCause(err) === 'ENOSPC' ? `no space left on device (${message})` : message;
}

export class FailureLog {
  private cause: string | undefined;

  constructor(private readonly logger: Logger) {}

  /** True between a failure and the next success. */
  get failing(): boolean {
    return this.cause !== undefined;
  }

  /** Logs `message` at ERROR if this cause was not the last one logged. */
  failed(err: unknown, message: string, fields: LogFields = {}): void {
    const cause = failureCause(err);
    if (cause === this.cause) return;
    this.cause = cause;
    this.logger.error(message, { ...fields, error: describeFailure(err) });
  }

  /** Logs `message` at INFO once, if a failure was logged since the last success. */
  recovered(message: string, fields: LogFields = {}): void {
    if (this.cause === undefined) return;
    this.cause = undefined;
    this.logger.info(message, fields);
  }
}
