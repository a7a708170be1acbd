// Watch back-end on inotify (fs.watch): watches the file itself (appends, also after it was renamed away while a
// writer still holds it), its directory (create/rename/delete of the name) and the directory above that (a
// symlinked directory such as Bro's logs/current being re-pointed), plus a safety wake-up every pollIntervalMs.
//
// Why fs.watch and not chokidar: tried with chokidar 4 (followSymlinks on): it reports nothing for appends to the
// watched file after it was renamed away, nothing when logs/current is re-pointed to another directory, and nothing
// for appends to the file in the new directory afterwards. A tailer needs all three.

import * as fs from 'fs';
import * as path from 'path';
import { waitForWakeOrTimeout, type WatchBackend } from './watch-backend';

interface PathWatch {
  /** What the watches were set up for: the real directory and the file's inode; a change means rebuild them. */
  key: string;
  watchers: fs.FSWatcher[];
  /** An event arrived while nobody was waiting: the next wait returns at once. */
  pending: boolean;
  wakers: Set<() => void>;
}

export class InotifyWatchBackend implements WatchBackend {
  private readonly watches = new Map<string, PathWatch>();
  private closed = false;

  constructor(private readonly pollIntervalMs: number) {}

  waitForChange(file: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    const key = watchKey(file);
    let watch = this.watches.get(file);
    if (watch === undefined || watch.key !== key) {
      // New path, or the name now leads elsewhere: watch the new target and report a change right away, since
      // anything that happened before the watches existed was not seen.
      if (watch !== undefined) closeWatchers(watch);
      this.watches.set(file, this.startWatching(file, key, watch?.wakers ?? new Set()));
      return Promise.resolve();
    }
    if (watch.pending) {
      watch.pending = false;
      return Promise.resolve();
    }
    const active = watch;
    return waitForWakeOrTimeout(Math.min(timeoutMs, this.pollIntervalMs), signal, (wake) => {
      active.wakers.add(wake);
      return () => active.wakers.delete(wake);
    });
  }

  close(): void {
    this.closed = true;
    for (const watch of this.watches.values()) {
      closeWatchers(watch);
      for (const wake of [...watch.wakers]) wake();
    }
    this.watches.clear();
  }

  private startWatching(file: string, key: string, wakers: Set<() => void>): PathWatch {
    const watch: PathWatch = { key, watchers: [], pending: false, wakers };
    const notify = (): void => {
      if (watch.wakers.size === 0) watch.pending = true;
      for (const wake of [...watch.wakers]) wake();
    };
    const directory = path.dirname(file);
    const parent = path.dirname(directory);
    this.tryWatch(watch, file, undefined, notify);
    this.tryWatch(watch, directory, path.basename(file), notify);
    if (parent !== directory) this.tryWatch(watch, parent, path.basename(directory), notify);
    return watch;
  }

  /** Watches `target`; for a directory, only events naming `onlyName` count (other logs in it do not wake us). */
  private tryWatch(watch: PathWatch, target: string, onlyName: string | undefined, notify: () => void): void {
    try {
      const watcher = fs.watch(target, { persistent: false }, (_event, name) => {
        if (onlyName === undefined || name === null || name === onlyName) notify();
      });
      // A watch that fails later (target deleted) just wakes the tailer; the next wait rebuilds the watches.
      watcher.on('error', () => {
        watch.key = '';
        notify();
      });
      watch.watchers.push(watcher);
    } catch {
      // The target does not exist (yet): the directory watch or the safety wake-up will notice it appearing.
    }
  }
}

function closeWatchers(watch: PathWatch): void {
  for (const watcher of watch.watchers) watcher.close();
  watch.watchers.length = 0;
}

/** The real directory and the inode the name leads to now ('' parts when they do not exist). */
function watchKey(file: string): string {
  let realDirectory = '';
  let inode = '';
  try {
    realDirectory = fs.realpathSync(path.dirname(file));
  } catch {
    // missing directory: part of the key stays empty
  }
  try {
    const st = fs.statSync(file);
    inode = `${st.dev}:${st.ino}`;
  } catch {
    // missing file
  }
  return `${realDirectory}|${inode}`;
}
