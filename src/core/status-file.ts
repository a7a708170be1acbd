// A daemon's status snapshot, rewritten every few seconds to one JSON file (atomically, so a reader never sees half a
// file): who is running (pid, host, since when), whether it is still running, and the daemon's own figures. The agent
// and the sensor both write one; `nsm status` reads them.

import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from './atomic-file';
import type { Logger } from './logger';

/** The fields every status file starts with. */
export interface StatusEnvelope {
  pid: number;
  hostname: string;
  startedAt: string;
  writtenAt: string;
  /** 'running' while working, 'stopped' in the last snapshot written at a graceful stop. */
  state: 'running' | 'stopped';
}

/** Readable by the daemon's group (operators running `nsm status`), whatever the umask. */
export const STATUS_FILE_MODE = 0o640;

export class StatusFile<T extends object> {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date().toISOString();
  private warned = false;

  constructor(
    readonly file: string,
    private readonly hostname: string,
    private readonly source: () => T,
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

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

  snapshot(state: StatusEnvelope['state']): StatusEnvelope & T {
    return { pid: process.pid, hostname: this.hostname, startedAt: this.startedAt, writtenAt: new Date().toISOString(), state, ...this.source() };
  }

  /** Writes are chained so two snapshots never race on the same temp file. */
  private write(state: StatusEnvelope['state']): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o750 });
        await writeFileAtomic(this.file, JSON.stringify(this.snapshot(state), null, 2) + '\n', { mode: STATUS_FILE_MODE });
      } catch (err) {
        // Status is informative only: say so once and keep working.
        if (!this.warned) this.logger.warn('cannot write the status file', { file: this.file, error: (err as Error).message });
        this.warned = true;
      }
    });
    return this.writing;
  }
}
