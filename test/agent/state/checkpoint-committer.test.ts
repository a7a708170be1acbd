// A state file that cannot be written (issue 17, section 5): a directory at its path, or a full disk (a small
// tmpfs). The committer retries with a capped backoff instead of a tight loop, logs once per cause and once when it
// recovers, holds the file's reading meanwhile, leaves no temp files, and lets shutdown go promptly.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointCommitter, type PendingCommit } from '../../../agent/state/checkpoint-committer';
import { type FileCheckpoint, StateStore } from '../../../agent/state/state-store';
import { createLogger, MemorySink, silentLogger } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { mountSmallTmpfs } from '../../helpers/small-tmpfs';

const identity = { dev: 1, ino: 2, fingerprint: 'ab' };
const checkpoint = (offset: number): FileCheckpoint => ({ path: '/var/log/conn.log', identity, offset });
/** A batch every action already holds: the checkpoint may move to `offset` at once. */
const done = (offset: number): PendingCommit => ({ checkpoint: checkpoint(offset), pendingActions: 0 });

/** Counts write attempts. */
class CountingStateStore extends StateStore {
  attempts = 0;
  override saveAsync(stateFile: string, cp: FileCheckpoint): Promise<void> {
    this.attempts++;
    return super.saveAsync(stateFile, cp);
  }
}

/** Resolves with `value`, or with 'still pending' if `p` has not settled within `ms` (a liveness check, not a timing one). */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | 'still pending'> {
  return Promise.race([p, new Promise<'still pending'>((r) => setTimeout(() => r('still pending'), ms).unref())]);
}

function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

describe('CheckpointCommitter with a state file that cannot be written', function () {
  this.timeout(60_000);
  let dir: string;
  const mounted: string[] = [];
  beforeEach(() => { dir = makeTempDir('committer'); });
  afterEach(() => {
    for (const m of mounted.splice(0)) {
      try {
        execFileSync('umount', [m]);
      } catch {
        execFileSync('umount', ['-l', m]); // still busy (a write in flight): detach it now, freed when closed
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a directory at the state path: retries with backoff, one ERROR line, reading held; fixed: one INFO line, the newest checkpoint written', async () => {
    const sink = new MemorySink();
    const store = new CountingStateStore(dir, silentLogger);
    fs.mkdirSync(path.join(dir, 'stat-conn'));
    const committer = new CheckpointCommitter(store, 'stat-conn', createLogger('state', sink), undefined);
    committer.add(done(100));
    await waitFor('the first failure', () => sink.lines.length > 0, 10_000);
    for (let i = 1; i <= 50; i++) committer.add(done(100 + i * 10)); // confirmations keep coming for batches already queued
    await new Promise((r) => setTimeout(r, 1200));
    // Backoff from 100 ms: about 5 attempts in 1.2 s (the tight loop made more than a thousand).
    expect(store.attempts, 'write attempts').to.be.at.most(15);
    expect(sink.lines.filter((l) => / ERROR /.test(l)), 'one ERROR line per cause').to.have.length(1);
    expect(sink.lines[0]).to.match(/cannot write state file.*EISDIR/);
    const admitted = committer.admit();
    expect(admitted, 'reading is held while the state cannot be written').to.not.equal(true);
    let answer: boolean | undefined;
    void (admitted as Promise<boolean>).then((a) => { answer = a; });
    // A retry may be writing its temp file right now; a leftover would stay.
    await waitFor('no temp file left behind', () => tempFiles(dir).length === 0, 5000);
    expect(answer).to.equal(undefined);

    fs.rmdirSync(path.join(dir, 'stat-conn'));
    await waitFor('a successful retry', () => committer.confirmedOffset() === 600, 20_000);
    expect(committer.failing).to.equal(false);
    expect(answer).to.equal(true);
    expect(committer.confirmedOffset()).to.equal(600);
    expect(store.load('stat-conn')?.offset).to.equal(600);
    expect(sink.lines.filter((l) => / INFO /.test(l) && /state file written again/.test(l))).to.have.length(1);
    expect(sink.lines.filter((l) => / ERROR /.test(l))).to.have.length(1);
    expect(committer.admit()).to.equal(true);
    expect(tempFiles(dir)).to.deep.equal([]);
    await committer.flush();
  });

  it('shutdown while it cannot be written: flush() returns after one last attempt, a held reader is told no, for good', async () => {
    const sink = new MemorySink();
    const store = new CountingStateStore(dir, silentLogger);
    fs.mkdirSync(path.join(dir, 'stat-conn'));
    const committer = new CheckpointCommitter(store, 'stat-conn', createLogger('state', sink), checkpoint(50));
    committer.add(done(100));
    await waitFor('the first failure', () => sink.lines.length > 0, 10_000);
    const held = committer.admit() as Promise<boolean>;
    expect(await settledWithin(committer.flush(), 10_000), 'flush() must not hang').to.equal(undefined);
    expect(await settledWithin(held, 10_000)).to.equal(false);
    // Even if a write succeeded now, a batch was let go: nothing after it may be queued and checkpointed.
    fs.rmdirSync(path.join(dir, 'stat-conn'));
    expect(await committer.admit()).to.equal(false);
    expect(committer.confirmedOffset(), 'the last offset written stays').to.equal(50);
    expect(sink.lines.some((l) => /still cannot be written at shutdown/.test(l))).to.equal(true);
    const attempts = store.attempts;
    await new Promise((r) => setTimeout(r, 500));
    expect(store.attempts, 'no retries after shutdown').to.equal(attempts);
  });

  it('a full disk (small tmpfs): ENOSPC named once, no 0-byte temp files left, resumes once space returns', async function () {
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    mountSmallTmpfs(mnt, '64k');
    mounted.push(mnt);
    const filler = path.join(mnt, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const sink = new MemorySink();
    const store = new CountingStateStore(mnt, silentLogger);
    const committer = new CheckpointCommitter(store, 'stat-conn', createLogger('state', sink), undefined);
    committer.add(done(100));
    await waitFor('the first failure', () => sink.lines.length > 0, 10_000);
    committer.add(done(200));
    await new Promise((r) => setTimeout(r, 800));
    const errors = sink.lines.filter((l) => / ERROR /.test(l));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/no space left on device/);
    await waitFor('no 0-byte temp file left behind', () => tempFiles(mnt).length === 0, 5000);

    fs.rmSync(filler);
    await waitFor('a successful retry', () => committer.confirmedOffset() === 200, 20_000);
    expect(store.load('stat-conn')?.offset).to.equal(200);
    expect(tempFiles(mnt)).to.deep.equal([]);
    await committer.flush();
  });
});
