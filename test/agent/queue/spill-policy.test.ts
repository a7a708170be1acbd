// When the delivery queue uses its disk: never while the transport delivers (a full memory makes enqueue() wait,
// the tailed files being the buffer), only once the transport has stopped delivering for spillAfterMs; memory
// stays within memoryMessages even for larger batches; the order of messages and of onDurable stays global
// across both transitions (up -> down -> up), with one batch or several in flight; and once spilled, memory is
// empty and every token durable.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { createTransport } from '../../../agent/transport/create-transport';
import { silentLogger } from '../../../src/core/logger';
import { freePort, makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FAST_RECONNECT, forwardAction, range } from '../transport/forward-action-fixture';
import { PipelinedFakeTransport } from './pipelined-fake-transport';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: line ${String(i).padStart(6, '0')}\tx`);

/** Bytes in the disk queue's segment files right now. */
function segmentBytes(dir: string): number {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.q')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

describe('DeliveryQueue spill policy with a real rsyslogd collector', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('collector up and fast: 50,000 messages through a 1,000-message memory write 0 bytes to disk', async function () {
    const collector = await SyslogCollector.start({ protocol: 'tcp' });
    cleanup.push(() => collector.stop());
    const dir = makeTempDir('queue-no-spill');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const transport = createTransport(forwardAction('tcp', collector.port, 'octet-counted'), silentLogger, FAST_RECONNECT);
    const durable: number[] = [];
    // Default spillAfterMs: the policy as the agent runs it.
    const queue = new DeliveryQueue({
      transport, memoryMessages: 1000, diskDirectory: dir, diskMaxBytes: 64 << 20, batchMaxMessages: 500,
      logger: silentLogger, onDurable: (t) => durable.push(t.id),
    });
    cleanup.push(async () => {
      await queue.close();
      await transport.close();
    });
    const total = 50_000;
    const perEnqueue = 100;
    // All enqueues at once: memory fills after ten of them, so the rest can only wait (or, wrongly, spill).
    const accepted: Promise<void>[] = [];
    for (let b = 0; b < total / perEnqueue; b++) accepted.push(queue.enqueue(range(b * perEnqueue, (b + 1) * perEnqueue).map(msg), { id: b }));
    await new Promise((r) => setImmediate(r));
    expect(queue.stats().memoryMessages).to.be.at.most(1000);
    await Promise.all(accepted);
    const got = await collector.waitForMessages(total, 60_000);
    expect(got.length).to.equal(total);
    expect(got.map(String)).to.deep.equal(range(0, total).map((i) => msg(i).toString()));
    await waitFor('all tokens durable', () => durable.length === total / perEnqueue, 10_000);
    expect(durable).to.deep.equal(range(0, total / perEnqueue));
    expect(queue.stats()).to.include({ diskBytesWritten: 0, diskMessages: 0, delivered: total });
    expect(segmentBytes(dir), 'segment files on disk').to.equal(0);
  });

  it('collector down: waits spillAfterMs, then spills; delivers everything in order once the collector is up', async function () {
    const port = await freePort();
    const dir = makeTempDir('queue-spill-down');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const transport = createTransport(forwardAction('tcp', port, 'octet-counted'), silentLogger, FAST_RECONNECT);
    const queue = new DeliveryQueue({
      transport, memoryMessages: 200, diskDirectory: dir, diskMaxBytes: 64 << 20, batchMaxMessages: 100,
      logger: silentLogger, onDurable: () => undefined, retryBackoff: { initialMs: 50, maxMs: 300 }, spillAfterMs: 500,
    });
    cleanup.push(async () => {
      await queue.close();
      await transport.close();
    });
    const accepted = range(0, 30).map((b) => queue.enqueue(range(b * 100, b * 100 + 100).map(msg), { id: b }));
    await new Promise((r) => setTimeout(r, 50));
    // Well inside spillAfterMs: memory is full and the rest waits; nothing went to disk yet.
    expect(queue.stats()).to.include({ memoryMessages: 200, diskBytesWritten: 0 });
    await Promise.all(accepted);
    // The first spill moved the memory's 200 messages to disk ahead of the rest: one ordered backlog, all durable.
    expect(queue.stats()).to.include({ memoryMessages: 0, diskMessages: 3000 });
    expect(queue.stats().diskBytesWritten).to.be.greaterThan(0);
    const collector = await SyslogCollector.start({ protocol: 'tcp', port });
    cleanup.push(() => collector.stop());
    const got = await collector.waitForMessages(3000, 30_000);
    expect(got.map(String)).to.deep.equal(range(0, 3000).map((i) => msg(i).toString()));
  });
});

type Step = { kind: 'enqueue'; count: number } | { kind: 'down' } | { kind: 'up' };

describe('DeliveryQueue spill policy model', function () {
  it('across random up/down switches, 1-3 batches in flight: exact order, onDurable in order, disk used only after going down', async function () {
    this.timeout(120_000);
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 60 }).map((count): Step => ({ kind: 'enqueue', count })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: 'down' }) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: 'up' }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 3 }), async (steps, memoryMessages, maxBatchesInFlight) => {
        const dir = makeTempDir('queue-spill-model');
        // Going down fails every send outstanding, as a dropped connection does.
        const transport = new PipelinedFakeTransport({ maxBatchesInFlight, numberOf: (m) => Number(/line (\d+)/.exec(m.toString('latin1'))![1]) });
        const durable: number[] = [];
        const queue = new DeliveryQueue({
          transport, memoryMessages, diskDirectory: dir, diskMaxBytes: 1 << 20, batchMaxMessages: 7,
          logger: silentLogger, onDurable: (t) => durable.push(t.id), retryBackoff: { initialMs: 1, maxMs: 2 },
          spillAfterMs: 20, diskSegmentBytes: 500,
        });
        let next = 0;
        let tokens = 0;
        let wentDown = false;
        const enqueue = (count: number): Promise<void> => {
          const p = queue.enqueue(range(next, next + count).map(msg), { id: tokens++ });
          next += count;
          return p;
        };
        try {
          // Enqueues are not awaited one by one: a full memory must hold them back while the transport is up.
          const accepted: Promise<void>[] = [];
          let maxMemory = 0;
          for (const s of steps) {
            maxMemory = Math.max(maxMemory, queue.stats().memoryMessages);
            if (s.kind === 'enqueue') accepted.push(enqueue(s.count));
            else {
              // A switch takes effect once what was enqueued before it was placed (memory or disk).
              await Promise.all(accepted.splice(0));
              if (s.kind === 'down') wentDown = true;
              transport.setUp(s.kind === 'up');
            }
          }
          await Promise.all(accepted.splice(0));
          maxMemory = Math.max(maxMemory, queue.stats().memoryMessages);
          // Batches above memoryMessages are taken in parts, never by overfilling memory.
          expect(maxMemory, 'memory bound').to.be.at.most(memoryMessages);
          if (!wentDown) expect(queue.stats().diskBytesWritten, 'never down: no disk writes').to.equal(0);
          if (transport.status().state === 'down' && queue.stats().diskMessages > 0) {
            // Spilled: memory and disk never both hold messages, so once fsync'd every token is durable and the
            // files' checkpoints pass the whole backlog (a kill -9 now repeats nothing from it).
            expect(queue.stats().memoryMessages, 'memory after a spill').to.equal(0);
            await waitFor('every token durable while down', () => durable.length === tokens, 5000, 2);
          }
          transport.setUp(true);
          await waitFor('the backlog to drain', () => transport.confirmed.length === next, 20_000, 2);
          // And the queue to take the last confirmation in: a disk read-pointer write still running (an fsync, slow on
          // a loaded machine) would count as not delivering after spillAfterMs and send the burst to disk.
          await waitFor('the queue to go idle', () => queue.stats().state === 'idle', 20_000, 2);
          // Back to normal: a burst of several memories' worth goes through memory only.
          const written = queue.stats().diskBytesWritten;
          await Promise.all(range(0, 4).map(() => enqueue(memoryMessages)));
          await waitFor('the burst', () => transport.confirmed.length === next, 20_000, 2);
          expect(queue.stats().diskBytesWritten, 'no disk writes once up again and drained').to.equal(written);
          expect(transport.violations, 'contract breaches').to.deep.equal([]);
          expect(transport.confirmed).to.deep.equal(range(0, next));
          expect(transport.maxOutstanding, 'sends outstanding').to.be.at.most(maxBatchesInFlight);
          await waitFor('all tokens durable', () => durable.length === tokens, 5000, 2);
          expect(durable).to.deep.equal(range(0, tokens));
        } finally {
          transport.setUp(true);
          await queue.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });
});
