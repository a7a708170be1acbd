// The delivery queue never loses or reorders a message: collector down for a while (spilling to disk), restart
// with a disk backlog, disk full (enqueue waits), a torn disk record, a model test with a flaky transport, and one
// with a transport that keeps several batches in flight and fails them mid-flight.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { DeliveryQueue, type CommitToken } from '../../../agent/queue/delivery-queue';
import { createTransport } from '../../../agent/transport/create-transport';
import type { Transport, TransportBatch, TransportStatus } from '../../../agent/transport/transport';
import { createLogger, MemorySink, silentLogger } from '../../../src/core/logger';
import { freePort, makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FAST_RECONNECT, forwardAction, range } from '../transport/forward-action-fixture';
import { PipelinedFakeTransport, type SendFate } from './pipelined-fake-transport';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: line ${String(i).padStart(6, '0')}\tx`);

describe('DeliveryQueue with a real rsyslogd collector', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  function setup(port: number, dir: string, memoryMessages: number, diskMaxBytes: number, durable: number[]) {
    const transport = createTransport(forwardAction('tcp', port, 'octet-counted'), silentLogger, FAST_RECONNECT);
    const queue = new DeliveryQueue({
      transport,
      memoryMessages,
      diskDirectory: dir,
      diskMaxBytes,
      batchMaxMessages: 100,
      logger: silentLogger,
      onDurable: (t) => durable.push(t.id),
      retryBackoff: { initialMs: 50, maxMs: 300 },
      diskSegmentBytes: 16 * 1024,
    });
    cleanup.push(async () => {
      await queue.close();
      await transport.close();
    });
    return { transport, queue };
  }

  it('collector down: spills to disk, then delivers every message once and in order when the collector starts', async function () {
    const port = await freePort();
    const dir = makeTempDir('queue-down');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const durable: number[] = [];
    const { queue } = setup(port, dir, 200, 10 << 20, durable);
    const total = 3000;
    let maxDisk = 0;
    for (let b = 0; b < total / 50; b++) {
      await queue.enqueue(range(b * 50, b * 50 + 50).map(msg), { id: b });
      maxDisk = Math.max(maxDisk, queue.stats().diskBytes);
    }
    expect(maxDisk, 'messages beyond memoryMessages went to disk').to.be.greaterThan(0);
    expect(queue.stats().memoryMessages).to.be.at.most(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(queue.stats().delivered).to.equal(0);
    // The first spill moved the memory's messages to disk ahead of the rest: everything is fsync'd, so every token
    // is durable, in order, before anything was sent (the files' checkpoints may pass the whole backlog).
    expect(queue.stats()).to.include({ memoryMessages: 0, diskMessages: total });
    await waitFor('all tokens durable while the collector is down', () => durable.length === total / 50, 5000);
    expect(durable).to.deep.equal(range(0, total / 50));
    const collector = await SyslogCollector.start({ protocol: 'tcp', port });
    cleanup.push(() => collector.stop());
    const got = await collector.waitForMessages(total, 30_000);
    expect(got.length).to.equal(total);
    expect(got.map(String)).to.deep.equal(range(0, total).map((i) => msg(i).toString()));
    await waitFor('all tokens durable', () => durable.length === total / 50, 5000);
    expect(durable).to.deep.equal(range(0, total / 50));
    // The disk part was durable (fsync'd) before it was sent: wait for the last send's confirmation too.
    await waitFor('every message confirmed', () => queue.stats().delivered === total, 5000);
    expect(queue.stats()).to.include({ delivered: total, memoryMessages: 0, diskBytes: 0 });
  });

  it('restart: close() with a backlog keeps it on disk; a new queue on the same directory delivers it first', async function () {
    const port = await freePort();
    const dir = makeTempDir('queue-restart');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const durable: number[] = [];
    const first = setup(port, dir, 100, 10 << 20, durable);
    for (let b = 0; b < 10; b++) await first.queue.enqueue(range(b * 50, b * 50 + 50).map(msg), { id: b });
    // The spill took the memory's messages along: the backlog is on disk, in order.
    expect(first.queue.stats()).to.include({ memoryMessages: 0, diskMessages: 500 });
    await first.queue.close();
    await first.transport.close();
    // close() made the memory part durable too, and reported every token in order.
    expect(durable).to.deep.equal(range(0, 10));
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.q'))).to.equal(true);

    const collector = await SyslogCollector.start({ protocol: 'tcp', port });
    cleanup.push(() => collector.stop());
    const second = setup(port, dir, 100, 10 << 20, []);
    expect(second.queue.stats().diskMessages).to.equal(500);
    await second.queue.enqueue(range(500, 510).map(msg), { id: 100 });
    const got = await collector.waitForMessages(510, 30_000);
    expect(got.map(String)).to.deep.equal(range(0, 510).map((i) => msg(i).toString()));
  });

  it('disk full: enqueue waits instead of dropping, and continues once the collector drains the queue', async function () {
    const port = await freePort();
    const dir = makeTempDir('queue-full');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const { queue } = setup(port, dir, 20, 4000, []);
    const settled: boolean[] = [];
    const pending: Promise<void>[] = [];
    for (let b = 0; b < 20; b++) {
      const p = queue.enqueue(range(b * 10, b * 10 + 10).map(msg), { id: b });
      pending.push(p.then(() => void (settled[b] = true)));
    }
    await waitFor('memory and disk to fill', () => queue.stats().diskBytes > 3000, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(queue.stats().diskBytes).to.be.at.most(4000);
    expect(settled[19], 'the last enqueue must still wait').to.not.equal(true);
    const collector = await SyslogCollector.start({ protocol: 'tcp', port });
    cleanup.push(() => collector.stop());
    await Promise.all(pending);
    const got = await collector.waitForMessages(200, 30_000);
    expect(got.map(String)).to.deep.equal(range(0, 200).map((i) => msg(i).toString()));
  });
});

/** An in-process transport that fails batches on a schedule: the model test's stand-in for a flaky network. */
class FlakyTransport implements Transport {
  readonly name = 'flaky://model';
  readonly received: string[] = [];
  private calls = 0;
  constructor(private readonly failEvery: number) {}
  status(): TransportStatus {
    return { state: 'up', messagesSent: this.received.length, bytesSent: 0, reconnects: 0 };
  }
  async waitUntilReady(): Promise<void> {}
  async send(batch: TransportBatch): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failEvery > 0 && ++this.calls % this.failEvery === 0) throw new Error('simulated failure');
    for (const m of batch.messages) this.received.push(m.toString());
  }
  async close(): Promise<void> {}
}

describe('DeliveryQueue model', function () {
  it('delivers exactly the enqueued sequence, in order, across random sizes, bounds, failures and restarts', async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean()), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 200, max: 3000 }),
        fc.constantFrom(0, 2, 3, 5),
        async (steps, memoryMessages, diskMaxBytes, failEvery) => {
          const dir = makeTempDir('queue-model');
          const transport = new FlakyTransport(failEvery);
          const durable: number[] = [];
          const make = (): DeliveryQueue =>
            new DeliveryQueue({
              transport,
              memoryMessages,
              diskDirectory: dir,
              diskMaxBytes,
              batchMaxMessages: 7,
              logger: silentLogger,
              onDurable: (t: CommitToken) => durable.push(t.id),
              retryBackoff: { initialMs: 1, maxMs: 2 },
              diskSegmentBytes: 300,
            });
          let queue = make();
          let next = 0;
          try {
            for (let s = 0; s < steps.length; s++) {
              const [count, restartAfter] = steps[s];
              await queue.enqueue(range(next, next + count).map(msg), { id: s });
              next += count;
              if (restartAfter) {
                await queue.close();
                queue = make();
              }
            }
            await waitFor('model delivery', () => transport.received.length >= next, 20_000, 5);
            expect(transport.received).to.deep.equal(range(0, next).map((i) => msg(i).toString()));
            await waitFor('all tokens durable', () => durable.length === steps.length, 5000, 5);
            expect(durable).to.deep.equal(range(0, steps.length));
          } finally {
            await queue.close();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('with 2-3 batches in flight and random failures mid-flight: exact order, onDurable in order, repeats bounded by the batches in flight', async function () {
    this.timeout(120_000);
    const numberOf = (m: Buffer): number => Number(/line (\d+)/.exec(m.toString('latin1'))![1]);
    const fate: fc.Arbitrary<SendFate> = fc.oneof(
      { weight: 8, arbitrary: fc.constant<SendFate>('confirm') },
      { weight: 1, arbitrary: fc.constant<SendFate>('fail') },
      { weight: 1, arbitrary: fc.constant<SendFate>('down') },
    );
    let pipelinedRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 2, max: 3 }),
        // At least one confirmation per round through the fates, or the collector would never take anything.
        fc.array(fate, { minLength: 0, maxLength: 30 }).map((f) => [...f, 'confirm' as const]),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        async (steps, maxBatchesInFlight, fates, memoryMessages, batchMax) => {
          const dir = makeTempDir('queue-pipelined-model');
          let fateAt = 0;
          const transport = new PipelinedFakeTransport({ maxBatchesInFlight, numberOf, fate: () => fates[fateAt++ % fates.length], downMs: 3 });
          const durable: number[] = [];
          const make = (): DeliveryQueue =>
            new DeliveryQueue({
              transport,
              memoryMessages,
              diskDirectory: dir,
              diskMaxBytes: 1 << 20,
              batchMaxMessages: batchMax,
              logger: silentLogger,
              onDurable: (t: CommitToken) => durable.push(t.id),
              retryBackoff: { initialMs: 1, maxMs: 2 },
              spillAfterMs: 5,
              diskSegmentBytes: 400,
            });
          let queue = make();
          let next = 0;
          try {
            // Enqueues are not awaited one by one, so batches pile up and the window of sends fills.
            const accepted: Promise<void>[] = [];
            for (let s = 0; s < steps.length; s++) {
              const [count, restartAfter] = steps[s];
              accepted.push(queue.enqueue(range(next, next + count).map(msg), { id: s }));
              next += count;
              if (restartAfter) {
                await Promise.all(accepted.splice(0));
                await queue.close();
                queue = make();
              }
            }
            await Promise.all(accepted);
            await waitFor('model delivery', () => transport.confirmed.length >= next, 20_000, 2);
            expect(transport.violations, 'contract breaches').to.deep.equal([]);
            // Nothing lost, nothing twice, nothing reordered among what was confirmed.
            expect(transport.confirmed).to.deep.equal(range(0, next));
            expect(transport.maxOutstanding, 'sends outstanding').to.be.at.most(maxBatchesInFlight);
            // A resend repeats only what was stored but unconfirmed: at most the batches in flight.
            expect(transport.maxRepeatedAtFailure, 'messages repeated after one failure').to.be.at.most(maxBatchesInFlight * batchMax);
            await waitFor('all tokens durable', () => durable.length === steps.length, 5000, 2);
            expect(durable).to.deep.equal(range(0, steps.length));
            if (transport.maxOutstanding > 1) pipelinedRuns++;
          } finally {
            await queue.close();
            await transport.close();
            fs.rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
    // The property says nothing about pipelining unless sends really overlapped in most runs.
    expect(pipelinedRuns, 'runs with more than one send outstanding').to.be.at.least(20);
  });

  it('close() with 3 batches held in flight: gives up after closeTimeoutMs, keeps them on disk, a restart delivers them in order', async function () {
    const dir = makeTempDir('queue-pipelined-held');
    try {
      const numberOf = (m: Buffer): number => Number(/line (\d+)/.exec(m.toString('latin1'))![1]);
      let settled = 0;
      // Two batches are confirmed, then the collector stops answering.
      const stuck = new PipelinedFakeTransport({ maxBatchesInFlight: 3, numberOf, fate: () => (settled++ < 2 ? 'confirm' : 'hold') });
      const durable: number[] = [];
      const q1 = new DeliveryQueue({
        transport: stuck, memoryMessages: 100, diskDirectory: dir, diskMaxBytes: 1 << 20, batchMaxMessages: 10, logger: silentLogger,
        onDurable: (t) => durable.push(t.id), spillAfterMs: 600_000, closeTimeoutMs: 100,
      });
      // Down while enqueuing, so the batches are cut from all 50 messages: 10, 10, then three held.
      stuck.setUp(false);
      for (let b = 0; b < 10; b++) await q1.enqueue(range(b * 5, b * 5 + 5).map(msg), { id: b });
      stuck.setUp(true);
      await waitFor('three batches held in flight', () => q1.stats().batchesInFlight === 3, 5000, 2);
      expect(q1.stats()).to.include({ delivered: 20, memoryMessages: 30 });
      expect(durable, 'only the confirmed part is durable').to.deep.equal(range(0, 4));
      await q1.close();
      expect(q1.stats()).to.include({ state: 'closed', diskMessages: 30 });
      expect(durable, 'close() made the rest durable on disk').to.deep.equal(range(0, 10));
      expect(stuck.received, 'what the collector holds unconfirmed').to.deep.equal(range(0, 50));

      const ok = new PipelinedFakeTransport({ maxBatchesInFlight: 3, numberOf, firstNumber: 20 });
      const q2 = new DeliveryQueue({ transport: ok, memoryMessages: 100, diskDirectory: dir, diskMaxBytes: 1 << 20, batchMaxMessages: 10, logger: silentLogger, onDurable: () => undefined });
      await q2.enqueue(range(50, 55).map(msg), { id: 10 });
      await waitFor('the kept batches and the new message', () => ok.confirmed.length >= 35, 5000, 2);
      await q2.close();
      expect(ok.confirmed).to.deep.equal(range(20, 55));
      expect(ok.violations).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cuts a torn last record at startup, says so, and delivers the records before it', async function () {
    const dir = makeTempDir('queue-torn');
    try {
      const dead = new FlakyTransport(1); // fails every batch: everything stays queued
      const q1 = new DeliveryQueue({ transport: dead, memoryMessages: 1, diskDirectory: dir, diskMaxBytes: 1 << 20, logger: silentLogger, onDurable: () => undefined, retryBackoff: { initialMs: 5, maxMs: 10 } });
      await q1.enqueue([msg(0)], { id: 0 });
      await q1.enqueue([msg(1), msg(2)], { id: 1 });
      await q1.close();
      const seg = fs.readdirSync(dir).filter((f) => f.endsWith('.q')).sort().pop()!;
      fs.appendFileSync(path.join(dir, seg), Buffer.from([0, 0, 0, 50, 1, 2, 3, 4, 0x41, 0x42]));
      const sink = new MemorySink();
      const ok = new FlakyTransport(0);
      const q2 = new DeliveryQueue({ transport: ok, memoryMessages: 10, diskDirectory: dir, diskMaxBytes: 1 << 20, logger: createLogger('q', sink), onDurable: () => undefined });
      await waitFor('recovered delivery', () => ok.received.length >= 3, 5000, 5);
      await q2.close();
      expect(ok.received).to.deep.equal([0, 1, 2].map((i) => msg(i).toString()));
      expect(sink.lines.some((l) => /torn or corrupt record/.test(l) && /droppedBytes=10/.test(l))).to.equal(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
