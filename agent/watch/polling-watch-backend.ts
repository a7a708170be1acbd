// Watch back-end for filesystems without inotify: stats the path every pollIntervalMs and wakes the tailer when
// what the path leads to (device, inode, size, mtime, ctime) differs from what it saw last time.

import * as fs from 'fs';
import { waitForWakeOrTimeout, type WatchBackend } from './watch-backend';

export class PollingWatchBackend implements WatchBackend {
  /** Last stat summary per path; kept across calls so a change made between two waits is still noticed. */
  private readonly lastSeen = new Map<string, string>();
  private closed = false;

  constructor(private readonly pollIntervalMs: number) {}

  waitForChange(path: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.lastSeen.has(path)) {
      // First call for this path: nothing to compare with yet, so report "may have changed" at once.
      this.lastSeen.set(path, summarize(path));
      return Promise.resolve();
    }
    return waitForWakeOrTimeout(timeoutMs, signal, (wake) => {
      let timer: NodeJS.Timeout | undefined;
      const poll = (): void => {
        const now = summarize(path);
        if (now !== this.lastSeen.get(path) || this.closed) {
          this.lastSeen.set(path, now);
          wake();
          return;
        }
        timer = setTimeout(poll, this.pollIntervalMs);
      };
      poll();
      return () => clearTimeout(timer);
    });
  }

  close(): void {
    this.closed = true;
    this.lastSeen.clear();
  }
}

function summarize(path: string): string {
  try {
    const st = fs.statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}
