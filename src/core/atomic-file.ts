// Crash-safe file replacement: write a temp file beside the target, fsync it, rename over the target, fsync the directory.
// After a crash the target holds either the old or the new content, never a torn mix.
//
// The temp file gets a random name and is created with O_CREAT|O_EXCL|O_NOFOLLOW: a name planted in advance (a
// symlink to /etc/shadow, say) makes the open fail instead of being followed, so a root agent never writes through a
// link someone else put in its directory. Its mode is set with fchmod after the open, so the umask cannot widen it.

import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface AtomicWriteOptions {
  /** The replaced file's permission bits, whatever the umask (default 0600: only the agent's user reads its state). */
  mode?: number;
}

const DEFAULT_MODE = 0o600;
/** A planted name (EEXIST) is vanishingly unlikely with 96 random bits; a few tries make a collision harmless. */
const TEMP_NAME_TRIES = 8;
const TEMP_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** `.NAME.<random>.tmp` beside the target: nobody can predict it, so nobody can plant a link at it. */
function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(12).toString('hex')}.tmp`);
}

/**
 * Creates a new file exclusively (never follows a symlink, never reuses an existing file) with exactly `mode`.
 * Throws EEXIST if anything, a symlink included, is already at `file`.
 */
export function createExclusiveSync(file: string, mode: number): number {
  const fd = fs.openSync(file, TEMP_FLAGS, mode);
  try {
    fs.fchmodSync(fd, mode);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
  return fd;
}

export async function createExclusive(file: string, mode: number): Promise<fs.promises.FileHandle> {
  const fh = await fs.promises.open(file, TEMP_FLAGS, mode);
  try {
    await fh.chmod(mode);
  } catch (err) {
    await fh.close();
    await fs.promises.rm(file, { force: true });
    throw err;
  }
  return fh;
}

function openTempSync(target: string, mode: number): { fd: number; tmp: string } {
  for (let attempt = 1; ; attempt++) {
    const tmp = tempNameFor(target);
    try {
      return { fd: createExclusiveSync(tmp, mode), tmp };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= TEMP_NAME_TRIES) throw err;
    }
  }
}

async function openTemp(target: string, mode: number): Promise<{ fh: fs.promises.FileHandle; tmp: string }> {
  for (let attempt = 1; ; attempt++) {
    const tmp = tempNameFor(target);
    try {
      return { fh: await createExclusive(tmp, mode), tmp };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= TEMP_NAME_TRIES) throw err;
    }
  }
}

export function writeFileAtomicSync(target: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(target);
  const { fd, tmp } = openTempSync(target, opts.mode ?? DEFAULT_MODE);
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    // A failed write (ENOSPC, a directory at the target) must not leave its temp file behind.
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectorySync(dir);
}

export async function writeFileAtomic(target: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  const { fh, tmp } = await openTemp(target, opts.mode ?? DEFAULT_MODE);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDirectory(dir);
}

/** The async twin of fsyncDirectorySync: a synchronous fsync here would stall the event loop on every write. */
async function fsyncDirectory(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

export function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * mkdir -p with exactly `mode` on every directory it creates, whatever the umask (directories that already exist
 * keep theirs: whether those are safe is the caller's check).
 */
export function makeDirectorySync(dir: string, mode: number): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode });
  if (first === undefined) return;
  // mkdir's mode went through the umask: set it again on each directory this call created, from `first` down to dir.
  const created: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    created.push(d);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
  for (const d of created) fs.chmodSync(d, mode);
}
