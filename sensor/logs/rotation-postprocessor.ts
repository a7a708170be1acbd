// Runs the user's rotation postprocessor on each rotated file, with Zeek's arguments (base/frameworks/logging:
// run_rotation_postprocessor_cmd): FILE PATH OPEN CLOSE TERMINATING WRITER, times as %y-%m-%d_%H.%M.%S, so broctl-era
// scripts such as archive-log work unchanged. The program is executed directly, never through a shell; runs are
// one at a time and in rotation order, and a failure is logged with the file left where it is.

import { execFile } from 'child_process';
import type { Logger } from '../../src/core/logger';
import { zeekMetaTimestamp } from './log-formatter';
import type { RotatedLog } from './log-writer-set';

/** Zeek's postprocessor time argument: local time as %y-%m-%d_%H.%M.%S (the #open stamp, re-punctuated). */
export function postprocessorTime(seconds: number): string {
  const [year, month, day, hour, minute, second] = zeekMetaTimestamp(new Date(seconds * 1000)).split('-');
  return `${year.slice(-2)}-${month}-${day}_${hour}.${minute}.${second}`;
}

export class RotationPostprocessor {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly program: string,
    private readonly logger: Logger,
    /** Bound per run: a hung postprocessor must not hold back every later rotation forever. */
    private readonly timeoutMs = 10 * 60 * 1000,
  ) {}

  /** Queues one run per file (in order). */
  submit(files: RotatedLog[], terminating: boolean): void {
    for (const f of files) {
      const args = [f.file, f.path, postprocessorTime(f.openedAt), postprocessorTime(f.closedAt), terminating ? '1' : '0', 'ascii'];
      this.queue = this.queue.then(() => this.run(args));
    }
  }

  /** Resolves once every submitted run has ended. */
  drain(): Promise<void> {
    return this.queue;
  }

  private run(args: string[]): Promise<void> {
    return new Promise((resolve) => {
      execFile(this.program, args, { timeout: this.timeoutMs }, (err, _stdout, stderr) => {
        if (err) {
          this.logger.warn('rotation postprocessor failed; the rotated file stays where it is', {
            program: this.program, file: args[0], error: err.message.split('\n')[0], stderr: stderr.trim().split('\n').pop(),
          });
        }
        resolve();
      });
    });
  }
}
