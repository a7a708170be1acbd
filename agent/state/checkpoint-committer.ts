// One monitored file's checkpoint: advances its state file in the order the file's batches were read, over the
// batches every action holds durably, with at most one write in flight.

import type { Logger } from '../../src/core/logger';
import type { FileCheckpoint, StateStore } from './state-store';

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
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly stateStore: StateStore,
    private readonly stateFile: string,
    private readonly logger: Logger,
    initial: FileCheckpoint | undefined,
  ) {
    this.written = initial;
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

  /** Shutdown: waits for the write in flight, then writes the newest confirmed checkpoint if it is not on disk yet. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.latest && this.latest !== this.written) await this.write(this.latest);
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

  /** At most one write in flight; whatever is confirmed meanwhile goes into the next one. */
  private scheduleWrite(): void {
    if (this.inFlight) return;
    const target = this.latest;
    if (!target || target === this.written) return;
    this.inFlight = this.write(target).finally(() => {
      this.inFlight = undefined;
      this.scheduleWrite();
    });
  }

  private async write(checkpoint: FileCheckpoint): Promise<void> {
    try {
      // Async: the two fsyncs run on the thread pool, so a state write never stalls reading and sending.
      await this.stateStore.saveAsync(this.stateFile, checkpoint);
      this.written = checkpoint;
    } catch (err) {
      // Not fatal: the previous checkpoint stays, so a restart re-sends (duplicates) rather than loses.
      this.logger.error('cannot write state file', { file: this.stateFile, error: (err as Error).message });
    }
  }
}
