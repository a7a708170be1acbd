// Follows one configured path like `tail -F`, but never loses or repeats a line: chooses which generation of the
// path to read (the file at the path, a renamed one still being drained, the ones that followed it while we were
// down), resumes from a checkpoint after a restart, and hands lines on in batches; the next read waits for the
// consumer (back-pressure). Reading one open file is FileWatcher's job (file-watcher.ts).
//
// Order across generations: a renamed or deleted file is read to its end, and until it has been quiet for
// rotationGraceMs by its own clock (mtime, ctime), before the next generation; so each checkpoint names one file and
// resumes it exactly. After that the old file is still watched for late writes (lateWriteWatchMs): those lines are
// shipped when seen, after lines of the newer file.

import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from '../../src/core/logger';
import type { FileCheckpoint } from '../state/state-store';
import type { WatchBackend } from '../watch/watch-backend';
import { FINGERPRINT_BYTES, headStillMatches, keepEarlierBirth, openAndIdentify, sameInode, type FileIdentity, type OpenedFile } from './file-identity';
import { FileWatcher, RECHECK_WHILE_READING_MS, type Deliver } from './file-watcher';
import { LateWriteWatch } from './late-write-watch';
import type { ReadPermits } from './read-gate';
import { isLineStart, offsetAfterLastLine } from './line-start';
import { findLaterGenerations, findRenamedFile } from './renamed-file-finder';

/**
 * Lines from one file, and the checkpoint that holds once they (and every batch before) are confirmed. A batch with
 * no lines announces a file just opened (endOffset = where reading starts): consumers save it like any other batch.
 */
export interface LineBatch {
  path: string;               // the configured path
  /** checkpoint: the file a restart resumes (the one being read; see `source` for the lines' own file) */
  identity: FileIdentity;
  lines: Buffer[];            // complete lines without the trailing LF (CR kept as-is); empty lines are NOT included
  /** checkpoint: offset in `identity` just past the last LF consumed (also covers skipped empty lines) */
  endOffset: number;
  /**
   * The file these lines came from: `identity`, except for lines written late to a rotated file already drained,
   * which carry the checkpoint of the file being read.
   */
  source: FileIdentity;
}

export interface FileTailerOptions {
  path: string;
  start?: FileCheckpoint;
  freshStartTail: boolean;
  /** true: after a truncation, reopen the path; false: rewind the open fd. Both read the truncated file from 0. */
  reopenOnTruncate: boolean;
  /** lines longer than this are cut into pieces of maxLineBytes (the last piece holds the rest); memory stays bounded */
  maxLineBytes: number;
  /** 0 = no limit; otherwise at most N lines per batch */
  maxLinesAtOnce: number;
  watch: WatchBackend;
  logger: Logger;
  /**
   * How long a renamed/deleted file must have been quiet, by its own mtime and ctime, before the next generation is
   * read (default 500): the most the file at the path waits behind its predecessor once that is written.
   */
  rotationGraceMs?: number;
  /** After that, how long a drained rotated file is still watched for late writes (default 5000; quiet time too). */
  lateWriteWatchMs?: number;
  /** longest sleep between two checks of the file, whatever the watch back-end says (default 1000) */
  recheckIntervalMs?: number;
  /** bytes per read(2) (default 64 KiB; with readGate, the gate's) */
  readChunkBytes?: number;
  /** Shared by the agent's tailers: read buffers lent per read, and how many reads may hold lines at once. */
  readGate?: ReadPermits;
  /** the clock quiet times are measured with (tests); default Date.now */
  now?: () => number;
}

export type TailerState = 'waiting-for-file' | 'reading' | 'idle' | 'error';

export interface TailerStatus {
  path: string;
  state: TailerState;
  identity?: FileIdentity;
  /** end offset of the last batch the consumer accepted */
  offset: number;
  lastError?: string;
  /** the path of the file being read when it is not the configured path (a renamed file found at start) */
  readingFrom?: string;
  /** files that followed the one being read at the path, held open and read next, oldest first (absent when none) */
  pending?: FileIdentity[];
  /** drained rotated files still watched for late writes (absent when none) */
  lateWatched?: FileIdentity[];
}

const DEFAULT_ROTATION_GRACE_MS = 500;
const DEFAULT_LATE_WRITE_WATCH_MS = 5000;
const DEFAULT_RECHECK_MS = 1000;
const DEFAULT_READ_CHUNK = 64 * 1024;
/**
 * How many files that followed the current one at the path we hold open at most (and, apart, how many drained ones
 * we watch for late writes). Each is a rotation that happened while an older file was still being drained; 16 is
 * far beyond any real rotation burst, and bounds the fds held.
 */
export const MAX_PENDING_FILES = 16;
/** At a fresh start, files born this long before it still count as new (see the constructor). */
const FRESH_START_BIRTH_MARGIN_MS = 1000;

export class FileTailer {
  private readonly opts: FileTailerOptions;
  private readonly log: Logger;
  private readonly graceMs: number;
  private readonly recheckMs: number;
  private readonly now: () => number;
  /** This tailer's own read buffer, when it has no gate to borrow one from. */
  private readonly readBuffer: Buffer | undefined;
  private readonly headScratch = Buffer.allocUnsafe(FINGERPRINT_BYTES);
  private readonly abort = new AbortController();
  private current: FileWatcher | undefined;
  /** Files found at the path after `current`, oldest first: read in this order once `current` is finished. */
  private readonly pending: FileWatcher[] = [];
  /** Drained rotated files, still read when they grow (a writer that had not reopened yet). */
  private readonly lateWrites: LateWriteWatch;
  private pendingFullWarned = false;
  /**
   * Birth time (ns) of the newest file taken so far (read, held or finished): a generation born after it that was
   * renamed away before we ever saw it at the path (created and rotated within a moment) is found by a directory scan.
   */
  private newestBornNs: bigint | undefined;
  /** The last files finished (closed after draining), so a scan does not take them again. */
  private readonly finished: FileIdentity[] = [];
  /** No checkpoint was given: the first look at the directory sets aside what is already there. */
  private freshStart: boolean;
  /** The directory's mtime at the last scan: entries are only looked at again once something in it changed. */
  private scannedDirMtimeNs = -1n;
  private pathCheckedAt = 0;
  /** The checkpoint still to apply to the next file we open; cleared once used. */
  private resumeFrom: FileCheckpoint | undefined;
  private firstOpenAttempt = true;
  private state: TailerState = 'waiting-for-file';
  /** The checkpoint of the last batch accepted: the file being read (or last read) and its offset. */
  private delivered: { identity?: FileIdentity; offset: number };
  private lastError: string | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(opts: FileTailerOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.graceMs = opts.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS;
    this.recheckMs = opts.recheckIntervalMs ?? DEFAULT_RECHECK_MS;
    this.now = opts.now ?? Date.now;
    this.lateWrites = new LateWriteWatch({
      path: opts.path, watchMs: opts.lateWriteWatchMs ?? DEFAULT_LATE_WRITE_WATCH_MS, maxFiles: MAX_PENDING_FILES, now: this.now,
      logger: this.log, stopped: () => this.stopped, finish: (file) => this.finish(file),
    });
    this.readBuffer = opts.readGate ? undefined : Buffer.allocUnsafe(opts.readChunkBytes ?? DEFAULT_READ_CHUNK);
    this.resumeFrom = opts.start;
    this.delivered = { offset: opts.start?.offset ?? 0 };
    // A fresh start (no checkpoint) takes files born from now on, including ones renamed away before we saw them at
    // the path. The reference lies a second back for the filesystem clock, which runs a few ms behind; generations
    // already beside the path at the start are set aside (skipGenerationsPresentAtStart).
    if (!opts.start) this.newestBornNs = BigInt(Date.now() - FRESH_START_BIRTH_MARGIN_MS) * 1_000_000n;
    this.freshStart = opts.start === undefined;
  }

  /** At a fresh start: the generations already beside the path that the reference birth time would let in. */
  private async skipGenerationsPresentAtStart(): Promise<void> {
    if (this.newestBornNs === undefined) return;
    for (const present of await findLaterGenerations(this.opts.path, this.newestBornNs, undefined, () => false)) {
      this.finished.push(present.identity);
      await present.handle.close();
    }
  }

  /** Reads until stop(); calls onBatch for each batch and waits for its promise before reading more (back-pressure). */
  run(onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    if (this.running) throw new Error(`FileTailer for ${this.opts.path} is already running`);
    this.running = this.loop(onBatch).finally(() => this.closeAll());
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  status(): TailerStatus {
    const s: TailerStatus = { path: this.opts.path, state: this.state, offset: this.delivered.offset };
    if (this.current) s.identity = this.current.identity;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.current && this.current.openedFrom !== this.opts.path) s.readingFrom = this.current.openedFrom;
    if (this.pending.length > 0) s.pending = this.pending.map((f) => f.identity);
    const lateWatched = this.lateWrites.identities();
    if (lateWatched.length > 0) s.lateWatched = lateWatched;
    return s;
  }

  private async loop(onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    const deliver: Deliver = (watcher) => this.deliverCollected(watcher, onBatch);
    while (!this.stopped) {
      let file = this.current;
      if (!file) {
        file = await this.openNext();
        if (!file) {
          await this.lateWrites.readLateWrites(deliver, true);
          await this.sleep(this.recheckMs);
          continue;
        }
        await this.startReading(file, onBatch);
      }
      let readSomething = false;
      try {
        await file.checkTruncation(deliver);
        readSomething = (await file.readToEnd(deliver, () => this.stopped, () => this.lookAtPathNowAndThen())) > 0;
      } catch (err) {
        this.fail(`read error on ${file.openedFrom}: ${describe(err)}`);
        // Reopen later; an unchanged file resumes where the splitter stopped via the resume checkpoint.
        this.resumeFrom = { path: this.opts.path, identity: file.identity, offset: file.splitter.offset };
        await this.closeCurrent();
        await this.sleep(this.recheckMs);
        continue;
      }
      if (this.stopped) break;
      await this.lateWrites.readLateWrites(deliver, !readSomething);
      if (readSomething) {
        this.state = 'reading';
        continue;
      }
      this.state = 'idle';
      const waitMs = await this.checkRotation(file, deliver, onBatch);
      if (waitMs > 0) await this.sleep(waitMs);
    }
  }

  /**
   * Announces `file` with an empty batch, so its identity is checkpointed before any line: if it is renamed away
   * before its first line is confirmed and we restart, the checkpoint still finds it.
   */
  private async startReading(file: FileWatcher, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    this.current = file;
    this.state = 'reading';
    this.delivered = { identity: file.identity, offset: file.readOffset };
    await onBatch({ path: this.opts.path, identity: file.identity, lines: [], endOffset: file.readOffset, source: file.identity });
  }

  /**
   * The next file to read: with a checkpoint to apply (start, or after a read error) the checkpoint's file wherever
   * it is now; otherwise the oldest pending file; otherwise the file at the path.
   */
  private async openNext(): Promise<FileWatcher | undefined> {
    const first = this.firstOpenAttempt;
    this.firstOpenAttempt = false;
    if (this.freshStart) {
      this.freshStart = false;
      await this.skipGenerationsPresentAtStart();
    }
    let atPath: OpenedFile | undefined;
    let openError: NodeJS.ErrnoException | undefined;
    try {
      atPath = await openAndIdentify(this.opts.path);
    } catch (err) {
      openError = err as NodeJS.ErrnoException;
    }
    const missing = openError?.code === 'ENOENT' || openError?.code === 'ENOTDIR';
    const resume = this.resumeFrom;
    // A path we cannot open for another reason (EACCES) may be our file: keep the checkpoint until we can look.
    if (resume && (atPath || missing)) {
      const resumed = await this.openCheckpointFile(resume, atPath);
      if (resumed) return this.opened(resumed);
      // Neither at the path nor beside it. With no file at the path either, keep the checkpoint until one appears.
      if (atPath || this.pending.length > 0) this.resumeFrom = undefined;
      if (atPath) this.log.info('checkpoint is for a different file (rotated or inode reused): reading the file at the path from 0', { path: this.opts.path });
    }
    if (this.pending.length === 0) await this.takeMissedGenerations(atPath);
    if (this.pending.length > 0) {
      if (atPath) await this.holdOrClose(atPath);
      return this.opened(this.pending.shift()!);
    }
    if (!atPath) {
      if (missing) {
        if (this.state !== 'waiting-for-file' || first) this.log.info('waiting for file to appear', { path: this.opts.path });
        this.state = 'waiting-for-file';
        this.lastError = undefined;
      } else {
        this.fail(`cannot open ${this.opts.path}: ${describe(openError)}`);
      }
      return undefined;
    }
    const startOffset = first && !resume && this.opts.freshStartTail ? await offsetAfterLastLine(atPath.handle, atPath.size, this.readBuffer ?? Buffer.allocUnsafe(this.chunkBytes())) : 0;
    return this.opened(this.toWatcher(atPath, startOffset));
  }

  private opened(file: FileWatcher): FileWatcher {
    if (this.state === 'error') this.log.info('file is readable again', { path: this.opts.path });
    this.lastError = undefined;
    this.pendingFullWarned = this.pendingFullWarned && this.pending.length >= MAX_PENDING_FILES;
    return file;
  }

  /**
   * Where the checkpoint's file is now: still at the path (resume at its offset), or renamed beside it (resume
   * there, and queue the generations that followed it and the file at the path). When it is gone, the generations
   * that followed it (see openSuccessorsOfGoneFile). Undefined when none of these is there.
   * Takes over `atPath` when it returns a file (reads it, queues it or closes it).
   */
  private async openCheckpointFile(resume: FileCheckpoint, atPath: OpenedFile | undefined): Promise<FileWatcher | undefined> {
    if (atPath && sameInode(resume.identity, atPath.identity) && (await headStillMatches(atPath.handle, resume.identity))) {
      this.resumeFrom = undefined;
      atPath.identity = keepEarlierBirth(atPath.identity, resume.identity);
      if (resume.offset <= atPath.size) return this.resumeAt(atPath, resume.offset);
      this.log.warn('checkpoint offset is beyond the end of the file: treating it as truncated, reading from 0', {
        path: this.opts.path, offset: resume.offset, size: atPath.size,
      });
      return this.toWatcher(atPath, 0);
    }
    // The checkpoint names another file: maybe it was renamed beside the path (logrotate) while we were down.
    const renamed = await findRenamedFile(this.opts.path, resume.identity, resume.offset);
    if (!renamed) return this.openSuccessorsOfGoneFile(resume, atPath);
    this.resumeFrom = undefined;
    this.log.info('first reading a rotated file found beside the path', { path: this.opts.path, file: renamed.opened.from, offset: renamed.offset });
    renamed.opened.identity = keepEarlierBirth(renamed.opened.identity, resume.identity);
    const file = await this.resumeAt(renamed.opened, renamed.offset);
    file.detached = true;
    // Files held from before a read error already are the record of what followed; a fresh start has none.
    if (this.pending.length === 0) {
      const bornSince = BigInt(file.identity.bornNs ?? '0');
      const later = await findLaterGenerations(this.opts.path, bornSince, atPath?.handle, (f) => sameInode(f, file.identity) || this.holds(f));
      for (const generation of later) {
        this.log.info('a later rotated file found beside the path is read next', { path: this.opts.path, file: generation.from });
        await this.holdOrClose(generation, true);
      }
    }
    if (atPath) await this.holdOrClose(atPath);
    return file;
  }

  /**
   * The checkpoint's file is gone: deleted while we were draining it (we held it by its fd, which the restart or
   * read error closed) or deleted and rotated past while we were down. Whatever of it was not confirmed before is
   * lost with it: an unlinked file's bytes cannot be reached once no fd is open on it, by us or anyone. What this
   * recovers are the files that were at the path after it and were rotated away beside it before we got to them
   * (with the tailer down, or queued behind the deleted file when it stopped): generations of the path born since
   * the checkpoint's file, in birth order, then the file at the path. Needs the birth time the checkpoint records;
   * checkpoints written before it existed cannot be searched from, and the file at the path is read from 0 as before.
   */
  private async openSuccessorsOfGoneFile(resume: FileCheckpoint, atPath: OpenedFile | undefined): Promise<FileWatcher | undefined> {
    // Files held from before a read error already are the record of what followed; a fresh start has none.
    if (resume.identity.bornNs === undefined || this.pending.length > 0) return undefined;
    const later = await findLaterGenerations(this.opts.path, BigInt(resume.identity.bornNs), atPath?.handle, (f) => this.holds(f));
    const first = later.shift();
    if (!first) return undefined;
    this.resumeFrom = undefined;
    this.log.warn('the checkpoint\'s file is gone (deleted): lines of it not confirmed before cannot be read; reading the rotated files that followed it, then the path', {
      path: this.opts.path, offset: resume.offset, first: first.from, files: later.length + 1,
    });
    const file = this.toWatcher(first, 0);
    file.detached = true;
    for (const generation of later) {
      this.log.info('a later rotated file found beside the path is read next', { path: this.opts.path, file: generation.from });
      await this.holdOrClose(generation, true);
    }
    if (atPath) await this.holdOrClose(atPath);
    return file;
  }

  /**
   * Generations of the path born after the newest file taken so far and (when there is one) not after the file now at
   * the path, which were renamed away before we saw them at the path: held, oldest first, to be read before it.
   * Looks only when the directory changed since the last look (its mtime). At a fresh start the reference is the
   * start time (older generations are not ours to ship). Residual: two such files born within one tick of the
   * filesystem clock are read in inode order.
   */
  private async takeMissedGenerations(atPath: OpenedFile | undefined): Promise<void> {
    if (this.newestBornNs === undefined) return;
    const dirStat = await fs.promises.stat(path.dirname(this.opts.path), { bigint: true }).catch(() => undefined);
    if (!dirStat || dirStat.mtimeNs === this.scannedDirMtimeNs) return;
    this.scannedDirMtimeNs = dirStat.mtimeNs;
    const missed = await findLaterGenerations(this.opts.path, this.newestBornNs, atPath?.handle,
      (f) => this.holds(f) || this.finished.some((d) => sameInode(d, f) && (d.bornNs === undefined || d.bornNs === f.bornNs)) ||
        (atPath !== undefined && sameInode(atPath.identity, f)));
    for (const generation of missed) {
      this.log.info('a file rotated away before it was seen at the path is read in its turn', { path: this.opts.path, file: generation.from });
      await this.holdOrClose(generation, true);
    }
  }

  private toWatcher(opened: OpenedFile, startOffset: number): FileWatcher {
    const born = opened.identity.bornNs === undefined ? undefined : BigInt(opened.identity.bornNs);
    if (born !== undefined && (this.newestBornNs === undefined || born > this.newestBornNs)) this.newestBornNs = born;
    return new FileWatcher(opened, startOffset, {
      path: this.opts.path, maxLineBytes: this.opts.maxLineBytes, reopenOnTruncate: this.opts.reopenOnTruncate,
      logger: this.log, headScratch: this.headScratch,
      reads: this.readBuffer ? { buffer: this.readBuffer } : { gate: this.opts.readGate!, signal: this.abort.signal },
    });
  }

  /**
   * A watcher that resumes `opened` at a checkpoint's offset. An offset inside a line (a damaged or hand-edited
   * state file; the tailer itself only records line starts) would ship the line's tail as a line: the rest of that
   * line is skipped instead, with a warning naming the file and the offset.
   */
  private async resumeAt(opened: OpenedFile, offset: number): Promise<FileWatcher> {
    const file = this.toWatcher(opened, offset);
    if (!(await isLineStart(opened.handle, offset, opened.size, this.opts.maxLineBytes))) {
      this.log.warn('checkpoint offset is inside a line, not at its start: skipping to the start of the next line', {
        path: this.opts.path, file: opened.from, offset,
      });
      file.splitter.discardUntilNewline();
    }
    return file;
  }

  /** Queues `opened` to be read after the files before it, unless we already hold it or the queue is full. */
  private async holdOrClose(opened: OpenedFile, detached = false): Promise<void> {
    if (this.holds(opened.identity)) {
      await opened.handle.close();
      return;
    }
    if (this.pending.length >= MAX_PENDING_FILES) {
      if (!this.pendingFullWarned) {
        this.log.warn(`${MAX_PENDING_FILES} rotated files are already waiting to be read: not opening another one until one is done; lines of files rotated away meanwhile may be lost`,
          { path: this.opts.path, file: opened.from });
      }
      this.pendingFullWarned = true;
      await opened.handle.close();
      return;
    }
    const file = this.toWatcher(opened, 0);
    file.detached = detached;
    this.pending.push(file);
  }

  private chunkBytes(): number {
    return this.opts.readGate?.chunkBytes ?? this.opts.readChunkBytes ?? DEFAULT_READ_CHUNK;
  }

  /** The current file (if any) and the pending ones, oldest first. */
  private heldFiles(): FileWatcher[] {
    return this.current ? [this.current, ...this.pending] : this.pending;
  }

  private holds(inode: { dev: number; ino: number }): boolean {
    return this.heldFiles().some((f) => sameInode(f.identity, inode)) || this.lateWrites.holds(inode);
  }

  private async lookAtPathNowAndThen(): Promise<void> {
    // A long drain must not miss files that come and go at the path meanwhile: look now and then.
    if (Date.now() - this.pathCheckedAt >= RECHECK_WHILE_READING_MS) await this.lookAtPath();
  }

  /**
   * Notices what the path leads to now. A file we do not hold yet is opened at once and queued (so it is read
   * even if it is rotated away before we finish the files before it); every file before the one at the path is
   * marked detached. Returns false when the path cannot be examined (not ENOENT): keep reading what we hold.
   */
  private async lookAtPath(): Promise<boolean> {
    this.pathCheckedAt = Date.now();
    let atPath: fs.Stats | undefined;
    try {
      atPath = await fs.promises.stat(this.opts.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return false;
    }
    let atPathIndex = atPath ? this.heldFiles().findIndex((f) => sameInode(f.identity, { dev: atPath!.dev, ino: atPath!.ino })) : -1;
    if (atPath && atPathIndex === -1 && atPath.isFile()) {
      const opened = await openAndIdentify(this.opts.path).catch(() => undefined);
      if (opened) {
        // Files that were at the path between the newest we hold and this one, and are gone from it, come first.
        await this.takeMissedGenerations(opened);
        await this.holdOrClose(opened);
        // What we opened may differ from what stat saw (renamed in between): trust the fd.
        atPathIndex = this.heldFiles().findIndex((f) => sameInode(f.identity, opened.identity));
      }
    } else if (!atPath) {
      await this.takeMissedGenerations(undefined);
    }
    const held = this.heldFiles();
    for (let i = 0; i < held.length; i++) {
      const file = held[i];
      if (i === atPathIndex) {
        file.detached = false;
      } else if (!file.detached && (atPathIndex === -1 || i < atPathIndex)) {
        file.detached = true;
        if (file === this.current) {
          this.log.info(atPath ? 'path now leads to another file: draining the old one first' : 'file was deleted or moved: draining it',
            { path: this.opts.path, graceMs: this.graceMs, pendingFiles: this.pending.length });
        }
      }
    }
    return true;
  }

  /**
   * After reaching the end: does the path still lead to our file? If not (rename rotation, delete, a re-pointed
   * symlinked directory), keep reading the old fd until the file itself has been quiet for the grace period (by its
   * mtime and ctime: a rename sets the ctime; not since we noticed the rename, which a restart would reset and so
   * hold the next file back for a whole grace period after each start), then ship its unfinished last line, watch it
   * for late writes, and go on to the next held file (or the path). Returns how long to wait before looking again
   * (0 = go on at once).
   */
  private async checkRotation(file: FileWatcher, deliver: Deliver, onBatch: (batch: LineBatch) => Promise<void>): Promise<number> {
    // We cannot tell what the path leads to: keep reading what we hold rather than guess and risk a re-read.
    if (!(await this.lookAtPath())) return this.recheckMs;
    if (!file.detached) return this.recheckMs;
    const quietFor = this.now() - (await file.quietSinceMs());
    if (quietFor < this.graceMs) return Math.max(1, Math.min(this.recheckMs, this.graceMs - quietFor));
    await file.flushPartial(deliver);
    this.current = undefined;
    await this.lateWrites.add(file, quietFor);
    const next = this.pending.shift();
    if (next) {
      this.pendingFullWarned = this.pendingFullWarned && this.pending.length >= MAX_PENDING_FILES;
      await this.startReading(next, onBatch);
    } else {
      this.state = 'waiting-for-file';
    }
    return 0;
  }

  /**
   * Hands collected lines to the consumer in batches of at most maxLinesAtOnce, one batch at a time. The checkpoint
   * is the file being read; lines of a late-watched file carry it too (their own file is not resumed after a restart).
   */
  private async deliverCollected(file: FileWatcher, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    const total = file.collected.lines.length;
    const perBatch = this.opts.maxLinesAtOnce > 0 ? this.opts.maxLinesAtOnce : Math.max(total, 1);
    const lines = file.collected.lines.splice(0, total);
    const ends = file.collected.ends.splice(0, total);
    const own = this.current === undefined || this.current === file;
    for (let start = 0; start < total; start += perBatch) {
      const stop = Math.min(total, start + perBatch);
      // The last batch of a pass also covers empty lines skipped after its last line.
      const endOffset = stop === total ? file.splitter.offset : ends[stop - 1];
      const checkpoint = own ? { identity: file.identity, offset: endOffset } : { identity: this.current!.identity, offset: this.current!.deliveredOffset };
      await onBatch({ path: this.opts.path, identity: checkpoint.identity, lines: lines.slice(start, stop), endOffset: checkpoint.offset, source: file.identity });
      file.deliveredOffset = endOffset;
      this.delivered = checkpoint;
    }
  }

  private fail(message: string): void {
    if (message !== this.lastError) this.log.error(message, { path: this.opts.path });
    this.lastError = message;
    this.state = 'error';
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.opts.watch.waitForChange(this.opts.path, ms, this.abort.signal);
  }

  private async finish(file: FileWatcher): Promise<void> {
    this.finished.push(file.identity);
    if (this.finished.length > 4 * MAX_PENDING_FILES) this.finished.shift();
    await file.close();
  }

  private async closeCurrent(): Promise<void> {
    const file = this.current;
    this.current = undefined;
    if (file) await this.finish(file);
  }

  private async closeAll(): Promise<void> {
    await this.closeCurrent();
    const held = this.pending.splice(0, this.pending.length);
    await Promise.all([...held.map((f) => f.close()), this.lateWrites.closeAll()]);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e && e.code ? `${e.code}: ${e.message}` : String(err);
}
