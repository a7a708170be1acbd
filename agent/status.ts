// The agent's status snapshot, rewritten every few seconds to WORKDIR/agent-status.json (atomically, so a reader never
// sees half a file): per file where it has read to and what is confirmed, per action how much is queued, the link state,
// the batches in flight against the transport's limit and, for RELP, the window and how full it is.

import * as path from 'path';
import { writeFileAtomic } from '../src/core/atomic-file';
import { Logger } from '../src/core/logger';
import { FileServerStatus } from './file-server';

export const STATUS_FILE_NAME = 'agent-status.json';

export interface AgentStatusSnapshot extends FileServerStatus {
  pid: number;
  hostname: string;
  startedAt: string;
  writtenAt: string;
  /** 'running' while shipping, 'stopped' in the last snapshot written at a graceful stop. */
  state: 'running' | 'stopped';
}

export class StatusReporter {
  readonly file: string;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date().toISOString();
  private warned = false;

  constructor(
    workDirectory: string,
    private readonly hostname: string,
    private readonly source: () => FileServerStatus,
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {
    this.file = path.join(workDirectory, STATUS_FILE_NAME);
  }

  start(): void {
    void this.write('running');
    this.timer = setInterval(() => void this.write('running'), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic writes and writes a last snapshot. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.write('stopped');
  }

  snapshot(state: AgentStatusSnapshot['state']): AgentStatusSnapshot {
    return { pid: process.pid, hostname: this.hostname, startedAt: this.startedAt, writtenAt: new Date().toISOString(), state, ...this.source() };
  }

  /** Writes are chained so two snapshots never race on the same temp file. */
  private write(state: AgentStatusSnapshot['state']): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        await writeFileAtomic(this.file, JSON.stringify(this.snapshot(state), null, 2) + '\n');
      } catch (err) {
        // Status is informative only: say so once and keep shipping.
        if (!this.warned) this.logger.warn('cannot write the status file', { file: this.file, error: (err as Error).message });
        this.warned = true;
      }
    });
    return this.writing;
  }
}
