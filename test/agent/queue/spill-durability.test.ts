// The first spill takes the memory queue along (issue 17, section 3): once the transport stops delivering, every
// message ends up in one ordered disk backlog, so every token becomes durable (the files' checkpoints advance over
// the backlog) although nothing was confirmed; batches that were in flight when the spill came are delivered once.

import { expect } from 'chai';
import * as fs from 'fs';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { range } from '../transport/forward-action-fixture';
import { PipelinedFakeTransport, type SendFate } from './pipelined-fake-transport';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: line ${String(i).padStart(6, '0')}\tx`);
const numberOf = (m: Buffer): number => Number(/line (\d+)/.exec(m.toString('latin1'))![1]);

describe('DeliveryQueue: the first spill takes the memory queue along', function () {
  this.timeout(30_000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A queue over a fake collector whose sends are held (it stopped reading) until `release`, or failed with `drop`. */
  function heldQueue(maxBatchesInFlight: number): { queue: DeliveryQueue; transport: PipelinedFakeTransport; durable: number[] } {
    const dir = makeTempDir('queue-spill-durable');
    let fate: SendFate = 'hold';
    const transport = new PipelinedFakeTransport({ maxBatchesInFlight, numberOf, fate: () => fate });
    const durable: number[] = [];
    const queue = new DeliveryQueue({
      transport, memoryMessages: 20, diskDirectory: dir, diskMaxBytes: 1 << 20, batchMaxMessages: 5,
      logger: silentLogger, onDurable: (t) => durable.push(t.id), retryBackoff: { initialMs: 1, maxMs: 5 }, spillAfterMs: 50,
      diskSegmentBytes: 400,
    });
    cleanup.push(async () => {
      fate = 'confirm';
      transport.release();
      await queue.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    // From the first release on, every send is confirmed.
    const release = transport.release.bind(transport);
    transport.release = () => { fate = 'confirm'; release(); };
    return { queue, transport, durable };
  }

  for (const maxBatchesInFlight of [1, 3]) {
    it(`collector stops reading with ${maxBatchesInFlight} batch(es) in flight: all tokens durable before any confirmation, then each message delivered once`, async () => {
      const { queue, transport, durable } = heldQueue(maxBatchesInFlight);
      const accepted = range(0, 10).map((b) => queue.enqueue(range(b * 10, b * 10 + 10).map(msg), { id: b }));
      await Promise.all(accepted);
      await waitFor('every token durable', () => durable.length === 10, 10_000);
      expect(durable).to.deep.equal(range(0, 10));
      expect(transport.confirmed, 'nothing confirmed yet').to.deep.equal([]);
      expect(queue.stats()).to.include({ memoryMessages: 0, diskMessages: 100 });
      expect(queue.stats().batchesInFlight).to.equal(maxBatchesInFlight);

      transport.release();
      await waitFor('everything confirmed', () => transport.confirmed.length >= 100 && queue.stats().state === 'idle', 10_000);
      expect(transport.received, 'what the collector stored').to.deep.equal(range(0, 100));
      expect(transport.confirmed).to.deep.equal(range(0, 100));
      expect(transport.violations).to.deep.equal([]);
      expect(queue.stats()).to.include({ diskMessages: 0, diskBytes: 0, delivered: 100 });
    });
  }

  it('collector stops reading, then drops the connection: the batches that were in flight go again from the disk queue, in order', async () => {
    const { queue, transport, durable } = heldQueue(2);
    await Promise.all(range(0, 10).map((b) => queue.enqueue(range(b * 10, b * 10 + 10).map(msg), { id: b })));
    await waitFor('every token durable', () => durable.length === 10, 10_000);
    transport.setUp(false); // fails the held sends
    transport.release();
    transport.setUp(true);
    await waitFor('everything confirmed', () => transport.confirmed.length >= 100 && queue.stats().state === 'idle', 10_000);
    expect(transport.confirmed).to.deep.equal(range(0, 100));
    // Stored but unconfirmed when the connection dropped: the two batches in flight, sent again.
    expect(transport.received).to.deep.equal([...range(0, 10), ...range(0, 100)]);
    expect(transport.violations).to.deep.equal([]);
    expect(queue.stats()).to.include({ diskMessages: 0, delivered: 100 });
  });
});
