// The on-disk part of the delivery queue: ordered messages in append-only segment files of length- and
// CRC-prefixed records, with a read pointer persisted atomically. Survives restarts; a torn last record
// (crash mid-write) is cut off at open and reported.
//
// Layout of DIR:  segment-<12 digits>.q   records `u32 BE length | u32 BE crc32(payload) | payload`
//                 read-pointer.json       {"segment":N,"offset":O,"skip":{"M":P}}: next record to deliver;
//                                         `skip` holds start offsets of later segments that were partly
//                                         delivered before a newer segment was put in front of them (close()).
// Segments are read in ascending number; appends go to the highest, `prepend` creates one below the lowest.
// An append is all or nothing: a failed write (ENOSPC) is cut back off the segment and thrown.

import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from 'zlib';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic-file';
import type { Logger } from '../../src/core/logger';

const HEADER = 8;
const FIRST_SEGMENT = 1_000_000_000;
const SEGMENT_RE = /^segment-(\d{12})\.q$/;
const POINTER_FILE = 'read-pointer.json';
const READ_CHUNK = 1 << 20;

export interface DiskPosition {
  segment: number;
  offset: number;
}

/** What `peek` returns: the messages, and where reading continues once they are confirmed. */
export interface DiskBatch {
  messages: Buffer[];
  next: DiskPosition;
  bytes: number;
}

function segmentName(n: number): string {
  return `segment-${String(n).padStart(12, '0')}.q`;
}

export class DiskQueue {
  /** Valid bytes per segment, ascending by segment number. */
  private readonly sizes = new Map<number, number>();
  private read: DiskPosition = { segment: FIRST_SEGMENT, offset: 0 };
  private readonly skip = new Map<number, number>();
  private unconsumedBytes = 0;
  private unconsumedMessages = 0;
  private writtenBytes = 0;
  private writeFd?: number;
  private writeSegment?: number;
  private needsDirSync = false;
  private dirtyFds = new Set<number>();
  /** sync() calls running; while any is, a segment's descriptor is retired (synced, to close later), not closed. */
  private syncing = 0;
  private readonly retiredFds: number[] = [];

  private constructor(
    readonly dir: string,
    private readonly segmentMaxBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating if needed) the queue in `dir`, validating what a previous run left. */
  static open(dir: string, logger: Logger, segmentMaxBytes = 16 << 20): DiskQueue {
    fs.mkdirSync(dir, { recursive: true });
    const q = new DiskQueue(dir, segmentMaxBytes, logger);
    q.recover();
    return q;
  }

  get bytes(): number {
    return this.unconsumedBytes;
  }

  get messages(): number {
    return this.unconsumedMessages;
  }

  /** Record bytes this process wrote (append and prepend), for measuring how much the disk is used. */
  get bytesWritten(): number {
    return this.writtenBytes;
  }

  get isEmpty(): boolean {
    return this.unconsumedMessages === 0;
  }

  /**
   * Appends messages after everything queued (written to the page cache; call sync() for durability). Returns the
   * batch they form, as peek() would return it once everything before them is committed.
   */
  append(messages: readonly Buffer[]): DiskBatch {
    return this.appendGroups([messages])[0];
  }

  /**
   * Appends several groups of messages in one write, each group becoming one batch. All or nothing: when the write
   * fails (ENOSPC, EIO) the segment is cut back and the queue is as before; the error is thrown.
   */
  appendGroups(groups: readonly (readonly Buffer[])[]): DiskBatch[] {
    const encoded = groups.map(encode);
    const records = encoded.length === 1 ? encoded[0] : Buffer.concat(encoded);
    if (this.writeSegment === undefined || (this.sizes.get(this.writeSegment) ?? 0) >= this.segmentMaxBytes) {
      this.openWriteSegment(this.lastSegment() === undefined ? this.read.segment : this.lastSegment()! + 1);
    }
    const seg = this.writeSegment!;
    const fd = this.writeFd!;
    const start = this.sizes.get(seg)!;
    try {
      writeFully(fd, records, start);
    } catch (err) {
      // A part may have reached the file: cut it off, so a restart does not deliver records nobody counted.
      try {
        fs.ftruncateSync(fd, start);
      } catch {
        // Records past the recorded size are overwritten by the next append anyway.
      }
      throw err;
    }
    this.sizes.set(seg, start + records.length);
    this.dirtyFds.add(fd);
    this.unconsumedBytes += records.length;
    this.writtenBytes += records.length;
    let offset = start;
    return groups.map((messages, i) => {
      offset += encoded[i].length;
      this.unconsumedMessages += messages.length;
      return { messages: [...messages], next: { segment: seg, offset }, bytes: encoded[i].length };
    });
  }

  /** Puts messages in front of everything queued (shutdown: the memory queue is older than the disk backlog). */
  prepend(messages: readonly Buffer[]): void {
    if (messages.length === 0) return;
    const first = this.firstSegment();
    const seg = first === undefined ? this.read.segment : first - 1;
    if (first !== undefined && this.read.offset > 0) this.skip.set(this.read.segment, this.read.offset);
    const records = encode(messages);
    const file = path.join(this.dir, segmentName(seg));
    const fd = fs.openSync(file, 'w', 0o600);
    try {
      writeFully(fd, records, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.sizes.set(seg, records.length);
    this.sortSizes();
    this.read = { segment: seg, offset: 0 };
    this.unconsumedBytes += records.length;
    this.unconsumedMessages += messages.length;
    this.writtenBytes += records.length;
    this.needsDirSync = true;
    this.persistPointerSync();
  }

  /** fsyncs everything appended so far (and the directory when segments were created). */
  async sync(): Promise<void> {
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    this.syncing++;
    try {
      for (let i = 0; i < fds.length; i++) {
        try {
          await new Promise<void>((resolve, reject) => fs.fsync(fds[i], (err) => (err ? reject(err) : resolve())));
        } catch (err) {
          // Not synced: the next sync() tries these again (a retired one was synced as it was retired).
          for (const fd of fds.slice(i)) if (!this.retiredFds.includes(fd)) this.dirtyFds.add(fd);
          throw err;
        }
      }
      if (this.needsDirSync) {
        this.needsDirSync = false;
        syncDirectory(this.dir);
      }
    } finally {
      // Closed only now: an fsync above must not meet a closed descriptor, or its number reused for another file.
      if (--this.syncing === 0) for (const fd of this.retiredFds.splice(0)) fs.closeSync(fd);
    }
  }

  /**
   * Reads up to `maxMessages` without consuming them, from the read position or from `from`: the `next` of a batch
   * peeked earlier and not committed yet (several batches may be in flight; they are committed in peek order).
   */
  peek(maxMessages: number, from?: DiskPosition): DiskBatch | undefined {
    if (this.isEmpty) return undefined;
    const messages: Buffer[] = [];
    let pos = { ...(from ?? this.read) };
    let bytes = 0;
    while (messages.length < maxMessages) {
      const size = this.sizes.get(pos.segment);
      if (size === undefined) break;
      if (pos.offset >= size) {
        const next = this.segmentAfter(pos.segment);
        if (next === undefined) break;
        pos = { segment: next, offset: this.skip.get(next) ?? 0 };
        continue;
      }
      const fd = fs.openSync(path.join(this.dir, segmentName(pos.segment)), 'r');
      try {
        const want = Math.min(size - pos.offset, READ_CHUNK);
        let chunk = Buffer.allocUnsafe(want);
        readFully(fd, chunk, pos.offset);
        let o = 0;
        while (messages.length < maxMessages && o + HEADER <= chunk.length) {
          const len = chunk.readUInt32BE(o);
          if (o + HEADER + len > chunk.length) {
            if (o > 0) break;
            // A single record bigger than the chunk: read it whole.
            chunk = Buffer.allocUnsafe(HEADER + len);
            readFully(fd, chunk, pos.offset);
          }
          messages.push(Buffer.from(chunk.subarray(o + HEADER, o + HEADER + len)));
          o += HEADER + len;
          bytes += HEADER + len;
        }
        pos = { segment: pos.segment, offset: pos.offset + o };
      } finally {
        fs.closeSync(fd);
      }
    }
    return messages.length > 0 ? { messages, next: pos, bytes } : undefined;
  }

  /** Marks a peeked batch delivered: moves and persists the read pointer, deletes finished segments. */
  async commit(batch: DiskBatch): Promise<void> {
    this.read = { ...batch.next };
    this.unconsumedBytes -= batch.bytes;
    this.unconsumedMessages -= batch.messages.length;
    for (const seg of [...this.sizes.keys()]) {
      const done = seg < this.read.segment || (seg === this.read.segment && this.read.offset >= this.sizes.get(seg)! && seg !== this.writeSegment);
      if (!done) continue;
      this.sizes.delete(seg);
      this.skip.delete(seg);
      if (seg === this.read.segment) {
        // Reading continues in the next segment, or in the one the next append will create.
        const next = this.segmentAfter(seg);
        this.read = next !== undefined ? { segment: next, offset: this.skip.get(next) ?? 0 } : { segment: seg + 1, offset: 0 };
      }
      fs.rmSync(path.join(this.dir, segmentName(seg)), { force: true });
    }
    await writeFileAtomic(path.join(this.dir, POINTER_FILE), this.pointerJson());
  }

  close(): void {
    for (const fd of this.retiredFds.splice(0)) fs.closeSync(fd);
    if (this.writeFd !== undefined) {
      fs.fsyncSync(this.writeFd);
      fs.closeSync(this.writeFd);
    }
    this.writeFd = undefined;
    this.writeSegment = undefined;
    this.persistPointerSync();
  }

  private pointerJson(): string {
    return JSON.stringify({ segment: this.read.segment, offset: this.read.offset, skip: Object.fromEntries(this.skip) });
  }

  /** The shared atomic writer: a random temp name created with O_EXCL|O_NOFOLLOW, never a fixed one a link could be planted at. */
  private persistPointerSync(): void {
    writeFileAtomicSync(path.join(this.dir, POINTER_FILE), this.pointerJson());
  }

  private openWriteSegment(seg: number): void {
    if (this.writeFd !== undefined) {
      const fd = this.writeFd;
      fs.fsyncSync(fd);
      // Forgotten before the open below, which may fail (no space for a new file): the next append tries again.
      this.writeFd = undefined;
      this.writeSegment = undefined;
      this.dirtyFds.delete(fd);
      if (this.syncing > 0) this.retiredFds.push(fd);
      else fs.closeSync(fd);
    }
    const file = path.join(this.dir, segmentName(seg));
    this.writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
    this.writeSegment = seg;
    if (!this.sizes.has(seg)) {
      this.sizes.set(seg, 0);
      this.sortSizes();
      this.needsDirSync = true;
    }
  }

  private recover(): void {
    const segments = fs
      .readdirSync(this.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const pointerPath = path.join(this.dir, POINTER_FILE);
    if (fs.existsSync(pointerPath)) {
      try {
        const p = JSON.parse(fs.readFileSync(pointerPath, 'utf8')) as { segment: number; offset: number; skip?: Record<string, number> };
        if (!Number.isInteger(p.segment) || !Number.isInteger(p.offset)) throw new Error('segment/offset are not integers');
        this.read = { segment: p.segment, offset: p.offset };
        for (const [k, v] of Object.entries(p.skip ?? {})) this.skip.set(Number(k), v);
      } catch (err) {
        this.logger.error('unreadable disk queue read pointer; delivering the whole disk queue again', {
          file: pointerPath,
          error: (err as Error).message,
        });
        this.read = { segment: segments[0] ?? FIRST_SEGMENT, offset: 0 };
      }
    } else if (segments.length > 0) {
      this.read = { segment: segments[0], offset: 0 };
    }
    for (const seg of segments) {
      const file = path.join(this.dir, segmentName(seg));
      if (seg < this.read.segment) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const start = seg === this.read.segment ? this.read.offset : (this.skip.get(seg) ?? 0);
      const { validEnd, messages } = scanSegment(file, start);
      const size = fs.statSync(file).size;
      if (validEnd < size) {
        this.logger.warn('disk queue segment ends in a torn or corrupt record; cutting it off', {
          file,
          validBytes: validEnd,
          droppedBytes: size - validEnd,
        });
        fs.truncateSync(file, validEnd);
      }
      this.sizes.set(seg, validEnd);
      this.unconsumedBytes += validEnd - start;
      this.unconsumedMessages += messages;
    }
    if (this.unconsumedMessages > 0) {
      this.logger.info('disk queue holds messages from a previous run; delivering them first', {
        messages: this.unconsumedMessages,
        bytes: this.unconsumedBytes,
      });
    }
  }

  private sortSizes(): void {
    const entries = [...this.sizes.entries()].sort((a, b) => a[0] - b[0]);
    this.sizes.clear();
    for (const [k, v] of entries) this.sizes.set(k, v);
  }

  private firstSegment(): number | undefined {
    for (const k of this.sizes.keys()) return k;
    return undefined;
  }

  private lastSegment(): number | undefined {
    let last: number | undefined;
    for (const k of this.sizes.keys()) last = k;
    return last;
  }

  private segmentAfter(seg: number): number | undefined {
    for (const k of this.sizes.keys()) if (k > seg) return k;
    return undefined;
  }
}

function encode(messages: readonly Buffer[]): Buffer {
  let total = 0;
  for (const m of messages) total += HEADER + m.length;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const m of messages) {
    out.writeUInt32BE(m.length, o);
    out.writeUInt32BE(crc32(m), o + 4);
    m.copy(out, o + HEADER);
    o += HEADER + m.length;
  }
  return out;
}

/** Counts valid records from `start`; returns where the last valid one ends. */
function scanSegment(file: string, start: number): { validEnd: number; messages: number } {
  const data = fs.readFileSync(file);
  let o = start;
  let messages = 0;
  while (o + HEADER <= data.length) {
    const len = data.readUInt32BE(o);
    if (o + HEADER + len > data.length) break;
    if (crc32(data.subarray(o + HEADER, o + HEADER + len)) !== data.readUInt32BE(o + 4)) break;
    o += HEADER + len;
    messages++;
  }
  return { validEnd: Math.max(o, start), messages };
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

function readFully(fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`disk queue segment shorter than recorded (wanted ${into.length} bytes at ${position})`);
    done += n;
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the data files themselves are synced.
  }
}
