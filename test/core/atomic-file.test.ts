// The atomic writer, the disk queue's read pointer and the log file never write through a symlink someone planted
// in the directory, and give their files and directories fixed modes whatever the umask.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createExclusiveSync, makeDirectorySync, writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic-file';
import { fileSink, silentLogger } from '../../src/core/logger';
import { DiskQueue } from '../../agent/queue/disk-queue';

const VICTIM_CONTENT = 'root-only content that must survive\n';

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o7777;
}

describe('atomic file writes and symlinks', () => {
  let dir: string;
  let victim: string;
  let savedUmask: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-atomic-'));
    // The file an attacker wants overwritten lives outside the directory they can write.
    victim = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-victim-')), 'shadow');
    fs.writeFileSync(victim, VICTIM_CONTENT, { mode: 0o600 });
    savedUmask = process.umask();
  });
  afterEach(() => {
    process.umask(savedUmask);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.dirname(victim), { recursive: true, force: true });
  });

  /** Every temp name the old code used and an attacker could predict: `.NAME.<pid>.tmp` for a range of pids. */
  function plantAtPredictableNames(target: string): void {
    for (const pid of [process.pid, process.pid + 1, process.pid - 1]) {
      fs.symlinkSync(victim, path.join(path.dirname(target), `.${path.basename(target)}.${pid}.tmp`));
    }
  }

  it('writeFileAtomicSync and writeFileAtomic do not follow a link planted at the predictable temp name', async () => {
    const target = path.join(dir, 'agent-status.json');
    plantAtPredictableNames(target);
    writeFileAtomicSync(target, '{"sync":true}\n');
    await writeFileAtomic(target, '{"async":true}\n');
    expect(fs.readFileSync(victim, 'utf8')).to.equal(VICTIM_CONTENT);
    expect(fs.readFileSync(target, 'utf8')).to.equal('{"async":true}\n');
    // Only the target and the untouched planted links remain: no temp file left behind.
    expect(fs.readdirSync(dir).filter((f) => !fs.lstatSync(path.join(dir, f)).isSymbolicLink())).to.deep.equal(['agent-status.json']);
  });

  it('creates a temp file exclusively: a link at the name (even one guessed right) fails with EEXIST and is not followed', () => {
    const guessed = path.join(dir, '.state.guessed.tmp');
    fs.symlinkSync(victim, guessed);
    expect(() => createExclusiveSync(guessed, 0o600)).to.throw().with.property('code', 'EEXIST');
    // A dangling link (to a file that does not exist yet) must not create that file either.
    const dangling = path.join(path.dirname(victim), 'created-through-link');
    fs.symlinkSync(dangling, path.join(dir, '.dangling.tmp'));
    expect(() => createExclusiveSync(path.join(dir, '.dangling.tmp'), 0o600)).to.throw().with.property('code', 'EEXIST');
    expect(fs.existsSync(dangling)).to.equal(false);
    expect(fs.readFileSync(victim, 'utf8')).to.equal(VICTIM_CONTENT);
  });

  it('the disk queue read pointer does not follow a link planted at its old fixed temp name', () => {
    const qdir = path.join(dir, 'queue');
    fs.mkdirSync(qdir);
    fs.symlinkSync(victim, path.join(qdir, '.read-pointer.json.tmp'));
    const q = DiskQueue.open(qdir, silentLogger);
    q.append([Buffer.from('one'), Buffer.from('two')]);
    q.prepend([Buffer.from('zero')]); // writes the pointer synchronously
    q.close(); // and again
    expect(fs.readFileSync(victim, 'utf8')).to.equal(VICTIM_CONTENT);
    expect(JSON.parse(fs.readFileSync(path.join(qdir, 'read-pointer.json'), 'utf8'))).to.have.property('segment');
    expect(modeOf(path.join(qdir, 'read-pointer.json'))).to.equal(0o600);
  });

  it('the log file is never opened through a link', () => {
    const log = path.join(dir, 'agent.log');
    fs.symlinkSync(victim, log);
    expect(() => fileSink(log)).to.throw().with.property('code', 'ELOOP');
    expect(fs.readFileSync(victim, 'utf8')).to.equal(VICTIM_CONTENT);
  });

  it('gives fixed modes under umask 000: 0600 by default, the asked mode otherwise, 0640 for a new log file', async () => {
    process.umask(0);
    writeFileAtomicSync(path.join(dir, 'state'), 'x');
    await writeFileAtomic(path.join(dir, 'status.json'), 'y', { mode: 0o640 });
    fileSink(path.join(dir, 'agent.log')).write('line\n');
    makeDirectorySync(path.join(dir, 'a', 'b', 'c'), 0o750);
    expect(modeOf(path.join(dir, 'state'))).to.equal(0o600);
    expect(modeOf(path.join(dir, 'status.json'))).to.equal(0o640);
    expect(modeOf(path.join(dir, 'agent.log'))).to.equal(0o640);
    for (const d of ['a', 'a/b', 'a/b/c']) expect(modeOf(path.join(dir, d)), d).to.equal(0o750);
  });

  it('a write that fails leaves no temp file behind', () => {
    const target = path.join(dir, 'is-a-dir');
    fs.mkdirSync(path.join(target, 'child'), { recursive: true }); // rename over a non-empty directory fails
    expect(() => writeFileAtomicSync(target, 'x')).to.throw();
    expect(fs.readdirSync(dir)).to.deep.equal(['is-a-dir']);
  });
});
