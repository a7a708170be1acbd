// The disk queue on a full filesystem (issue 17, section 9): a small tmpfs fills up under the queue. The queue names
// the cause (no space left on device) once, makes enqueue() wait instead of failing, writes nothing half, and goes
// on once space returns, delivering every message once and in order.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { createLogger, MemorySink } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { range } from '../transport/forward-action-fixture';
import { PipelinedFakeTransport } from './pipelined-fake-transport';
import { mountSmallTmpfs } from '../../helpers/small-tmpfs';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: line ${String(i).padStart(6, '0')}\tx`);
const numberOf = (m: Buffer): number => Number(/line (\d+)/.exec(m.toString('latin1'))![1]);

describe('DeliveryQueue on a full disk (ENOSPC)', function () {
  this.timeout(60_000);
  let dir: string;
  let mnt: string | undefined;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(() => { dir = makeTempDir('queue-enospc'); });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined); // the mount goes whatever happens
    if (mnt) {
      try {
        execFileSync('umount', [mnt]);
      } catch {
        execFileSync('umount', ['-l', mnt]);
      }
      mnt = undefined;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the cause once, holds enqueue() back, and delivers everything in order once space returns', async function () {
    const where = path.join(dir, 'mnt');
    fs.mkdirSync(where);
    mountSmallTmpfs(where, '64k');
    mnt = where;
    const sink = new MemorySink();
    const transport = new PipelinedFakeTransport({ maxBatchesInFlight: 1, numberOf });
    transport.setUp(false); // the collector is down: everything goes to disk
    const durable: number[] = [];
    const queue = new DeliveryQueue({
      transport, memoryMessages: 50, diskDirectory: path.join(where, 'queue'), diskMaxBytes: 1 << 30, batchMaxMessages: 50,
      logger: createLogger('queue', sink), onDurable: (t) => durable.push(t.id), retryBackoff: { initialMs: 5, maxMs: 20 },
      spillAfterMs: 50, diskSegmentBytes: 16 << 10,
    });
    closers.push(async () => {
      transport.setUp(true);
      await queue.close();
    });
    const total = 3000;
    const settled: (true | Error)[] = [];
    const accepted = range(0, total / 100).map((b) => queue.enqueue(range(b * 100, b * 100 + 100).map(msg), { id: b })
      .then(() => { settled[b] = true; }, (err: Error) => { settled[b] = err; }));
    await waitFor('the disk to fill', () => sink.lines.some((l) => / ERROR /.test(l)), 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // retries meanwhile must stay quiet
    const errors = sink.lines.filter((l) => / ERROR /.test(l));
    expect(errors, 'one ERROR line for the cause').to.have.length(1);
    expect(errors[0]).to.match(/cannot write the disk queue.*no space left on device/);
    expect(settled.filter((s) => s instanceof Error), 'enqueue() rejected').to.deep.equal([]);
    expect(settled[total / 100 - 1], 'the last enqueue waits for space').to.equal(undefined);

    execFileSync('mount', ['-o', 'remount,size=4m', where]);
    await Promise.all(accepted);
    expect(settled.every((s) => s === true)).to.equal(true);
    expect(sink.lines.filter((l) => /disk queue written again/.test(l)), 'one INFO line on recovery').to.have.length(1);
    await waitFor('all tokens durable', () => durable.length === total / 100, 10_000);
    expect(durable).to.deep.equal(range(0, total / 100));

    transport.setUp(true);
    await waitFor('everything delivered', () => transport.confirmed.length >= total, 20_000);
    expect(transport.confirmed).to.deep.equal(range(0, total));
    expect(transport.violations).to.deep.equal([]);
    expect(sink.lines.filter((l) => /read error/.test(l))).to.deep.equal([]);
  });

  it('the collector comes back while the disk is full: delivery frees the space, each failure logged once per cause, nothing lost or repeated', async function () {
    const where = path.join(dir, 'mnt');
    fs.mkdirSync(where);
    mountSmallTmpfs(where, '64k');
    mnt = where;
    const sink = new MemorySink();
    const transport = new PipelinedFakeTransport({ maxBatchesInFlight: 2, numberOf });
    transport.setUp(false);
    const queue = new DeliveryQueue({
      transport, memoryMessages: 50, diskDirectory: path.join(where, 'queue'), diskMaxBytes: 1 << 30, batchMaxMessages: 20,
      logger: createLogger('queue', sink), onDurable: () => undefined, retryBackoff: { initialMs: 5, maxMs: 20 },
      spillAfterMs: 50, diskSegmentBytes: 8 << 10,
    });
    closers.push(async () => {
      transport.setUp(true);
      await queue.close();
    });
    const total = 3000;
    const accepted = range(0, total / 100).map((b) => queue.enqueue(range(b * 100, b * 100 + 100).map(msg), { id: b }));
    await waitFor('the disk to fill', () => sink.lines.some((l) => / ERROR /.test(l)), 20_000);
    transport.setUp(true);
    await Promise.all(accepted);
    await waitFor('everything delivered', () => transport.confirmed.length >= total && queue.stats().state === 'idle', 30_000);
    expect(transport.confirmed).to.deep.equal(range(0, total));
    expect(transport.received, 'nothing sent twice').to.deep.equal(range(0, total));
    const errors = sink.lines.filter((l) => / ERROR /.test(l));
    // Appends and (while the disk stays full) read-pointer writes may both fail: each cause once per spell.
    const appendErrors = errors.filter((l) => /cannot write the disk queue/.test(l));
    const recoveries = sink.lines.filter((l) => /disk queue written again/.test(l));
    expect(appendErrors.length, errors.join('\n')).to.be.at.least(1);
    expect(appendErrors.length, 'one line per spell of failures').to.be.at.most(recoveries.length + 1);
    const pointerErrors = errors.filter((l) => /cannot record delivered/.test(l));
    const pointerRecoveries = sink.lines.filter((l) => /read pointer written again/.test(l));
    expect(pointerErrors.length, 'one line per spell of failures').to.be.at.most(pointerRecoveries.length + 1);
    expect(errors.length, errors.join('\n')).to.equal(appendErrors.length + pointerErrors.length);
    if (process.env.NSM_TEST_VERBOSE) console.log(errors.length, appendErrors.length, recoveries.length, pointerErrors.length, pointerRecoveries.length);
  });
});
