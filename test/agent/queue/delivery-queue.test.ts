// The delivery queue never loses or reorders a message: collector down for a while (spilling to disk), restart
// with a disk backlog, disk full (enqueue waits), a torn disk record, and a model test with a flaky transport.

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
    // The disk part is fsync'd, but the older memory part is unsent: in-order reporting holds every token back.
    expect(durable).to.deep.equal([]);
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
    expect(first.queue.stats().memoryMessages).to.equal(100);
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
