// Drained rotated files that a writer may still append to (it has not reopened the path yet): each is watched until
// it has been quiet, by its own mtime/ctime, for watchMs, and lines appended meanwhile are shipped when seen.

import type { Logger } from '../../src/core/logger';
import { sameInode, type FileIdentity } from './file-identity';
import { RECHECK_WHILE_READING_MS, type Deliver, type FileWatcher } from './file-watcher';

export interface LateWriteWatchOptions {
  /** the configured path (for log lines) */
  path: string;
  watchMs: number;
  /** at most this many files watched; the oldest is let go first */
  maxFiles: number;
  now: () => number;
  logger: Logger;
  stopped: () => boolean;
  /** called for each file let go (closes it) */
  finish: (file: FileWatcher) => Promise<void>;
}

export class LateWriteWatch {
  /** oldest first */
  private readonly files: FileWatcher[] = [];
  private checkedAt = 0;

  constructor(private readonly opts: LateWriteWatchOptions) {}

  identities(): FileIdentity[] {
    return this.files.map((f) => f.identity);
  }

  holds(inode: { dev: number; ino: number }): boolean {
    return this.files.some((f) => sameInode(f.identity, inode));
  }

  /** Takes over a drained file quiet for `quietForMs`: watched, or let go at once when it has been quiet long enough. */
  async add(file: FileWatcher, quietForMs: number): Promise<void> {
    if (quietForMs >= this.opts.watchMs) {
      await this.opts.finish(file);
      return;
    }
    this.files.push(file);
    if (this.files.length > this.opts.maxFiles) await this.opts.finish(this.files.shift()!);
  }

  /**
   * Reads what was appended to the watched files since they were drained, and lets go of each once quiet for
   * watchMs or when it shrank (truncated: no longer a log generation of ours). Looked at every
   * RECHECK_WHILE_READING_MS while the tailer is busy reading, and on every wake-up otherwise (`force`).
   */
  async readLateWrites(deliver: Deliver, force: boolean): Promise<void> {
    if (this.files.length === 0 || (!force && Date.now() - this.checkedAt < RECHECK_WHILE_READING_MS)) return;
    this.checkedAt = Date.now();
    for (const file of [...this.files]) {
      let done = false;
      try {
        const size = await file.size();
        if (size > file.readOffset) {
          this.opts.logger.info('a drained rotated file was written to again: shipping the new lines', { path: this.opts.path, file: file.openedFrom, offset: file.readOffset });
          await file.readToEnd(deliver, this.opts.stopped, () => Promise.resolve());
        }
        done = size < file.readOffset || this.opts.now() - (await file.quietSinceMs()) >= this.opts.watchMs;
        if (done) await file.flushPartial(deliver);
      } catch (err) {
        this.opts.logger.warn('a drained rotated file cannot be read any more: no longer watched', { path: this.opts.path, file: file.openedFrom, error: String(err) });
        done = true;
      }
      if (done && !this.opts.stopped()) {
        this.files.splice(this.files.indexOf(file), 1);
        await this.opts.finish(file);
      }
    }
  }

  async closeAll(): Promise<void> {
    const files = this.files.splice(0, this.files.length);
    await Promise.all(files.map((f) => f.close()));
  }
}
