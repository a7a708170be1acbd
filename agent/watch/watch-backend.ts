// How a tailer learns that its file may have changed: one interface, two back-ends (inotify via fs.watch, and
// plain stat polling for filesystems where inotify says nothing, e.g. NFS). Tailers always re-check the file
// themselves after a wake-up, so a spurious wake-up costs one stat and a missed event costs at most one timeout.

import { InotifyWatchBackend } from './inotify-watch-backend';
import { PollingWatchBackend } from './polling-watch-backend';

export interface WatchBackend {
  /** resolves when `path` may have changed (content, rename, create) or after at most timeoutMs */
  waitForChange(path: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export function createWatchBackend(mode: 'inotify' | 'polling', pollIntervalMs: number): WatchBackend {
  return mode === 'inotify' ? new InotifyWatchBackend(pollIntervalMs) : new PollingWatchBackend(pollIntervalMs);
}

/**
 * Waits until `wake` is called, `timeoutMs` passes or `signal` aborts, whichever is first, and leaves no timer or
 * listener behind. `register` receives the wake function and returns how to unregister it.
 */
export function waitForWakeOrTimeout(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  register: (wake: () => void) => () => void,
): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let done = false;
    let unregister: (() => void) | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      unregister?.();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, timeoutMs));
    signal?.addEventListener('abort', finish, { once: true });
    unregister = register(finish);
    // `register` may have woken us synchronously, before it returned its unregister function.
    if (done) unregister();
  });
}
