// Model-based test (after Vector's file_watcher experiment): random sequences of appends (some ending mid-line),
// rename rotations (also two in quick succession, within the tailer's grace period), copytruncates, delete+recreate, restarts from the saved checkpoint and pauses run against the
// real FileTailer + StateStore and a tiny in-memory model of the lines written. Every case must deliver exactly the
// model's lines, in order: nothing lost, nothing repeated.
//
// What the writer side does before a destructive step is what any tailer needs and a real rotation gives it:
// - copytruncate: bytes not yet read when the file is cut are gone for every reader, so the test finishes the line
//   and lets the tailer catch up first (logrotate's copy holds those lines anyway);
// - delete: the tailer must have opened the file once (then it drains it by its fd), which it does as soon as it
//   sees the file at the path, even while it is still draining older files;
// - rename: no wait at all in 'unseen-rotate': a file written and renamed away before the tailer could see it at the
//   path (as a sensor's rotation can do with a log opened for rows due just before the boundary) is found beside the
//   path by its birth time. Files born in one tick of the filesystem clock are ordered by inode (documented
//   residual), so the step lets ~10 ms pass between creating two files;
// - restart: a restart drops the fds the tailer held. A renamed file and the generations after it are found again
//   beside the path; so are the generations after a deleted one (by the birth time its checkpoint records), but the
//   deleted file itself is gone: its unread lines are lost to any reader. So the test restarts at any moment, also
//   while the tailer drains a deleted file with rotated files queued behind it, but never with a deleted file's lines
//   unread: 'recreate' waits until the tailer has caught up, as a writer's delete gives no reader a second chance;
// - each new file starts with a line unique to it, as Zeek's `#open <time>` header does: a file with the same
//   inode and the same first bytes as the one before is indistinguishable to any tailer (documented residual).
//
// A second property, 'crash while a rotated file drains' (issue 17): rename rotations where the writer still appends
// to the renamed file, each followed at once by a restart. The grace period is a minute and the tailer's clock is
// moved past it at each restart, as if the agent had been down that long: a tailer that counts a rotated file's quiet
// time from when it noticed the rename (so from each restart) holds the new file back for a minute and the case
// times out; counted from the file's own mtime/ctime it goes on at once, and every line arrives once, in order.

import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { createLogger, MemorySink } from '../../../src/core/logger';
import { StateStore } from '../../../agent/state/state-store';
import { makeTempDir, startTailer, waitUntil, type RunningTailer } from './tailer-harness';

type Step =
  | { kind: 'append'; lines: Buffer[]; unfinished: Buffer }
  | { kind: 'rotate' }
  | { kind: 'double-rotate'; middle: Buffer[] }
  | { kind: 'unseen-rotate'; middle: Buffer[] }
  | { kind: 'copytruncate' }
  | { kind: 'recreate' }
  | { kind: 'restart' }
  | { kind: 'pause'; ms: number };

const NO_LF = (b: number): number => (b === 0x0a ? 0x41 : b);
const lineBytes = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 400 }) },
).map((a) => Buffer.from(a.map(NO_LF)));

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), lines: fc.array(lineBytes, { maxLength: 6 }), unfinished: fc.oneof(fc.constant(Buffer.alloc(0)), lineBytes) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'rotate' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('double-rotate' as const), middle: fc.array(lineBytes, { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unseen-rotate' as const), middle: fc.array(lineBytes, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'copytruncate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'recreate' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((ms) => ({ kind: 'pause' as const, ms })) },
);

/** What has been written, as the lines a perfect tailer must deliver. */
class WrittenLinesModel {
  readonly complete: string[] = [];
  unfinished = Buffer.alloc(0);

  append(lines: Buffer[], unfinished: Buffer): Buffer {
    if (lines.length > 0) {
      this.complete.push(Buffer.concat([this.unfinished, lines[0]]).toString('latin1'));
      for (const line of lines.slice(1)) this.complete.push(line.toString('latin1'));
      this.unfinished = Buffer.alloc(0);
    }
    this.unfinished = Buffer.concat([this.unfinished, unfinished]);
    return lines.length > 0 ? Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')]), unfinished]) : unfinished;
  }

  /** The file's writer is gone (rotated away, deleted): its unfinished line is shipped as a line of its own. */
  fileEnded(): void {
    if (this.unfinished.length > 0) this.complete.push(this.unfinished.toString('latin1'));
    this.unfinished = Buffer.alloc(0);
  }
}

describe('FileTailer model test', function () {
  this.timeout(180000);

  it('delivers exactly the written lines through rotations, truncations, deletions and restarts', async () => {
    let caseNumber = 0;
    /** Rotations that found the tailer still draining an older file: the burst case must really be exercised. */
    let rotationsWhileDraining = 0;
    /** Restarts while the tailer drained a deleted file with a rotated-away file queued behind it (the bornNs case). */
    let restartsAfterDeletedWithRotatedSuccessor = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('inotify' as const, 'polling' as const),
        fc.integer({ min: 5, max: 300 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(30, 120),
        async (steps, watchMode, readChunkBytes, maxLinesAtOnce, rotationGraceMs) => {
          const dir = makeTempDir('model');
          const file = path.join(dir, 'conn.log');
          const logs = new MemorySink();
          const store = new StateStore(dir, createLogger('model-state', logs));
          const model = new WrittenLinesModel();
          const delivered: string[] = [];
          let serial = 0;
          let rotations = 0;
          const startNewFile = (): void => {
            const header = Buffer.from(`#open case ${caseNumber} file ${serial++}`);
            fs.appendFileSync(file, model.append([header], Buffer.alloc(0)));
          };
          const launch = (): RunningTailer =>
            startTailer(
              { path: file, start: store.load('state'), watchMode, readChunkBytes, maxLinesAtOnce, rotationGraceMs, recheckIntervalMs: 20 },
              async (batch) => {
                // Delivered and checkpointed in one synchronous step, as a consumer confirming a batch would.
                for (const line of batch.lines) delivered.push(line.toString('latin1'));
                store.save('state', { path: batch.path, identity: batch.identity, offset: batch.endOffset });
              },
            );
          const caughtUp = (what: string): Promise<void> =>
            waitUntil(what, () => delivered.length >= model.complete.length, 5000).catch((err: Error) => {
              throw new Error(`${err.message}: delivered ${delivered.length} of ${model.complete.length}; tailer status ` +
                `${JSON.stringify(running.tailer.status())}; its log:\n${running.logs.lines.slice(-20).join('\n')}`);
            });
          /** The tailer holds the file now at the path open: it is reading it, or holds it to read after older ones. */
          const holdsFileAtPath = async (what: string): Promise<void> => {
            const ino = fs.statSync(file).ino;
            let pending = false;
            await waitUntil(`${what}: tailer opens the file at the path`, () => {
              const status = running.tailer.status();
              pending = (status.pending ?? []).some((p) => p.ino === ino);
              return pending || (status.identity?.ino === ino && status.readingFrom === undefined);
            }, 5000);
            if (pending) rotationsWhileDraining++;
          };
          const rotate = (): void => {
            fs.renameSync(file, `${file}.${++rotations}`);
            model.fileEnded();
            startNewFile();
          };
          caseNumber++;
          startNewFile();
          let running = launch();
          try {
            // A fresh start sets aside the generations already beside the path at its first look (older files are
            // not ours to ship): rotations start once that look found the file the case begins with.
            await waitUntil('tailer opens the first file', () => running.tailer.status().identity !== undefined, 5000);
            for (const s of steps) {
              switch (s.kind) {
                case 'append':
                  fs.appendFileSync(file, model.append(s.lines, s.unfinished));
                  break;
                case 'rotate':
                  await holdsFileAtPath('rotate');
                  rotate();
                  break;
                case 'double-rotate':
                  await holdsFileAtPath('double rotate, first');
                  rotate();
                  fs.appendFileSync(file, model.append(s.middle, Buffer.alloc(0)));
                  await holdsFileAtPath('double rotate, second');
                  rotate();
                  break;
                case 'unseen-rotate':
                  // The file at the path goes without waiting for the tailer; so does the next, written meanwhile.
                  await new Promise((r) => setTimeout(r, 10));
                  rotate();
                  fs.appendFileSync(file, model.append(s.middle, Buffer.alloc(0)));
                  await new Promise((r) => setTimeout(r, 10));
                  rotate();
                  break;
                case 'copytruncate':
                  fs.appendFileSync(file, model.append([Buffer.from('end of line before truncate')], Buffer.alloc(0)));
                  await caughtUp('copytruncate');
                  fs.truncateSync(file, 0);
                  startNewFile();
                  break;
                case 'recreate':
                  await holdsFileAtPath('recreate');
                  fs.unlinkSync(file);
                  model.fileEnded();
                  await caughtUp('recreate');
                  startNewFile();
                  break;
                case 'restart': {
                  const status = running.tailer.status();
                  const inodes = new Map(fs.readdirSync(dir).map((name) => [fs.statSync(path.join(dir, name)).ino, name]));
                  const drainingDeleted = status.identity !== undefined && !inodes.has(status.identity.ino);
                  const rotatedSuccessor = (status.pending ?? []).some((p) => (inodes.get(p.ino) ?? 'conn.log') !== 'conn.log');
                  if (drainingDeleted && rotatedSuccessor) restartsAfterDeletedWithRotatedSuccessor++;
                  await running.stop();
                  running = launch();
                  break;
                }
                case 'pause':
                  await new Promise((r) => setTimeout(r, s.ms));
                  break;
              }
            }
            fs.appendFileSync(file, model.append([Buffer.from('last')], Buffer.alloc(0)));
            await caughtUp('end of case');
            await running.stop();
            expect(delivered).to.deep.equal(model.complete);
          } finally {
            await running.stop();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      // A failing case shrinks slowly (each attempt waits out its bounded waits): stop shrinking in time and fail.
      { numRuns: 120, interruptAfterTimeLimit: 150000, markInterruptAsFailure: true },
    );
    expect(rotationsWhileDraining, 'rotations that found an older file still being drained').to.be.greaterThan(0);
    // Informative, not asserted: how often the random steps reached the state the example test pins down
    // ('after a restart while draining a deleted file ...' in file-tailer.test.ts).
    console.log(`      restarts while draining a deleted file with a rotated successor queued: ${restartsAfterDeletedWithRotatedSuccessor}`);
  });

  type CrashStep =
    | { kind: 'append'; lines: Buffer[]; unfinished: Buffer }
    | { kind: 'crash-while-draining'; lingering: Buffer[]; fresh: Buffer[] }
    | { kind: 'restart' }
    | { kind: 'pause'; ms: number };

  const crashStep: fc.Arbitrary<CrashStep> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), lines: fc.array(lineBytes, { maxLength: 6 }), unfinished: fc.oneof(fc.constant(Buffer.alloc(0)), lineBytes) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('crash-while-draining' as const), lingering: fc.array(lineBytes, { maxLength: 4 }), fresh: fc.array(lineBytes, { maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((ms) => ({ kind: 'pause' as const, ms })) },
  );

  it('crash while a rotated file drains: the file at the path is not held back, every line arrives once, in order', async () => {
    const graceMs = 60_000;
    let caseNumber = 0;
    let crashes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(crashStep, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('inotify' as const, 'polling' as const),
        fc.integer({ min: 5, max: 300 }),
        async (steps, watchMode, readChunkBytes) => {
          const dir = makeTempDir('model-crash');
          const file = path.join(dir, 'conn.log');
          const store = new StateStore(dir, createLogger('model-state', new MemorySink()));
          const model = new WrittenLinesModel();
          const delivered: string[] = [];
          let serial = 0;
          let rotations = 0;
          /** How far the tailer's clock is ahead of the wall clock: the time the agent was down, summed. */
          let downMs = 0;
          caseNumber++;
          const startNewFile = (): void => {
            fs.appendFileSync(file, model.append([Buffer.from(`#open crash case ${caseNumber} file ${serial++}`)], Buffer.alloc(0)));
          };
          const launch = (): RunningTailer =>
            startTailer(
              {
                path: file, start: store.load('state'), watchMode, readChunkBytes, rotationGraceMs: graceMs, lateWriteWatchMs: graceMs,
                recheckIntervalMs: 20, now: () => Date.now() + downMs,
              },
              async (batch) => {
                for (const line of batch.lines) delivered.push(line.toString('latin1'));
                store.save('state', { path: batch.path, identity: batch.identity, offset: batch.endOffset });
              },
            );
          startNewFile();
          let running = launch();
          try {
            for (const s of steps) {
              switch (s.kind) {
                case 'append':
                  fs.appendFileSync(file, model.append(s.lines, s.unfinished));
                  break;
                case 'crash-while-draining': {
                  const ino = fs.statSync(file).ino;
                  await waitUntil('crash step: tailer opens the file at the path', () => {
                    const status = running.tailer.status();
                    return (status.pending ?? []).some((p) => p.ino === ino) || status.identity?.ino === ino;
                  }, 5000);
                  const renamed = `${file}.${++rotations}`;
                  fs.renameSync(file, renamed);
                  // The writer finishes on the renamed file, then reopens the path (Zeek, logrotate's `create`).
                  fs.appendFileSync(renamed, model.append(s.lingering, Buffer.alloc(0)));
                  model.fileEnded();
                  startNewFile();
                  fs.appendFileSync(file, model.append(s.fresh, Buffer.alloc(0)));
                  await running.stop();
                  downMs += 2 * graceMs;
                  crashes++;
                  running = launch();
                  break;
                }
                case 'restart':
                  await running.stop();
                  running = launch();
                  break;
                case 'pause':
                  await new Promise((r) => setTimeout(r, s.ms));
                  break;
              }
            }
            fs.appendFileSync(file, model.append([Buffer.from('last')], Buffer.alloc(0)));
            await waitUntil(`end of case: delivered ${delivered.length} of ${model.complete.length}`, () => delivered.length >= model.complete.length, 5000);
            await running.stop();
            expect(delivered).to.deep.equal(model.complete);
          } finally {
            await running.stop();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40, interruptAfterTimeLimit: 90000, markInterruptAsFailure: true },
    );
    expect(crashes, 'crash steps run').to.be.greaterThan(0);
  });
});
