// Example tests of FileTailer on real files in a temp directory: each behaviour of the "never lose, never repeat a
// line" contract on its own (partial lines, start positions, rotation, truncation, deletion, symlinks, errors).

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { createHook } from 'async_hooks';
import { execFileSync } from 'child_process';
import * as net from 'net';
import { createLogger, MemorySink } from '../../../src/core/logger';
import { StateStore, type FileCheckpoint } from '../../../agent/state/state-store';
import { bornNsOf, identifyOpenFile, type FileIdentity } from '../../../agent/tailer/file-identity';
import { makeTempDir, startTailer, waitUntil, type RunningTailer } from './tailer-harness';

describe('FileTailer', () => {
  let dir: string;
  let running: RunningTailer | undefined;

  beforeEach(() => {
    dir = makeTempDir('tailer');
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function identityOf(file: string): Promise<FileIdentity> {
    const handle = await fs.promises.open(file, 'r');
    try {
      const st = await handle.stat();
      return await identifyOpenFile(handle, st.dev, st.ino);
    } finally {
      await handle.close();
    }
  }

  it('holds back a partial last line until its LF arrives, keeps CR and binary bytes, skips empty lines', async () => {
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, Buffer.from('one\r\n\n\ntw'));
    running = startTailer({ path: file });
    await waitUntil('first line', () => running!.lines().length === 1);
    expect(running.lines()).to.deep.equal(['one\r']);
    expect(running.batches.find((b) => b.lines.length > 0)!.endOffset).to.equal(7, 'covers the two skipped empty lines');
    fs.appendFileSync(file, Buffer.from([0x6f, 0xff, 0xfe, 0x00, 0xc3, 0x0a]));
    await waitUntil('second line', () => running!.lines().length === 2);
    expect(running.batches.flatMap((b) => b.lines)[1]).to.deep.equal(Buffer.from([0x74, 0x77, 0x6f, 0xff, 0xfe, 0x00, 0xc3]));
    expect(running.tailer.status().offset).to.equal(fs.statSync(file).size);
  });

  it('cuts lines longer than maxLineBytes into pieces and honours maxLinesAtOnce', async () => {
    const file = path.join(dir, 'long.log');
    fs.writeFileSync(file, 'x'.repeat(25) + '\n' + 'a\nb\nc\nd\ne\n');
    running = startTailer({ path: file, maxLineBytes: 10, maxLinesAtOnce: 2 });
    await waitUntil('all lines', () => running!.lines().length === 8);
    expect(running.lines()).to.deep.equal(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5), 'a', 'b', 'c', 'd', 'e']);
    for (const batch of running.batches) expect(batch.lines.length).to.be.at.most(2);
  });

  it('waits for each batch to be accepted before delivering the next (back-pressure)', async () => {
    const file = path.join(dir, 'bp.log');
    fs.writeFileSync(file, Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\n');
    let inFlight = 0;
    let maxInFlight = 0;
    running = startTailer({ path: file, maxLinesAtOnce: 3 }, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    await waitUntil('20 lines', () => running!.lines().length === 20);
    expect(maxInFlight).to.equal(1);
  });

  describe('start position', () => {
    it('resumes at the checkpoint offset when the identity matches', async () => {
      const file = path.join(dir, 's.log');
      fs.writeFileSync(file, 'old1\nold2\n');
      const identity = await identityOf(file);
      fs.appendFileSync(file, 'new1\n');
      running = startTailer({ path: file, start: { path: file, identity, offset: 10 } });
      await waitUntil('new line', () => running!.lines().length >= 1);
      expect(running.lines()).to.deep.equal(['new1']);
    });

    it('reads from 0 when the checkpoint offset is beyond the end (truncated while down) and warns', async () => {
      const file = path.join(dir, 's.log');
      fs.writeFileSync(file, 'abc\n');
      const identity = await identityOf(file);
      running = startTailer({ path: file, start: { path: file, identity, offset: 999 } });
      await waitUntil('line', () => running!.lines().length >= 1);
      expect(running.lines()).to.deep.equal(['abc']);
      expect(running.logs.lines.some((l) => /WARN .*beyond the end/.test(l))).to.equal(true);
    });

    it('reads from 0 when the inode is the same but the content is another file (inode reuse)', async () => {
      const file = path.join(dir, 's.log');
      fs.writeFileSync(file, '#open 2024-01-01\nfirst file\n');
      const identity = await identityOf(file);
      // Same inode, new content: what a reused inode looks like to a tailer.
      fs.writeFileSync(file, '#open 2024-01-02\nsecond file line\n');
      running = startTailer({ path: file, start: { path: file, identity, offset: 17 } });
      await waitUntil('lines', () => running!.lines().length >= 2);
      expect(running.lines()).to.deep.equal(['#open 2024-01-02', 'second file line']);
    });

    it('without a checkpoint starts at 0, or after the last complete line with freshStartTail', async () => {
      const file = path.join(dir, 's.log');
      fs.writeFileSync(file, 'a\nb\npart');
      running = startTailer({ path: file, freshStartTail: true });
      await waitUntil('tailer open', () => running!.tailer.status().state === 'idle');
      fs.appendFileSync(file, 'ial\nc\n');
      await waitUntil('lines', () => running!.lines().length >= 2);
      expect(running.lines()).to.deep.equal(['partial', 'c']);
      await running.stop();
      running = startTailer({ path: file, freshStartTail: false });
      await waitUntil('lines', () => running!.lines().length >= 4);
      expect(running.lines()).to.deep.equal(['a', 'b', 'partial', 'c']);
    });

    it('a checkpoint offset inside a line: warns naming the file and offset, resumes at the next line start', async () => {
      const file = path.join(dir, 'conn.log');
      fs.writeFileSync(file, 'first line\nsecond line\nthird\n');
      const identity = await identityOf(file);
      running = startTailer({ path: file, start: { path: file, identity, offset: 14 } }); // inside 'second line'
      await waitUntil('line', () => running!.lines().length >= 1);
      fs.appendFileSync(file, 'fourth\n');
      await waitUntil('appended line', () => running!.lines().length >= 2);
      expect(running.lines()).to.deep.equal(['third', 'fourth']);
      const warnings = running.logs.lines.filter((l) => /WARN .*inside a line/.test(l));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain(file).and.contain('offset=14');
    });

    it('a checkpoint offset inside a line of a file renamed while down, the rest of that line not written yet', async () => {
      const file = path.join(dir, 'conn.log');
      fs.writeFileSync(file, 'first line\nsecond li');
      const identity = await identityOf(file);
      fs.renameSync(file, file + '.1');
      fs.writeFileSync(file, 'new file\n');
      running = startTailer({ path: file, start: { path: file, identity, offset: 15 } });
      await waitUntil('tailer on the renamed file', () => running!.tailer.status().readingFrom === file + '.1');
      fs.appendFileSync(file + '.1', 'ne\nthird\n');
      await waitUntil('lines', () => running!.lines().length >= 2);
      expect(running.lines()).to.deep.equal(['third', 'new file']);
      expect(running.logs.lines.filter((l) => /WARN .*inside a line/.test(l))).to.have.length(1);
    });

    it('offsets at a line start, at the end of the file or where a long line was cut are taken without a warning', async () => {
      const file = path.join(dir, 'conn.log');
      fs.writeFileSync(file, 'x'.repeat(25) + '\nabc\n');
      const identity = await identityOf(file);
      // maxLineBytes 10: the 25-byte line went out as pieces ending at 10, 20 and 26 (its LF).
      running = startTailer({ path: file, maxLineBytes: 10, start: { path: file, identity, offset: 20 } });
      await waitUntil('lines', () => running!.lines().length >= 2);
      expect(running.lines()).to.deep.equal(['xxxxx', 'abc']);
      expect(running.logs.lines.filter((l) => /inside a line/.test(l))).to.deep.equal([]);
    });

    it('resumes a file that was renamed beside the path while the agent was down, then reads the new one', async () => {
      const file = path.join(dir, 'conn.log');
      fs.writeFileSync(file, 'l1\nl2\n');
      const identity = await identityOf(file);
      fs.appendFileSync(file, 'l3\n');
      fs.renameSync(file, file + '.1');
      fs.writeFileSync(file, 'n1\n');
      running = startTailer({ path: file, start: { path: file, identity, offset: 3 } });
      await waitUntil('lines', () => running!.lines().length >= 3);
      expect(running.lines()).to.deep.equal(['l2', 'l3', 'n1']);
    });
  });

  it('every batch carries the file\'s birth time, unchanged as the head grows and after a truncation', async () => {
    const file = path.join(dir, 'born.log');
    fs.writeFileSync(file, 'short\n');
    const born = String(bornNsOf(fs.statSync(file, { bigint: true })));
    expect((await identityOf(file)).bornNs).to.equal(born);
    running = startTailer({ path: file });
    await waitUntil('first', () => running!.lines().length === 1);
    fs.appendFileSync(file, 'x'.repeat(300) + '\n'); // the head widens to FINGERPRINT_BYTES: a new identity object
    await waitUntil('second', () => running!.lines().length === 2);
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, 'after truncation\n');
    await waitUntil('third', () => running!.lines().length === 3);
    expect(running.batches.map((b) => b.identity.bornNs)).to.deep.equal(running.batches.map(() => born));
    const widened = running.batches.find((b) => b.lines.some((l) => l.length === 300))!;
    expect(widened.identity.fingerprint, 'identity recomputed over the whole head').to.not.equal('');
  });

  it('birth time falls back to the mtime where the filesystem reports none (0), never to the ctime', () => {
    const st = fs.statSync(__filename, { bigint: true });
    expect(bornNsOf(st)).to.equal(st.birthtimeNs > 0n ? st.birthtimeNs : st.mtimeNs);
    const withoutBirth = Object.assign(Object.create(Object.getPrototypeOf(st)) as fs.BigIntStats, st, { birthtimeNs: 0n, mtimeNs: 5n, ctimeNs: 9n });
    expect(bornNsOf(withoutBirth)).to.equal(5n);
  });

  it('a rotated file written to after it was drained: the new lines are shipped with the new file\'s checkpoint, until it is quiet', async () => {
    const file = path.join(dir, 'conn.log');
    fs.writeFileSync(file, 'old 1\n');
    running = startTailer({ path: file, rotationGraceMs: 50, lateWriteWatchMs: 600 });
    await waitUntil('first', () => running!.lines().length === 1);
    const oldIno = fs.statSync(file).ino;
    const writer = fs.openSync(file, 'a');
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, 'new 1\n');
    const newIno = fs.statSync(file).ino;
    await waitUntil('old file drained and watched', () => (running!.tailer.status().lateWatched ?? []).some((f) => f.ino === oldIno));
    expect(running.lines()).to.deep.equal(['old 1', 'new 1']);
    fs.writeSync(writer, 'old 2, late\n');
    fs.closeSync(writer);
    await waitUntil('late line', () => running!.lines().length === 3);
    const late = running.batches.find((b) => b.lines.some((l) => l.toString() === 'old 2, late'))!;
    expect([late.source.ino, late.identity.ino, late.endOffset]).to.deep.equal([oldIno, newIno, 6]);
    await waitUntil('old file let go once quiet', () => running!.tailer.status().lateWatched === undefined);
    expect(running.logs.lines.filter((l) => /written to again/.test(l))).to.have.length(1);
  });

  it('drains a renamed file (including appends after the rename) with its old identity, then reads the new file from 0', async () => {
    const file = path.join(dir, 'conn.log');
    fs.writeFileSync(file, 'before\n');
    running = startTailer({ path: file, rotationGraceMs: 300 });
    await waitUntil('first', () => running!.lines().length === 1);
    const oldIdentity = running.tailer.status().identity!;
    const writer = fs.openSync(file, 'a');
    fs.renameSync(file, path.join(dir, 'conn.log.1'));
    fs.writeFileSync(file, 'new file\n');
    fs.writeSync(writer, 'after rename\nhalf');
    fs.closeSync(writer);
    await waitUntil('all', () => running!.lines().length === 4);
    expect(running.lines()).to.deep.equal(['before', 'after rename', 'half', 'new file']);
    const last = running.batches[running.batches.length - 1];
    expect(last.identity.ino).to.equal(fs.statSync(file).ino);
    // Each newly opened file is announced by an empty batch (so a checkpoint names it before its first line).
    const announcements = running.batches.filter((b) => b.lines.length === 0);
    expect(announcements.map((b) => [b.identity.ino, b.endOffset])).to.deep.equal([[oldIdentity.ino, 0], [last.identity.ino, 0]]);
    const oldBatches = running.batches.filter((b) => b.lines.some((l) => l.toString() === 'after rename'));
    expect(oldBatches[0].identity.ino).to.equal(oldIdentity.ino);
  });

  describe('rotations within the grace period', () => {
    it('holds every new file from the moment it is at the path and reads 3 rotations in order, each line once', async () => {
      const file = path.join(dir, 'conn.log');
      fs.writeFileSync(file, 'a1\n');
      running = startTailer({ path: file, rotationGraceMs: 600 });
      await waitUntil('a1', () => running!.lines().length === 1);
      const writers: number[] = [];
      const inodes: number[] = [fs.statSync(file).ino];
      for (const name of ['b', 'c', 'd']) {
        // The writer of the file being rotated keeps its fd, as a daemon does until it reopens its log.
        writers.push(fs.openSync(file, 'a'));
        fs.renameSync(file, `${file}.${writers.length}`);
        fs.writeFileSync(file, `${name}1\n`);
        inodes.push(fs.statSync(file).ino);
        const expected = inodes.slice(1);
        await waitUntil(`tailer holds ${name}`, () => (running!.tailer.status().pending ?? []).map((p) => p.ino).join() === expected.join());
      }
      // All three rotations happened while the first file was still in its grace period.
      expect(running.tailer.status().identity?.ino).to.equal(inodes[0]);
      expect(running.lines()).to.deep.equal(['a1']);
      writers.forEach((fd, i) => fs.writeSync(fd, `${'abc'[i]}2\n`));
      writers.forEach((fd) => fs.closeSync(fd));
      fs.appendFileSync(file, 'd2\n');
      await waitUntil('all 8 lines', () => running!.lines().length >= 8);
      expect(running.lines()).to.deep.equal(['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1', 'd2']);
      // Each file is announced once when its turn comes, and its lines carry its own identity.
      expect(running.batches.filter((b) => b.lines.length === 0).map((b) => b.identity.ino)).to.deep.equal(inodes);
      for (const batch of running.batches.filter((b) => b.lines.length > 0)) {
        expect(batch.identity.ino).to.equal(inodes['abcd'.indexOf(batch.lines[0].toString()[0])]);
      }
      expect(running.tailer.status().pending).to.equal(undefined);
    });

    it('after a restart in the middle, resumes the renamed file, then the generations that followed it, then the path', async () => {
      const file = path.join(dir, 'conn.log');
      const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 15)); // birth times are clock-tick coarse
      fs.writeFileSync(`${file}.9`, 'older generation, already shipped\n');
      await pause();
      fs.writeFileSync(file, 'a1\na2\n');
      const identity = await identityOf(file);
      fs.appendFileSync(file, 'a3\n');
      fs.renameSync(file, `${file}.1`);
      await pause();
      fs.writeFileSync(file, 'b1\n');
      fs.renameSync(file, `${file}.2`);
      await pause();
      fs.writeFileSync(path.join(dir, 'dns.log'), 'another log\n');
      fs.writeFileSync(`${file}.3.gz`, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x0a]));
      await pause();
      fs.writeFileSync(file, 'c1\n');
      fs.renameSync(file, `${file}.3`);
      await pause();
      fs.writeFileSync(file, 'd1\n');
      running = startTailer({ path: file, start: { path: file, identity, offset: 3 } });
      await waitUntil('lines', () => running!.lines().length >= 5);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may come (a re-read or a skipped file)
      expect(running.lines()).to.deep.equal(['a2', 'a3', 'b1', 'c1', 'd1']);
    });

    /**
     * The tailer drains a deleted conn.log (A) by its fd, with B (rotated away to conn.log.1) and C (at the path)
     * queued behind it, and is stopped there. Returns the checkpoint it left, as the state file holds it, and a
     * writer fd still open on A.
     */
    async function stopWhileDrainingDeletedFileWithSuccessors(): Promise<{ file: string; checkpoint: FileCheckpoint; writerOnA: number }> {
      const file = path.join(dir, 'conn.log');
      const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 15)); // birth times are clock-tick coarse
      fs.writeFileSync(`${file}.9`, 'older generation, already shipped\n');
      await pause();
      fs.writeFileSync(file, 'a1\n');
      const writerOnA = fs.openSync(file, 'a');
      // The state file sits beside the log on purpose: conn.state shares the stem and must not be taken for a generation.
      const store = new StateStore(dir, createLogger('state', new MemorySink()));
      // A long grace period: A stays the file being drained for the whole test.
      running = startTailer({ path: file, rotationGraceMs: 60000 }, async (batch) => {
        store.save('conn.state', { path: batch.path, identity: batch.identity, offset: batch.endOffset });
      });
      await waitUntil('a1', () => running!.lines().length === 1);
      const inodeA = fs.statSync(file).ino;
      fs.unlinkSync(file);
      fs.writeSync(writerOnA, 'a2 written after the delete\n');
      await waitUntil('a2, read from the deleted file', () => running!.lines().length === 2);
      await pause();
      fs.writeFileSync(file, 'b1\n');
      const inodeB = fs.statSync(file).ino;
      await waitUntil('tailer holds B', () => (running!.tailer.status().pending ?? []).some((p) => p.ino === inodeB));
      fs.renameSync(file, `${file}.1`);
      await pause();
      fs.writeFileSync(file, 'c1\n');
      const inodeC = fs.statSync(file).ino;
      await waitUntil('tailer holds C', () => (running!.tailer.status().pending ?? []).some((p) => p.ino === inodeC));
      const status = running.tailer.status();
      expect(status.identity?.ino, 'still draining the deleted A').to.equal(inodeA);
      expect(status.pending!.map((p) => p.ino)).to.deep.equal([inodeB, inodeC]);
      await running.stop();
      running = undefined;
      const checkpoint = store.load('conn.state')!;
      expect(checkpoint.identity.ino).to.equal(inodeA);
      return { file, checkpoint, writerOnA };
    }

    it('after a restart while draining a deleted file, reads the rotated files that followed it, then the path', async () => {
      const { file, checkpoint, writerOnA } = await stopWhileDrainingDeletedFileWithSuccessors();
      expect(checkpoint.identity.bornNs, 'the checkpoint records when A was born').to.match(/^[0-9]+$/);
      // Written to A while the agent is down: A is deleted, so no reader can get this line back (documented loss).
      fs.writeSync(writerOnA, 'a3 written while the agent is down\n');
      fs.closeSync(writerOnA);
      running = startTailer({ path: file, start: checkpoint });
      await waitUntil('b1, c1', () => running!.lines().length >= 2);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may come (a re-read of conn.log.9 or of B)
      expect(running.lines()).to.deep.equal(['b1', 'c1']);
      expect(running.logs.lines.some((l) => /WARN .*checkpoint's file is gone/.test(l))).to.equal(true);
      // B was read as a rotated file and C is the file now being followed at the path.
      expect(running.tailer.status().identity?.ino).to.equal(fs.statSync(file).ino);
      expect(running.tailer.status().pending).to.equal(undefined);
    });

    it('with a state file from before birth times were recorded, still starts, reading the file at the path from 0', async () => {
      const { file, checkpoint, writerOnA } = await stopWhileDrainingDeletedFileWithSuccessors();
      fs.closeSync(writerOnA);
      const { bornNs: _dropped, ...oldIdentity } = checkpoint.identity;
      running = startTailer({ path: file, start: { ...checkpoint, identity: oldIdentity } });
      await waitUntil('c1', () => running!.lines().length >= 1);
      await new Promise((r) => setTimeout(r, 300));
      // Without A's birth time there is nothing to search from: B (conn.log.1) is not found. This is the gap
      // bornNs closes; the test pins that old state files still load and lose no more than they did.
      expect(running.lines()).to.deep.equal(['c1']);
    });
  });

  for (const reopenOnTruncate of [true, false]) {
    it(`detects copytruncate at once and ships lines written after the truncation (reopenOnTruncate ${reopenOnTruncate})`, async () => {
      const file = path.join(dir, 't.log');
      fs.writeFileSync(file, 'a long first line\nanother long line\n');
      running = startTailer({ path: file, reopenOnTruncate });
      await waitUntil('2 lines', () => running!.lines().length === 2);
      fs.truncateSync(file, 0);
      fs.appendFileSync(file, 'x\n');
      await waitUntil('3 lines', () => running!.lines().length === 3);
      expect(running.lines()[2]).to.equal('x');
      expect(running.logs.lines.some((l) => /WARN .*truncated/.test(l))).to.equal(true);
    });
  }

  it('detects a truncation followed by growth past the old offset (first bytes changed)', async () => {
    const file = path.join(dir, 't.log');
    fs.writeFileSync(file, '#open 1\nold\n');
    running = startTailer({ path: file });
    await waitUntil('2 lines', () => running!.lines().length === 2);
    // Synchronous: the tailer cannot look between the truncate and the rewrite.
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, '#open 2\nnew content that is longer\n');
    await waitUntil('4 lines', () => running!.lines().length === 4);
    expect(running.lines().slice(2)).to.deep.equal(['#open 2', 'new content that is longer']);
  });

  it('waits for a missing file, finishes a deleted file by its fd, then picks up the next one', async () => {
    const file = path.join(dir, 'later.log');
    running = startTailer({ path: file });
    await waitUntil('waiting', () => running!.tailer.status().state === 'waiting-for-file');
    fs.writeFileSync(file, 'hello\n');
    await waitUntil('hello', () => running!.lines().length === 1);
    const writer = fs.openSync(file, 'a');
    fs.unlinkSync(file);
    fs.writeSync(writer, 'written after delete\n');
    fs.closeSync(writer);
    await waitUntil('drained', () => running!.lines().length === 2);
    await waitUntil('waiting again', () => running!.tailer.status().state === 'waiting-for-file');
    fs.writeFileSync(file, 'next\n');
    await waitUntil('next', () => running!.lines().length === 3);
    expect(running.lines()).to.deep.equal(['hello', 'written after delete', 'next']);
  });

  for (const watchMode of ['inotify', 'polling'] as const) {
    it(`follows a re-pointed symlinked directory after draining the old one (${watchMode})`, async () => {
      fs.mkdirSync(path.join(dir, 'spool-1'));
      fs.mkdirSync(path.join(dir, 'spool-2'));
      fs.symlinkSync('spool-1', path.join(dir, 'current'));
      const file = path.join(dir, 'current', 'conn.log');
      fs.writeFileSync(path.join(dir, 'spool-1', 'conn.log'), 'spool1 a\n');
      running = startTailer({ path: file, watchMode });
      await waitUntil('first', () => running!.lines().length === 1);
      fs.writeFileSync(path.join(dir, 'spool-2', 'conn.log'), 'spool2 a\n');
      fs.symlinkSync('spool-2', path.join(dir, 'current.new'));
      fs.renameSync(path.join(dir, 'current.new'), path.join(dir, 'current'));
      fs.appendFileSync(path.join(dir, 'spool-1', 'conn.log'), 'spool1 b\n');
      await waitUntil('switched', () => running!.lines().length === 3);
      fs.appendFileSync(path.join(dir, 'spool-2', 'conn.log'), 'spool2 b\n');
      await waitUntil('more', () => running!.lines().length === 4);
      expect(running.lines()).to.deep.equal(['spool1 a', 'spool1 b', 'spool2 a', 'spool2 b']);
    });
  }

  describe('a path that leads to something other than a regular file', () => {
    const kinds: Array<{ kind: string; make: (p: string) => Promise<() => Promise<void>> }> = [
      { kind: 'FIFO', make: async (p) => { execFileSync('mkfifo', [p]); return async () => fs.rmSync(p); } },
      { kind: 'directory', make: async (p) => { fs.mkdirSync(p); return async () => fs.rmdirSync(p); } },
      { kind: 'character device', make: async (p) => { fs.symlinkSync('/dev/null', p); return async () => fs.rmSync(p); } },
      {
        kind: 'socket',
        make: async (p) => {
          const server = net.createServer();
          await new Promise<void>((resolve) => server.listen(p, resolve));
          return () => new Promise<void>((resolve) => server.close(() => resolve()));
        },
      },
    ];
    for (const { kind, make } of kinds) {
      it(`${kind}: never opened blocking, logged once, retried, read once a regular file replaces it`, async () => {
        const file = path.join(dir, 'conn.log');
        const remove = await make(file);
        running = startTailer({ path: file, recheckIntervalMs: 10 });
        await waitUntil('error state', () => running!.tailer.status().state === 'error');
        const errors = (): string[] => running!.logs.lines.filter((l) => / ERROR /.test(l));
        // Many retries at 10 ms (the polling back-end wakes at least every 20 ms): still one line.
        const polls = running.logs.lines.length;
        await new Promise((r) => setTimeout(r, 300));
        expect(running.logs.lines.length, 'nothing logged per retry').to.equal(polls);
        expect(errors()).to.have.length(1);
        expect(errors()[0]).to.contain(`is a ${kind}`).and.contain('not a regular file');
        expect(running.tailer.status().lastError).to.contain(kind);
        await remove();
        fs.writeFileSync(file, 'a regular file now\n');
        await waitUntil('line', () => running!.lines().length === 1);
        expect(running.lines()).to.deep.equal(['a regular file now']);
        expect(running.logs.lines.some((l) => /readable again/.test(l))).to.equal(true);
      });
    }

    it('four FIFOs at four paths (libuv\'s thread pool size) do not stop a fifth tailer, and all stop promptly', async () => {
      const others: RunningTailer[] = [];
      try {
        for (let i = 0; i < 4; i++) {
          const fifo = path.join(dir, `pipe${i}.log`);
          execFileSync('mkfifo', [fifo]);
          others.push(startTailer({ path: fifo }));
        }
        await waitUntil('every FIFO reported', () => others.every((t) => t.tailer.status().state === 'error'));
        const file = path.join(dir, 'conn.log');
        fs.writeFileSync(file, 'still read\n');
        running = startTailer({ path: file });
        await waitUntil('line', () => running!.lines().length === 1);
      } finally {
        // Each stop() resolves only once its tailer's loop ended: a tailer stuck in open(2) never would.
        await Promise.all(others.map((t) => t.stop()));
      }
    });
  });

  it('stops promptly while waiting and leaves no fd or timer behind', async () => {
    const file = path.join(dir, 'x.log');
    fs.writeFileSync(file, 'x\n');
    // Timers created by the agent's code (dist/agent/...) and not yet fired or cleared.
    const agentTimers = new Set<number>();
    const hook = createHook({
      init(id, type) {
        if (type === 'Timeout' && /[\\/]dist[\\/]agent[\\/]/.test(new Error().stack ?? '')) agentTimers.add(id);
      },
      destroy(id) {
        agentTimers.delete(id);
      },
    }).enable();
    try {
      for (const watchMode of ['inotify', 'polling'] as const) {
        running = startTailer({ path: file, recheckIntervalMs: 3_600_000, watchMode });
        await waitUntil('line', () => running!.lines().length === 1);
        await waitUntil('idle', () => running!.tailer.status().state === 'idle');
        const target = fs.realpathSync(file);
        const openFds = (): string[] =>
          fs.readdirSync('/proc/self/fd').filter((fd) => {
            try {
              return fs.readlinkSync(`/proc/self/fd/${fd}`) === target;
            } catch {
              return false;
            }
          });
        expect(openFds()).to.have.length(1);
        await running.stop(); // would hang for an hour (mocha fails it at 60 s) if the wait were not aborted
        running = undefined;
        expect(openFds()).to.have.length(0);
        await waitUntil('agent timers destroyed', () => agentTimers.size === 0, 2000);
      }
    } finally {
      hook.disable();
    }
  });
});
