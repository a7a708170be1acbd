// One open generation of a tailed file (Vector's file_watcher): reads it by its fd in bounded chunks, cuts the bytes
// into lines, notices a truncation (size below what was read, or first bytes changed) and says how long the file
// itself has been quiet. Which generation to read, and when, is FileTailer's job.

import type { FileHandle } from 'fs/promises';
import type { Logger } from '../../src/core/logger';
import { FINGERPRINT_BYTES, identityFromHead, openAndIdentify, readHead, sameInode, type FileIdentity, type OpenedFile } from './file-identity';
import { LineSplitter } from './line-splitter';
import type { ReadPermits } from './read-gate';

/** While reading without a pause: compare the head at least this often. */
export const RECHECK_WHILE_READING_MS = 250;

export interface FileWatcherOptions {
  /** the configured path (for log lines) */
  path: string;
  maxLineBytes: number;
  /** true: after a truncation, reopen the path the file was opened by; false: rewind the open fd */
  reopenOnTruncate: boolean;
  logger: Logger;
  /** one head scratch shared by every watcher of a tailer (it reads one file at a time) */
  headScratch: Buffer;
  /**
   * Where read buffers come from: the agent's gate (a buffer lent per read, held until the batch is delivered), or
   * one buffer of the tailer's own.
   */
  reads: { gate: ReadPermits; signal: AbortSignal } | { buffer: Buffer };
}

/** Receives the lines read so far (in `collected`) and hands them on; resolves when the consumer accepted them. */
export type Deliver = (watcher: FileWatcher) => Promise<void>;

export class FileWatcher {
  handle: FileHandle;
  identity: FileIdentity;
  /** How far read(2) got; the splitter knows where the last complete line ended. */
  readOffset: number;
  readonly splitter: LineSplitter;
  /** End offset of the last batch of this file the consumer accepted (0 again after a truncation). */
  deliveredOffset: number;
  /** The path no longer leads to this file (renamed or deleted). */
  detached = false;
  readonly openedFrom: string;
  /** Lines (and the offsets just past them) read in the current pass, waiting to be delivered. */
  readonly collected: { lines: Buffer[]; ends: number[] } = { lines: [], ends: [] };
  /** The bytes the file is known to start with (up to FINGERPRINT_BYTES): a change means it was truncated. */
  private knownHead: Buffer;
  /** When knownHead was last compared with the file (Date.now()). */
  private headCheckedAt: number;

  constructor(opened: OpenedFile, startOffset: number, private readonly opts: FileWatcherOptions) {
    this.handle = opened.handle;
    this.identity = opened.identity;
    this.readOffset = startOffset;
    this.splitter = new LineSplitter(opts.maxLineBytes, startOffset);
    this.deliveredOffset = startOffset;
    this.knownHead = opened.head;
    this.headCheckedAt = Date.now();
    this.openedFrom = opened.from;
  }

  /**
   * Since when the file itself has been quiet (ms since the epoch): its last write (mtime) or its last rename or
   * delete (ctime, which both update). Not when this process noticed the rename: a restart must not reset it.
   */
  async quietSinceMs(): Promise<number> {
    const st = await this.handle.stat();
    return Math.max(st.mtimeMs, st.ctimeMs);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /**
   * Copytruncate, checked on every wake-up: the same inode got shorter than what we read, or (when it has exactly
   * the length we read, so the next read cannot tell) its first bytes changed. A file that grew is checked by
   * readToEnd after its first read. Either way a truncated file is read again from 0.
   */
  async checkTruncation(deliver: Deliver): Promise<void> {
    const size = await this.size();
    let how: string | undefined;
    if (size < this.readOffset) how = 'size below our offset';
    else if (size === this.readOffset && (await this.headChanged())) how = 'first bytes changed';
    if (how !== undefined) await this.restartAfterTruncation(deliver, how);
  }

  /**
   * Reads from readOffset to the current end of file, or until `stopped()` or `maxChunks` reads; returns how many
   * bytes were read. `whileReading` runs between chunks (the tailer looks at the path meanwhile).
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
  async readToEnd(deliver: Deliver, stopped: () => boolean, whileReading: () => Promise<void>, maxChunks = Infinity): Promise<number> {
    let total = 0;
    let followsShortRead = true; // the first read of a pass follows a wait: what it returns is new writing
    for (let chunks = 0; chunks < maxChunks && !stopped(); chunks++) {
      const reads = this.opts.reads;
      const permit = 'gate' in reads ? await reads.gate.acquire(reads.signal) : undefined;
      if ('gate' in reads && permit === undefined) break; // stopping
      const buffer = permit ? permit.buffer : (reads as { buffer: Buffer }).buffer;
      let bytesRead: number;
      try {
        bytesRead = await this.readChunk(buffer, deliver, followsShortRead);
      } finally {
        permit?.release();
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      followsShortRead = bytesRead < buffer.length;
      await whileReading();
    }
    return total;
  }

  /** One read(2) at readOffset, its lines split and delivered; returns the bytes read (0: end of file). */
  private async readChunk(buffer: Buffer, deliver: Deliver, followsShortRead: boolean): Promise<number> {
    const readFrom = this.readOffset;
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, readFrom);
    if (bytesRead === 0) return 0;
    const now = Date.now();
    const verify = followsShortRead || readFrom < FINGERPRINT_BYTES || now - this.headCheckedAt >= RECHECK_WHILE_READING_MS;
    let truncated = false;
    if (verify && (await this.headChanged())) {
      truncated = true;
      // Were these bytes read before or after the truncation? Read the range again: the same bytes mean they
      // are the new content (skip them, it is read from 0 next); other bytes mean we read the old content.
      const again = Buffer.allocUnsafe(bytesRead);
      const { bytesRead: againRead } = await this.handle.read(again, 0, bytesRead, readFrom);
      if (againRead === bytesRead && again.equals(buffer.subarray(0, bytesRead))) {
        await this.restartAfterTruncation(deliver, 'first bytes changed');
        return bytesRead;
      }
    }
    this.readOffset += bytesRead;
    this.splitter.push(buffer, bytesRead, (line, end) => {
      this.collected.lines.push(line);
      this.collected.ends.push(end);
    });
    await deliver(this);
    if (truncated) await this.restartAfterTruncation(deliver, 'first bytes changed');
    return bytesRead;
  }

  /** The file will not grow any more for us: hands out its unfinished last line as a line. */
  async flushPartial(deliver: Deliver): Promise<void> {
    this.splitter.flush((line, end) => {
      this.collected.lines.push(line);
      this.collected.ends.push(end);
    });
    await deliver(this);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  /**
   * False while the file still starts with the bytes we know. While it is shorter than FINGERPRINT_BYTES and
   * growing, the known head (and so the identity that checkpoints carry) is widened to what is there now.
   */
  private async headChanged(): Promise<boolean> {
    const head = await readHead(this.handle, FINGERPRINT_BYTES, this.opts.headScratch);
    this.headCheckedAt = Date.now();
    const known = this.knownHead;
    if (head.length < known.length || !head.subarray(0, known.length).equals(known)) return true;
    if (head.length > known.length) {
      this.knownHead = Buffer.from(head);
      this.identity = identityFromHead(this.identity.dev, this.identity.ino, this.knownHead, this.identity.bornNs);
    }
    return false;
  }

  private async restartAfterTruncation(deliver: Deliver, how: string): Promise<void> {
    // Nothing read yet (a queued file rewritten before its turn): only its first bytes are new to us.
    if (this.readOffset > 0 || this.splitter.pendingBytes > 0) {
      this.opts.logger.warn('file was truncated: reading it again from offset 0', { path: this.opts.path, how, offset: this.readOffset });
    }
    // The held-back partial line was really written before the truncation: ship it rather than drop it.
    await this.flushPartial(deliver);
    if (this.opts.reopenOnTruncate) {
      const reopened = await openAndIdentify(this.openedFrom).catch(() => undefined);
      if (reopened && sameInode(reopened.identity, this.identity)) {
        await this.handle.close();
        this.handle = reopened.handle;
      } else {
        await reopened?.handle.close();
      }
    }
    this.knownHead = Buffer.from(await readHead(this.handle, FINGERPRINT_BYTES, this.opts.headScratch));
    this.headCheckedAt = Date.now();
    // A truncation keeps the inode, and so its birth time.
    this.identity = identityFromHead(this.identity.dev, this.identity.ino, this.knownHead, this.identity.bornNs);
    this.readOffset = 0;
    this.splitter.reset(0);
    this.deliveredOffset = 0;
  }
}
