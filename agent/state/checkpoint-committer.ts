// One monitored file's checkpoint: advances its state file in the order the file's batches were read, over the
// batches every action holds durably, with at most one write in flight. A state file that cannot be written (a
// directory at its path, a full disk, EIO) is retried with a capped exponential backoff and logged once per cause;
// meanwhile the file is not read further (admit()), so a restart repeats no more than it would otherwise.

import type { Logger } from '../../src/core/logger';
import { ExponentialBackoff } from '../transport/backoff';
import { FailureLog } from './failure-log';
import type { FileCheckpoint, StateStore } from './state-store';

/** Retries of a failed state write: 100 ms doubling to 10 s. */
const RETRY_BACKOFF = { initialMs: 100, maxMs: 10_000 };

/** A batch on its way to the queues: the file's checkpoint may move to `checkpoint` once `pendingActions` reaches 0. */
export interface PendingCommit {
  checkpoint: FileCheckpoint;
  pendingActions: number;
}

/**
 * Advances one file's state file in the order its batches were read, only over batches durable in every action.
 * Writes are coalesced: while one write is in flight, later confirmations only replace what the next write will hold.
 */
export class CheckpointCommitter {
  private readonly commits: PendingCommit[] = [];
  private latest: FileCheckpoint | undefined;
  private written: FileCheckpoint | undefined;
  private inFlight: Promise<boolean> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new ExponentialBackoff(RETRY_BACKOFF);
  private readonly failures: FailureLog;
  private writableWaiters: ((writable: boolean) => void)[] = [];
  private stopping = false;
  /** A batch was not queued (shutdown with the state file unwritable): no later batch may be. */
  private letGo = false;

  constructor(
    private readonly stateStore: StateStore,
    private readonly stateFile: string,
    private readonly logger: Logger,
    initial: FileCheckpoint | undefined,
  ) {
    this.written = initial;
    this.failures = new FailureLog(logger);
  }

  add(commit: PendingCommit): void {
    this.commits.push(commit);
    if (commit.pendingActions === 0) this.release();
  }

  /** One action holds `commit` durably. */
  confirm(commit: PendingCommit): void {
    commit.pendingActions--;
    if (commit.pendingActions === 0) this.release();
  }

  confirmedOffset(): number {
    return this.written?.offset ?? 0;
  }

  /** True from a failed state write until one succeeds: lines read meanwhile could not be checkpointed. */
  get failing(): boolean {
    return this.failures.failing;
  }

  /**
   * Whether the next batch of this file may be queued: at once (true) while state writes succeed, else once one
   * does. False when shutdown finds the state file still unwritable, and from then on for good: a checkpoint
   * written later must not pass over a batch that was let go.
   */
  admit(): true | Promise<boolean> {
    if (this.letGo) return Promise.resolve(false);
    if (!this.failing) return true;
    if (this.stopping) {
      this.letGo = true;
      return Promise.resolve(false);
    }
    return new Promise((resolve) => this.writableWaiters.push((writable) => {
      if (!writable) this.letGo = true;
      resolve(writable);
    }));
  }

  /** Shutdown begins: no more retries on a timer, and whoever waits in admit() is answered. */
  stopWaiting(): void {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.wakeWaiters(!this.failing);
  }

  /** Shutdown: waits for the write in flight, then makes one last attempt at the newest confirmed checkpoint. */
  async flush(): Promise<void> {
    this.stopWaiting();
    while (this.inFlight) await this.inFlight;
    if (!this.latest || this.latest === this.written) return;
    if (!(await this.write(this.latest))) {
      this.logger.error('state file still cannot be written at shutdown: the next start reads this file again from the last offset written',
        { file: this.stateStore.resolve(this.stateFile), offset: this.confirmedOffset(), confirmedOffset: this.latest.offset });
    }
  }

  /** Batches complete in read order per action, but with several actions a later batch may finish first: advance only over the done prefix. */
  private release(): void {
    let advanced = false;
    while (this.commits.length > 0 && this.commits[0].pendingActions === 0) {
      this.latest = this.commits.shift()!.checkpoint;
      advanced = true;
    }
    if (advanced) this.scheduleWrite();
  }

  /** At most one write in flight, none while a retry waits; whatever is confirmed meanwhile goes into the next one. */
  private scheduleWrite(): void {
    if (this.inFlight || this.retryTimer) return;
    const target = this.latest;
    if (!target || target === this.written) return;
    const writing = this.write(target);
    this.inFlight = writing;
    void writing.then((ok) => {
      this.inFlight = undefined;
      if (ok) {
        this.scheduleWrite();
      } else if (!this.stopping) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleWrite();
        }, this.backoff.nextDelayMs());
        this.retryTimer.unref();
      }
    });
  }

  /** True once `checkpoint` is on disk. A failure is not fatal: the previous checkpoint stays (repeats, never a loss). */
  private async write(checkpoint: FileCheckpoint): Promise<boolean> {
    try {
      // Async: the two fsyncs run on the thread pool, so a state write never stalls reading and sending.
      await this.stateStore.saveAsync(this.stateFile, checkpoint);
    } catch (err) {
      this.failures.failed(err, 'cannot write state file: reading this file waits until it can be written; retrying with backoff',
        { file: this.stateStore.resolve(this.stateFile), retryMaxMs: RETRY_BACKOFF.maxMs });
      return false;
    }
    this.written = checkpoint;
    this.backoff.reset();
    this.failures.recovered('state file written again: reading this file resumes', { file: this.stateStore.resolve(this.stateFile) });
    this.wakeWaiters(true);
    return true;
  }

  private wakeWaiters(writable: boolean): void {
    for (const w of this.writableWaiters.splice(0)) w(writable);
  }
}
