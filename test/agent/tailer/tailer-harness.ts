// Test scaffolding for the tailer tests: temp directories, a running tailer that records what it delivered, and
// bounded waiting. Not a test file itself.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLogger, MemorySink, type Logger } from '../../../src/core/logger';
import { FileTailer, type FileTailerOptions, type LineBatch } from '../../../agent/tailer/file-tailer';
import { createWatchBackend, type WatchBackend } from '../../../agent/watch/watch-backend';

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nsm-${label}-`));
}

/** Polls `condition` every 10 ms for at most `limitMs`; throws with `what` if it never held. */
export async function waitUntil(what: string, condition: () => boolean, limitMs = 10000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RunningTailer {
  tailer: FileTailer;
  batches: LineBatch[];
  /** Every delivered line as a latin1 string (byte-exact) in order. */
  lines(): string[];
  logs: MemorySink;
  watch: WatchBackend;
  stop(): Promise<void>;
}

export type TailerTestOptions = Partial<FileTailerOptions> & { path: string; watchMode?: 'inotify' | 'polling' };

export function startTailer(options: TailerTestOptions, onBatch?: (batch: LineBatch) => Promise<void>): RunningTailer {
  const logs = new MemorySink();
  const logger: Logger = createLogger('tailer-test', logs, 'debug');
  const watch = options.watch ?? createWatchBackend(options.watchMode ?? 'inotify', 20);
  const tailer = new FileTailer({
    freshStartTail: false,
    reopenOnTruncate: true,
    maxLineBytes: 8192,
    maxLinesAtOnce: 0,
    rotationGraceMs: 100,
    recheckIntervalMs: 50,
    logger,
    ...options,
    watch,
  });
  const batches: LineBatch[] = [];
  const done = tailer.run(async (batch) => {
    batches.push(batch);
    if (onBatch) await onBatch(batch);
  });
  return {
    tailer,
    batches,
    logs,
    watch,
    lines: () => batches.flatMap((b) => b.lines.map((l) => l.toString('latin1'))),
    stop: async () => {
      await tailer.stop();
      await done;
      watch.close();
    },
  };
}
