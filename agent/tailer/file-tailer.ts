// Follows one configured path like `tail -F`, but never loses or repeats a line: reads its file by an open fd in
// bounded chunks, drains a renamed/deleted file before switching to the new one, restarts at 0 after a truncation,
// and resumes from a checkpoint after a restart. Lines leave as Buffers in batches; the next read waits for the
// consumer (back-pressure).

import * as fs from 'fs';
import type { FileHandle } from 'fs/promises';
import type { Logger } from '../../src/core/logger';
import type { FileCheckpoint } from '../state/state-store';
import type { WatchBackend } from '../watch/watch-backend';
import {
  FINGERPRINT_BYTES, headStillMatches, identityFromHead, openAndIdentify, readHead, sameInode, type FileIdentity, type OpenedFile,
} from './file-identity';
import { LineSplitter } from './line-splitter';
import { findRenamedFile } from './renamed-file-finder';

/**
 * Lines from one file. A batch with no lines announces a file just opened (endOffset = where reading starts):
 * consumers save it as a checkpoint like any other batch.
 */
export interface LineBatch {
  path: string;               // the configured path
  identity: FileIdentity;     // identity of the file these lines came from
  lines: Buffer[];            // complete lines without the trailing LF (CR kept as-is); empty lines are NOT included
  endOffset: number;          // offset just past the last LF consumed (also covers skipped empty lines)
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
  /** how long a renamed/deleted file must have been idle before we switch to the file now at the path (default 5000) */
  rotationGraceMs?: number;
  /** longest sleep between two checks of the file, whatever the watch back-end says (default 1000) */
  recheckIntervalMs?: number;
  /** bytes per read(2) (default 64 KiB) */
  readChunkBytes?: number;
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
}

/** The file we hold open. `readOffset` is how far read(2) got; the splitter knows where the last line ended. */
interface OpenFile {
  handle: FileHandle;
  identity: FileIdentity;
  readOffset: number;
  splitter: LineSplitter;
  /** When we saw that the path no longer leads to this file (renamed or deleted); undefined while it does. */
  detachedAt?: number;
  lastDataAt: number;
  /** The bytes the file is known to start with (up to FINGERPRINT_BYTES): a change means it was truncated. */
  knownHead: Buffer;
  openedFrom: string;
}

const DEFAULT_ROTATION_GRACE_MS = 5000;
const DEFAULT_RECHECK_MS = 1000;
const DEFAULT_READ_CHUNK = 64 * 1024;

export class FileTailer {
  private readonly opts: FileTailerOptions;
  private readonly log: Logger;
  private readonly graceMs: number;
  private readonly recheckMs: number;
  private readonly readBuffer: Buffer;
  private readonly headScratch = Buffer.allocUnsafe(FINGERPRINT_BYTES);
  private readonly abort = new AbortController();
  private current: OpenFile | undefined;
  /** The checkpoint still to apply to the first file we open; cleared once used. */
  private resumeFrom: FileCheckpoint | undefined;
  private firstOpenAttempt = true;
  private state: TailerState = 'waiting-for-file';
  private deliveredOffset = 0;
  private lastError: string | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Lines (and their end offsets) the splitter produced in the current read pass, waiting to be batched. */
  private readonly lineBuffer: Buffer[] = [];
  private readonly lineEnds: number[] = [];

  constructor(opts: FileTailerOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.graceMs = opts.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS;
    this.recheckMs = opts.recheckIntervalMs ?? DEFAULT_RECHECK_MS;
    this.readBuffer = Buffer.allocUnsafe(opts.readChunkBytes ?? DEFAULT_READ_CHUNK);
    this.resumeFrom = opts.start;
    if (opts.start) this.deliveredOffset = opts.start.offset;
  }

  /** Reads until stop(); calls onBatch for each batch and waits for its promise before reading more (back-pressure). */
  run(onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    if (this.running) throw new Error(`FileTailer for ${this.opts.path} is already running`);
    this.running = this.loop(onBatch).finally(() => this.closeCurrent());
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  status(): TailerStatus {
    const s: TailerStatus = { path: this.opts.path, state: this.state, offset: this.deliveredOffset };
    if (this.current) s.identity = this.current.identity;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.current && this.current.openedFrom !== this.opts.path) s.readingFrom = this.current.openedFrom;
    return s;
  }

  private async loop(onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    while (!this.stopped) {
      let file = this.current;
      if (!file) {
        file = await this.openPath();
        if (!file) {
          await this.sleep(this.recheckMs);
          continue;
        }
        // Announce the newly opened file with an empty batch, so its identity is checkpointed before any line:
        // if it is renamed away before its first line is confirmed and we restart, the checkpoint still finds it.
        await onBatch({ path: this.opts.path, identity: file.identity, lines: [], endOffset: file.readOffset });
      }
      let readSomething = false;
      try {
        await this.checkTruncation(file, onBatch);
        readSomething = await this.readToEnd(file, onBatch);
      } catch (err) {
        this.fail(`read error on ${file.openedFrom}: ${describe(err)}`);
        // Reopen later; an unchanged file resumes where the splitter stopped via the resume checkpoint.
        this.resumeFrom = { path: this.opts.path, identity: file.identity, offset: file.splitter.offset };
        await this.closeCurrent();
        await this.sleep(this.recheckMs);
        continue;
      }
      if (this.stopped) break;
      if (readSomething) continue;
      this.state = 'idle';
      const waitMs = await this.checkRotation(file, onBatch);
      if (waitMs > 0) await this.sleep(waitMs);
    }
  }

  /** Opens the file at the path (or, at start, the renamed file the checkpoint names) and decides where to start. */
  private async openPath(): Promise<OpenFile | undefined> {
    const first = this.firstOpenAttempt;
    this.firstOpenAttempt = false;
    let opened: OpenedFile;
    try {
      opened = await openAndIdentify(this.opts.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (this.state !== 'waiting-for-file' || first) this.log.info('waiting for file to appear', { path: this.opts.path });
        this.state = 'waiting-for-file';
        this.lastError = undefined;
      } else {
        this.fail(`cannot open ${this.opts.path}: ${describe(err)}`);
      }
      return undefined;
    }
    let startOffset = 0;
    let detached = false;
    const resume = this.resumeFrom;
    this.resumeFrom = undefined;
    if (resume) {
      const matches = sameInode(resume.identity, opened.identity) && (await headStillMatches(opened.handle, resume.identity));
      // The checkpoint names another file: maybe it was renamed beside the path (logrotate) while we were down.
      const renamed = matches ? undefined : await findRenamedFile(this.opts.path, resume.identity, resume.offset);
      if (renamed) {
        await opened.handle.close();
        opened = renamed.opened;
        startOffset = renamed.offset;
        detached = true;
        this.log.info('first reading a rotated file found beside the path', { path: this.opts.path, file: opened.from, offset: startOffset });
      } else if (matches && resume.offset > opened.size) {
        this.log.warn('checkpoint offset is beyond the end of the file: treating it as truncated, reading from 0', {
          path: this.opts.path, offset: resume.offset, size: opened.size,
        });
      } else if (matches) {
        startOffset = resume.offset;
      } else {
        this.log.info('checkpoint is for a different file (rotated or inode reused): reading the file at the path from 0', { path: this.opts.path });
      }
    } else if (first && this.opts.freshStartTail) {
      startOffset = await offsetAfterLastLine(opened.handle, opened.size, this.readBuffer);
    }
    if (this.state === 'error') this.log.info('file is readable again', { path: this.opts.path });
    this.lastError = undefined;
    this.state = 'reading';
    this.deliveredOffset = startOffset;
    this.current = {
      handle: opened.handle,
      identity: opened.identity,
      readOffset: startOffset,
      splitter: new LineSplitter(this.opts.maxLineBytes, startOffset),
      detachedAt: detached ? Date.now() : undefined,
      lastDataAt: Date.now(),
      knownHead: opened.head,
      openedFrom: opened.from,
    };
    return this.current;
  }

  /**
   * Copytruncate, checked while idle: the same inode got shorter than what we read, or its first bytes changed
   * (truncated, then grown past our offset before we looked). Either way read it again from 0.
   */
  private async checkTruncation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    const st = await file.handle.stat();
    let how: string | undefined;
    if (st.size < file.readOffset) how = 'size below our offset';
    else if (await this.headChanged(file)) how = 'first bytes changed';
    if (how !== undefined) await this.restartAfterTruncation(file, onBatch, how);
  }

  /**
   * Reads from readOffset to the current end of file. Returns whether any byte was read. After each read the head
   * is compared again, so a truncate-and-rewrite that happened before the read is caught before its bytes are used
   * (they are the new content seen from the old offset). Residual window: a rewrite whose first FINGERPRINT_BYTES
   * equal the old ones, or a truncation between the read and the head check whose new content at our offset is
   * byte-identical to what we just read.
   */
  private async readToEnd(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<boolean> {
    let readAny = false;
    while (!this.stopped) {
      const { bytesRead } = await file.handle.read(this.readBuffer, 0, this.readBuffer.length, file.readOffset);
      if (bytesRead === 0) break;
      readAny = true;
      this.state = 'reading';
      file.lastDataAt = Date.now();
      let truncated = false;
      if (await this.headChanged(file)) {
        truncated = true;
        // Were these bytes read before or after the truncation? Read the range again: the same bytes mean they
        // are the new content (skip them, it is read from 0 next); other bytes mean we read the old content.
        const again = Buffer.allocUnsafe(bytesRead);
        const { bytesRead: againRead } = await file.handle.read(again, 0, bytesRead, file.readOffset);
        if (againRead === bytesRead && again.equals(this.readBuffer.subarray(0, bytesRead))) {
          await this.restartAfterTruncation(file, onBatch, 'first bytes changed');
          continue;
        }
      }
      file.readOffset += bytesRead;
      file.splitter.push(this.readBuffer, bytesRead, (line, end) => {
        this.lineBuffer.push(line);
        this.lineEnds.push(end);
      });
      await this.deliverCollected(file, onBatch);
      if (truncated) await this.restartAfterTruncation(file, onBatch, 'first bytes changed');
    }
    return readAny;
  }

  /**
   * False while the file still starts with the bytes we know. While it is shorter than FINGERPRINT_BYTES and
   * growing, the known head (and so the identity that checkpoints carry) is widened to what is there now.
   */
  private async headChanged(file: OpenFile): Promise<boolean> {
    const head = await readHead(file.handle, FINGERPRINT_BYTES, this.headScratch);
    const known = file.knownHead;
    if (head.length < known.length || !head.subarray(0, known.length).equals(known)) return true;
    if (head.length > known.length) {
      file.knownHead = Buffer.from(head);
      file.identity = identityFromHead(file.identity.dev, file.identity.ino, file.knownHead);
    }
    return false;
  }

  private async restartAfterTruncation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>, how: string): Promise<void> {
    this.log.warn('file was truncated: reading it again from offset 0', { path: this.opts.path, how, offset: file.readOffset });
    // The held-back partial line was really written before the truncation: ship it rather than drop it.
    await this.flushPartial(file, onBatch);
    if (this.opts.reopenOnTruncate) {
      const reopened = await openAndIdentify(file.openedFrom).catch(() => undefined);
      if (reopened && sameInode(reopened.identity, file.identity)) {
        await file.handle.close();
        file.handle = reopened.handle;
      } else {
        await reopened?.handle.close();
      }
    }
    file.knownHead = Buffer.from(await readHead(file.handle, FINGERPRINT_BYTES, this.headScratch));
    file.identity = identityFromHead(file.identity.dev, file.identity.ino, file.knownHead);
    file.readOffset = 0;
    file.splitter.reset(0);
    this.deliveredOffset = 0;
  }

  /**
   * After reaching the end: does the path still lead to our file? If not (rename rotation, delete, a re-pointed
   * symlinked directory), keep reading the old fd until it has been idle for the grace period, then ship its
   * unfinished last line and switch. Returns how long to wait before looking again (0 = go on at once).
   */
  private async checkRotation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<number> {
    let atPath: fs.Stats | undefined;
    let pathError: string | undefined;
    try {
      atPath = await fs.promises.stat(this.opts.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') pathError = describe(err);
    }
    if (pathError !== undefined) {
      // We cannot tell what the path leads to: keep reading what we hold rather than guess and risk a re-read.
      return this.recheckMs;
    }
    if (atPath && sameInode({ dev: atPath.dev, ino: atPath.ino }, file.identity)) {
      file.detachedAt = undefined;
      return this.recheckMs;
    }
    const now = Date.now();
    if (file.detachedAt === undefined) {
      file.detachedAt = now;
      this.log.info(atPath ? 'path now leads to another file: draining the old one first' : 'file was deleted or moved: draining it',
        { path: this.opts.path, graceMs: this.graceMs });
    }
    const idleFor = now - Math.max(file.lastDataAt, file.detachedAt);
    if (idleFor < this.graceMs) return Math.min(this.recheckMs, this.graceMs - idleFor);
    await this.flushPartial(file, onBatch);
    await this.closeCurrent();
    this.state = 'waiting-for-file';
    return 0;
  }

  private async flushPartial(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    file.splitter.flush((line, end) => {
      this.lineBuffer.push(line);
      this.lineEnds.push(end);
    });
    await this.deliverCollected(file, onBatch);
  }

  /** Hands collected lines to the consumer in batches of at most maxLinesAtOnce, one batch at a time. */
  private async deliverCollected(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    const total = this.lineBuffer.length;
    const perBatch = this.opts.maxLinesAtOnce > 0 ? this.opts.maxLinesAtOnce : Math.max(total, 1);
    const lines = this.lineBuffer.splice(0, total);
    const ends = this.lineEnds.splice(0, total);
    for (let start = 0; start < total; start += perBatch) {
      const stop = Math.min(total, start + perBatch);
      // The last batch of a pass also covers empty lines skipped after its last line.
      const endOffset = stop === total ? file.splitter.offset : ends[stop - 1];
      await onBatch({ path: this.opts.path, identity: file.identity, lines: lines.slice(start, stop), endOffset });
      this.deliveredOffset = endOffset;
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

  private async closeCurrent(): Promise<void> {
    const file = this.current;
    this.current = undefined;
    if (file) await file.handle.close().catch(() => undefined);
  }
}

/** freshStartTail: start just past the last LF in the file's last chunk, so a half-written last line is not cut. */
async function offsetAfterLastLine(handle: FileHandle, size: number, scratch: Buffer): Promise<number> {
  if (size === 0) return 0;
  const start = Math.max(0, size - scratch.length);
  const { bytesRead } = await handle.read(scratch, 0, size - start, start);
  const lastLf = scratch.subarray(0, bytesRead).lastIndexOf(0x0a);
  if (lastLf !== -1) return start + lastLf + 1;
  return start === 0 ? 0 : size;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e && e.code ? `${e.code}: ${e.message}` : String(err);
}
