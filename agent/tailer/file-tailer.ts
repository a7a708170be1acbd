// Follows one configured path like `tail -F`, but never loses or repeats a line: reads its file by an open fd in
// bounded chunks, opens each new file that appears at the path at once and reads the files in the order they were
// there (each renamed/deleted one drained first), restarts at 0 after a truncation, and resumes from a checkpoint
// after a restart. Lines leave as Buffers in batches; the next read waits for the consumer (back-pressure).

import * as fs from 'fs';
import type { FileHandle } from 'fs/promises';
import * as path from 'path';
import type { Logger } from '../../src/core/logger';
import type { FileCheckpoint } from '../state/state-store';
import type { WatchBackend } from '../watch/watch-backend';
import {
  FINGERPRINT_BYTES, headStillMatches, identityFromHead, keepEarlierBirth, openAndIdentify, readHead, sameInode, type FileIdentity, type OpenedFile,
} from './file-identity';
import { LineSplitter } from './line-splitter';
import { findLaterGenerations, findRenamedFile } from './renamed-file-finder';

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
  /** how long a renamed/deleted file must have been idle before we go on to the next one (default 5000) */
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
  /** files that followed the one being read at the path, held open and read next, oldest first (absent when none) */
  pending?: FileIdentity[];
}

/** A file we hold open. `readOffset` is how far read(2) got; the splitter knows where the last line ended. */
interface OpenFile {
  handle: FileHandle;
  identity: FileIdentity;
  readOffset: number;
  splitter: LineSplitter;
  /** When we saw that the path no longer leads to this file (renamed or deleted); undefined while it does. */
  detachedAt?: number;
  /** The bytes the file is known to start with (up to FINGERPRINT_BYTES): a change means it was truncated. */
  knownHead: Buffer;
  /** When knownHead was last compared with the file (Date.now()). */
  headCheckedAt: number;
  openedFrom: string;
}

const DEFAULT_ROTATION_GRACE_MS = 5000;
const DEFAULT_RECHECK_MS = 1000;
const DEFAULT_READ_CHUNK = 64 * 1024;
/**
 * How many files that followed the current one at the path we hold open at most. Each is a rotation that happened
 * while an older file was still being drained; 16 is far beyond any real rotation burst, and bounds the fds held.
 */
export const MAX_PENDING_FILES = 16;
/** At a fresh start, files born this long before it still count as new (see the constructor). */
const FRESH_START_BIRTH_MARGIN_MS = 1000;
/** While reading without a pause: compare the head at least this often, and look at what the path leads to. */
const RECHECK_WHILE_READING_MS = 250;

export class FileTailer {
  private readonly opts: FileTailerOptions;
  private readonly log: Logger;
  private readonly graceMs: number;
  private readonly recheckMs: number;
  private readonly readBuffer: Buffer;
  private readonly headScratch = Buffer.allocUnsafe(FINGERPRINT_BYTES);
  private readonly abort = new AbortController();
  private current: OpenFile | undefined;
  /** Files found at the path after `current`, oldest first: read in this order once `current` is finished. */
  private readonly pending: OpenFile[] = [];
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
    // A fresh start (no checkpoint) takes files born from now on, including ones renamed away before we saw them at
    // the path. The reference lies a second back for the filesystem clock, which runs a few ms behind; generations
    // already beside the path at the start are set aside (skipGenerationsPresentAtStart).
    else this.newestBornNs = BigInt(Date.now() - FRESH_START_BIRTH_MARGIN_MS) * 1_000_000n;
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
    const s: TailerStatus = { path: this.opts.path, state: this.state, offset: this.deliveredOffset };
    if (this.current) s.identity = this.current.identity;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (this.current && this.current.openedFrom !== this.opts.path) s.readingFrom = this.current.openedFrom;
    if (this.pending.length > 0) s.pending = this.pending.map((f) => f.identity);
    return s;
  }

  private async loop(onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    while (!this.stopped) {
      let file = this.current;
      if (!file) {
        file = await this.openNext();
        if (!file) {
          await this.sleep(this.recheckMs);
          continue;
        }
        await this.startReading(file, onBatch);
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

  /**
   * Announces `file` with an empty batch, so its identity is checkpointed before any line: if it is renamed away
   * before its first line is confirmed and we restart, the checkpoint still finds it.
   */
  private async startReading(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    this.current = file;
    this.state = 'reading';
    this.deliveredOffset = file.readOffset;
    await onBatch({ path: this.opts.path, identity: file.identity, lines: [], endOffset: file.readOffset });
  }

  /**
   * The next file to read: with a checkpoint to apply (start, or after a read error) the checkpoint's file wherever
   * it is now; otherwise the oldest pending file; otherwise the file at the path.
   */
  private async openNext(): Promise<OpenFile | undefined> {
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
    const startOffset = first && !resume && this.opts.freshStartTail ? await offsetAfterLastLine(atPath.handle, atPath.size, this.readBuffer) : 0;
    return this.opened(this.toOpenFile(atPath, startOffset));
  }

  private opened(file: OpenFile): OpenFile {
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
  private async openCheckpointFile(resume: FileCheckpoint, atPath: OpenedFile | undefined): Promise<OpenFile | undefined> {
    if (atPath && sameInode(resume.identity, atPath.identity) && (await headStillMatches(atPath.handle, resume.identity))) {
      this.resumeFrom = undefined;
      atPath.identity = keepEarlierBirth(atPath.identity, resume.identity);
      if (resume.offset <= atPath.size) return this.toOpenFile(atPath, resume.offset);
      this.log.warn('checkpoint offset is beyond the end of the file: treating it as truncated, reading from 0', {
        path: this.opts.path, offset: resume.offset, size: atPath.size,
      });
      return this.toOpenFile(atPath, 0);
    }
    // The checkpoint names another file: maybe it was renamed beside the path (logrotate) while we were down.
    const renamed = await findRenamedFile(this.opts.path, resume.identity, resume.offset);
    if (!renamed) return this.openSuccessorsOfGoneFile(resume, atPath);
    this.resumeFrom = undefined;
    this.log.info('first reading a rotated file found beside the path', { path: this.opts.path, file: renamed.opened.from, offset: renamed.offset });
    renamed.opened.identity = keepEarlierBirth(renamed.opened.identity, resume.identity);
    const file = this.toOpenFile(renamed.opened, renamed.offset);
    file.detachedAt = Date.now();
    // Files held from before a read error already are the record of what followed; a fresh start has none.
    if (this.pending.length === 0) {
      const bornSince = BigInt(file.identity.bornNs ?? '0');
      const later = await findLaterGenerations(this.opts.path, bornSince, atPath?.handle, (f) => sameInode(f, file.identity) || this.holds(f));
      for (const generation of later) {
        this.log.info('a later rotated file found beside the path is read next', { path: this.opts.path, file: generation.from });
        await this.holdOrClose(generation, Date.now());
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
  private async openSuccessorsOfGoneFile(resume: FileCheckpoint, atPath: OpenedFile | undefined): Promise<OpenFile | undefined> {
    // Files held from before a read error already are the record of what followed; a fresh start has none.
    if (resume.identity.bornNs === undefined || this.pending.length > 0) return undefined;
    const later = await findLaterGenerations(this.opts.path, BigInt(resume.identity.bornNs), atPath?.handle, (f) => this.holds(f));
    const first = later.shift();
    if (!first) return undefined;
    this.resumeFrom = undefined;
    this.log.warn('the checkpoint\'s file is gone (deleted): lines of it not confirmed before cannot be read; reading the rotated files that followed it, then the path', {
      path: this.opts.path, offset: resume.offset, first: first.from, files: later.length + 1,
    });
    const file = this.toOpenFile(first, 0);
    file.detachedAt = Date.now();
    for (const generation of later) {
      this.log.info('a later rotated file found beside the path is read next', { path: this.opts.path, file: generation.from });
      await this.holdOrClose(generation, Date.now());
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
      await this.holdOrClose(generation, Date.now());
    }
  }

  private toOpenFile(opened: OpenedFile, startOffset: number): OpenFile {
    const born = opened.identity.bornNs === undefined ? undefined : BigInt(opened.identity.bornNs);
    if (born !== undefined && (this.newestBornNs === undefined || born > this.newestBornNs)) this.newestBornNs = born;
    const now = Date.now();
    return {
      handle: opened.handle,
      identity: opened.identity,
      readOffset: startOffset,
      splitter: new LineSplitter(this.opts.maxLineBytes, startOffset),
      detachedAt: undefined,
      knownHead: opened.head,
      headCheckedAt: now,
      openedFrom: opened.from,
    };
  }

  /** Queues `opened` to be read after the files before it, unless we already hold it or the queue is full. */
  private async holdOrClose(opened: OpenedFile, detachedAt?: number): Promise<void> {
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
    const file = this.toOpenFile(opened, 0);
    file.detachedAt = detachedAt;
    this.pending.push(file);
  }

  /** The current file (if any) and the pending ones, oldest first. */
  private heldFiles(): OpenFile[] {
    return this.current ? [this.current, ...this.pending] : this.pending;
  }

  private holds(inode: { dev: number; ino: number }): boolean {
    return this.heldFiles().some((f) => sameInode(f.identity, inode));
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
    const now = Date.now();
    for (let i = 0; i < held.length; i++) {
      const file = held[i];
      if (i === atPathIndex) {
        file.detachedAt = undefined;
      } else if (file.detachedAt === undefined && (atPathIndex === -1 || i < atPathIndex)) {
        file.detachedAt = now;
        if (file === this.current) {
          this.log.info(atPath ? 'path now leads to another file: draining the old one first' : 'file was deleted or moved: draining it',
            { path: this.opts.path, graceMs: this.graceMs, pendingFiles: this.pending.length });
        }
      }
    }
    return true;
  }

  /**
   * Copytruncate, checked on every wake-up: the same inode got shorter than what we read, or (when it has exactly
   * the length we read, so the next read cannot tell) its first bytes changed. A file that grew is checked by
   * readToEnd after its first read. Either way a truncated file is read again from 0.
   */
  private async checkTruncation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<void> {
    const st = await file.handle.stat();
    let how: string | undefined;
    if (st.size < file.readOffset) how = 'size below our offset';
    else if (st.size === file.readOffset && (await this.headChanged(file))) how = 'first bytes changed';
    if (how !== undefined) await this.restartAfterTruncation(file, onBatch, how);
  }

  /**
   * Reads from readOffset to the current end of file. Returns whether any byte was read.
   *
   * Copytruncate while reading: after a read, the head is compared again, so a truncate-and-rewrite that happened
   * before the read is caught before its bytes are used (they are the new content seen from the old offset). To keep
   * a backlog cheap (one read(2) per chunk, not two) this is done only after the first read of a pass, after a read
   * that follows a short one (we had reached the end: what comes now is new writing, possibly the rewrite), while
   * the head is not fully known yet, and otherwise at most every RECHECK_WHILE_READING_MS.
   * Residual windows: (1) while reading a backlog in full chunks, a truncation followed by a rewrite that grows past
   * our offset, both within RECHECK_WHILE_READING_MS of the last check: the chunks read from the old offset meanwhile
   * are new content (sent, then sent again from 0 once noticed); (2) a rewrite whose first FINGERPRINT_BYTES equal
   * the old ones; (3) a truncation between the read and the head check whose new content at our offset is
   * byte-identical to what we just read.
   */
  private async readToEnd(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<boolean> {
    let readAny = false;
    let followsShortRead = true; // the first read of a pass follows a wait: what it returns is new writing
    while (!this.stopped) {
      const readFrom = file.readOffset;
      const { bytesRead } = await file.handle.read(this.readBuffer, 0, this.readBuffer.length, readFrom);
      if (bytesRead === 0) break;
      readAny = true;
      this.state = 'reading';
      const now = Date.now();
      const verify = followsShortRead || readFrom < FINGERPRINT_BYTES || now - file.headCheckedAt >= RECHECK_WHILE_READING_MS;
      followsShortRead = bytesRead < this.readBuffer.length;
      let truncated = false;
      if (verify && (await this.headChanged(file))) {
        truncated = true;
        // Were these bytes read before or after the truncation? Read the range again: the same bytes mean they
        // are the new content (skip them, it is read from 0 next); other bytes mean we read the old content.
        const again = Buffer.allocUnsafe(bytesRead);
        const { bytesRead: againRead } = await file.handle.read(again, 0, bytesRead, readFrom);
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
      // A long drain must not miss files that come and go at the path meanwhile: look now and then.
      if (now - this.pathCheckedAt >= RECHECK_WHILE_READING_MS) await this.lookAtPath();
    }
    return readAny;
  }

  /**
   * False while the file still starts with the bytes we know. While it is shorter than FINGERPRINT_BYTES and
   * growing, the known head (and so the identity that checkpoints carry) is widened to what is there now.
   */
  private async headChanged(file: OpenFile): Promise<boolean> {
    const head = await readHead(file.handle, FINGERPRINT_BYTES, this.headScratch);
    file.headCheckedAt = Date.now();
    const known = file.knownHead;
    if (head.length < known.length || !head.subarray(0, known.length).equals(known)) return true;
    if (head.length > known.length) {
      file.knownHead = Buffer.from(head);
      file.identity = identityFromHead(file.identity.dev, file.identity.ino, file.knownHead, file.identity.bornNs);
    }
    return false;
  }

  private async restartAfterTruncation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>, how: string): Promise<void> {
    // Nothing read yet (a queued file rewritten before its turn): only its first bytes are new to us.
    if (file.readOffset > 0 || file.splitter.pendingBytes > 0) {
      this.log.warn('file was truncated: reading it again from offset 0', { path: this.opts.path, how, offset: file.readOffset });
    }
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
    file.headCheckedAt = Date.now();
    // A truncation keeps the inode, and so its birth time.
    file.identity = identityFromHead(file.identity.dev, file.identity.ino, file.knownHead, file.identity.bornNs);
    file.readOffset = 0;
    file.splitter.reset(0);
    this.deliveredOffset = 0;
  }

  /**
   * After reaching the end: does the path still lead to our file? If not (rename rotation, delete, a re-pointed
   * symlinked directory), keep reading the old fd until it has been idle for the grace period, then ship its
   * unfinished last line and go on to the next held file (or the path). Returns how long to wait before looking
   * again (0 = go on at once).
   */
  private async checkRotation(file: OpenFile, onBatch: (batch: LineBatch) => Promise<void>): Promise<number> {
    // We cannot tell what the path leads to: keep reading what we hold rather than guess and risk a re-read.
    if (!(await this.lookAtPath())) return this.recheckMs;
    if (file.detachedAt === undefined) return this.recheckMs;
    // Idle since the writer last wrote to it (mtime) or since it was detached, whichever is later; not since we last
    // read it: a rotated file we reach long after its rotation needs no grace period of its own, or rotations faster
    // than the grace period would pile up held files until some had to be let go.
    const lastWriteMs = (await file.handle.stat()).mtimeMs;
    const idleFor = Date.now() - Math.max(lastWriteMs, file.detachedAt);
    if (idleFor < this.graceMs) return Math.min(this.recheckMs, this.graceMs - idleFor);
    await this.flushPartial(file, onBatch);
    await this.closeCurrent();
    const next = this.pending.shift();
    if (next) {
      this.pendingFullWarned = this.pendingFullWarned && this.pending.length >= MAX_PENDING_FILES;
      await this.startReading(next, onBatch);
    } else {
      this.state = 'waiting-for-file';
    }
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
    if (file) {
      this.finished.push(file.identity);
      if (this.finished.length > 4 * MAX_PENDING_FILES) this.finished.shift();
      await file.handle.close().catch(() => undefined);
    }
  }

  private async closeAll(): Promise<void> {
    await this.closeCurrent();
    const held = this.pending.splice(0, this.pending.length);
    await Promise.all(held.map((f) => f.handle.close().catch(() => undefined)));
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
