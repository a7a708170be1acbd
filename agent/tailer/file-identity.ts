// A tailed file's identity: device + inode plus a digest of its first bytes, so a new file that reuses a
// freed inode (or a file rewritten in place after copytruncate) is told apart from the one we were reading; and when
// it was born, so the files that followed it at the path can be found even after it is gone.

import { createHash } from 'crypto';
import type { BigIntStats } from 'fs';
import { constants } from 'fs';
import { open, stat, type FileHandle } from 'fs/promises';

/** How many leading bytes make a file's fingerprint. Zeek logs carry their `#open` time within these. */
export const FINGERPRINT_BYTES = 256;

export interface FileIdentity {
  dev: number;
  ino: number;
  /** hex digest of the first FINGERPRINT_BYTES bytes; '' while the file is shorter */
  fingerprint: string;
  /**
   * While the file is shorter than FINGERPRINT_BYTES: how many leading bytes `headDigest` covers, so a short
   * file can still be recognised (its first headLength bytes never change while it only grows).
   */
  headLength?: number;
  headDigest?: string;
  /**
   * When the file was born (see bornNsOf), in ns since the epoch, as decimal digits: a bigint does not survive
   * JSON (state file, status file) and a number loses the nanoseconds. Absent in checkpoints from before it existed.
   */
  bornNs?: string;
}

/** Reads the head of an open file and returns its identity. `dev`/`ino` come from a stat of the same handle. */
export async function identifyOpenFile(handle: FileHandle, dev: number, ino: number): Promise<FileIdentity> {
  const born = bornNsOf(await handle.stat({ bigint: true }));
  return identityFromHead(dev, ino, await readHead(handle, FINGERPRINT_BYTES), born.toString());
}

/** The identity of a file whose first min(size, FINGERPRINT_BYTES) bytes are `head`. */
export function identityFromHead(dev: number, ino: number, head: Buffer, bornNs?: string): FileIdentity {
  const headDigest = digest(head);
  const identity: FileIdentity = {
    dev,
    ino,
    fingerprint: head.length === FINGERPRINT_BYTES ? headDigest : '',
    headLength: head.length,
    headDigest,
  };
  if (bornNs !== undefined) identity.bornNs = bornNs;
  return identity;
}

/**
 * When a file was created, in ns: its birth time (statx btime), or, where the filesystem keeps none (Node reports
 * 0: old kernels, NFS, some FUSE), its mtime. Not ctime: renaming a file sets its ctime, so with numbered rotation
 * (conn.log.1 → conn.log.2) every older generation would look newly born after each rotation and be shipped again;
 * the mtime of a log generation stops at its last write, which comes before its successors are written.
 * Birth times are as coarse as the kernel's clock tick (a few ms): files born in one tick compare equal.
 */
export function bornNsOf(st: BigIntStats): bigint {
  return st.birthtimeNs > 0n ? st.birthtimeNs : st.mtimeNs;
}

/**
 * `identity` with the earlier of its own and `recorded`'s birth times. The same file always has the same birth time;
 * where the mtime stands in for it, the one recorded first is the closer to the file's birth.
 */
export function keepEarlierBirth(identity: FileIdentity, recorded: FileIdentity): FileIdentity {
  if (recorded.bornNs === undefined || (identity.bornNs !== undefined && BigInt(identity.bornNs) <= BigInt(recorded.bornNs))) return identity;
  return { ...identity, bornNs: recorded.bornNs };
}

/**
 * True when the open file still starts with the bytes `known` was computed from: false after it was truncated and
 * rewritten (copytruncate) or when an inode was reused by a file with other content. dev/ino are not compared here.
 */
export async function headStillMatches(handle: FileHandle, known: FileIdentity): Promise<boolean> {
  if (known.fingerprint !== '') {
    return digest(await readHead(handle, FINGERPRINT_BYTES)) === known.fingerprint;
  }
  const length = known.headLength ?? 0;
  if (length === 0 || known.headDigest === undefined) return true; // nothing recorded to compare against
  const head = await readHead(handle, length);
  return head.length === length && digest(head) === known.headDigest;
}

/** Opens a path (following symlinks) and identifies what was opened, by the fd, so a concurrent rename cannot mix two files. */
export interface OpenedFile {
  handle: FileHandle;
  identity: FileIdentity;
  /** the first min(size, FINGERPRINT_BYTES) bytes at open time */
  head: Buffer;
  size: number;
  mtimeMs: number;
  /** the path it was opened by */
  from: string;
}

/**
 * Opens `file` for reading without ever blocking: O_NONBLOCK, because open(2) of a FIFO waits for a writer (and holds
 * one of libuv's 4 threads meanwhile); on a regular file the flag changes nothing. What was opened must be a regular
 * file: anything else throws NotRegularFileError (code ENOTREG), which callers retry like EACCES.
 */
export async function openAndIdentify(file: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    // open(2) of a Unix socket fails with ENXIO: say what is there instead.
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') {
      const st = await stat(file).catch(() => undefined);
      if (st && !st.isFile()) throw new NotRegularFileError(file, fileTypeName(st));
    }
    throw err;
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) throw new NotRegularFileError(file, fileTypeName(st));
    const head = await readHead(handle, FINGERPRINT_BYTES);
    // Number() of a bigint dev/ino gives what the number-typed fs.Stats report (both round to nearest above 2^53).
    const identity = identityFromHead(Number(st.dev), Number(st.ino), head, bornNsOf(st).toString());
    return { handle, identity, head, size: Number(st.size), mtimeMs: Number(st.mtimeNs) / 1e6, from: file };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A monitored path that leads to something other than a regular file: never read, looked at again every poll. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(file: string, readonly fileType: string) {
    super(`${file} is ${fileType}, not a regular file: not read (checked again every poll)`);
  }
}

/** What kind of file `st` describes, for a log line. */
export function fileTypeName(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function sameInode(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Reads up to `length` bytes from offset 0 (fewer at end of file) into `into` (or a new buffer). */
export async function readHead(handle: FileHandle, length: number, into?: Buffer): Promise<Buffer> {
  const buf = into ?? Buffer.alloc(length);
  let filled = 0;
  // A bounded loop: a short read means end of file (or a concurrent truncate), not "try again".
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

function digest(bytes: Buffer): string {
  return bytes.length === 0 ? '' : createHash('sha256').update(bytes).digest('hex');
}
