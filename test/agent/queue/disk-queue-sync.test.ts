// DiskQueue.sync() against segment rotation: an append that starts a new segment while an fsync waits on the thread
// pool must not close the descriptor under it. Closed, its number is at once reused by the new segment, so the
// fsync silently syncs the wrong file (or, if something else took the number, fails with EBADF).

import { expect } from 'chai';
import { pbkdf2 } from 'crypto';
import * as fs from 'fs';
import { DiskQueue } from '../../../agent/queue/disk-queue';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir } from '../../helpers/rsyslogd-process';

/** The fs module object itself: `import * as fs` gives a read-only view of it, whose getters forward here. */
const fsModule = require('fs') as { fsync: typeof fs.fsync };

/** What descriptor `fd` names now. */
function fdTarget(fd: number): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '(closed)';
  }
}

describe('DiskQueue sync() while segments rotate', function () {
  this.timeout(60_000);
  let dir: string;
  const realFsync = fs.fsync;
  beforeEach(() => { dir = makeTempDir('disk-queue-sync'); });
  afterEach(() => {
    fsModule.fsync = realFsync;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an append that starts a new segment during sync() leaves the descriptor being synced open', async () => {
    // Records, for each asynchronous fsync, which file its descriptor named when asked and when done.
    const swapped: string[] = [];
    fsModule.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void => {
      const asked = fdTarget(fd);
      realFsync(fd, (err) => {
        const done = fdTarget(fd);
        if (done !== asked) swapped.push(`${asked} -> ${done}`);
        callback(err);
      });
    }) as typeof fs.fsync;
    const q = DiskQueue.open(dir, silentLogger, 256);
    const record = [Buffer.alloc(300, 0x61)]; // larger than a segment: every append starts a new one
    // libuv's thread pool (4 threads) kept busy, so the fsync waits in its queue while the append below rotates:
    // on a loaded machine that happens by itself.
    const busy = (): Promise<unknown> => Promise.all([1, 2, 3, 4].map(() => new Promise((r) => pbkdf2('x', 'y', 20_000, 32, 'sha256', r))));
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) {
      q.append(record);
      const pool = busy();
      const syncing = q.sync().catch((err: Error) => { failures.push(err.message); });
      q.append(record); // rotates away from the segment being synced
      await Promise.all([syncing, pool]);
    }
    await q.sync();
    q.close();
    expect(failures).to.deep.equal([]);
    expect(swapped, 'descriptors closed (and reused) under a pending fsync').to.deep.equal([]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.q'))).to.have.length(40);
  });

  it('a failed fsync leaves the segment to the next sync(), which must not succeed without syncing it', async () => {
    const q = DiskQueue.open(dir, silentLogger, 1 << 20);
    q.append([Buffer.from('one')]);
    const synced: string[] = [];
    let failNext = true;
    fsModule.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void => {
      if (failNext) {
        failNext = false;
        const err: NodeJS.ErrnoException = new Error('EIO: i/o error, fsync');
        err.code = 'EIO';
        setImmediate(() => callback(err));
        return;
      }
      synced.push(fdTarget(fd));
      realFsync(fd, callback);
    }) as typeof fs.fsync;
    let failed: string | undefined;
    await q.sync().catch((err: Error) => { failed = err.message; });
    expect(failed).to.match(/EIO/);
    await q.sync();
    expect(synced.filter((f) => f.endsWith('segment-001000000000.q')), 'the retry synced the segment').to.have.length(1);
    q.close();
  });
});
