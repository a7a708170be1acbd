// How many batches the queue keeps outstanding comes from the transport: RELP declares two, the protocols that
// cannot confirm receipt (tcp, tls, udp) one. Through the real RelpTransport against an in-test RELP server that
// withholds acknowledgements: the queue puts out exactly two batches, no third, confirms them in order, and after
// a refusal mid-flight resends from the refused batch on a new session.

import { expect } from 'chai';
import * as fs from 'fs';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { createTransport } from '../../../agent/transport/create-transport';
import { RelpTransport } from '../../../agent/transport/relp-transport';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { FakeRelpServer } from '../transport/fake-relp-server';
import { FAST_RECONNECT, forwardAction, range } from '../transport/forward-action-fixture';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: inflight ${String(i).padStart(6, '0')}`);
const numberOf = (b: Buffer): number => Number(/inflight (\d{6})$/.exec(b.toString('latin1'))![1]);

/** Lets the event loop turn long enough for a queue that over-sends to write what it should not. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 150));

describe('DeliveryQueue batches in flight, as declared by the transport', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('relp declares 2 batches in flight, tcp and tls 16 (they wait for the collector\'s ACK); udp leaves it at the default of 1', function () {
    expect(createTransport(forwardAction('relp', 1), silentLogger).maxBatchesInFlight).to.equal(2);
    for (const protocol of ['tcp', 'tls'] as const) expect(createTransport(forwardAction(protocol, 1), silentLogger).maxBatchesInFlight, protocol).to.equal(16);
    expect(createTransport(forwardAction('udp', 1), silentLogger).maxBatchesInFlight).to.equal(undefined);
    expect(() => new RelpTransport('127.0.0.1', 1, { logger: silentLogger, batchesInFlight: 0 })).to.throw(/batches in flight must be a whole number of at least 1/);
  });

  it('relp: two batches go out before the first is acknowledged, never a third; a refusal mid-flight resends from the refused batch', async function () {
    const server = await FakeRelpServer.start();
    cleanup.push(() => server.stop());
    const transport = createTransport(forwardAction('relp', server.port), silentLogger, FAST_RECONNECT);
    cleanup.push(() => transport.close());
    const dir = makeTempDir('queue-inflight-relp');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const durable: number[] = [];
    const queue = new DeliveryQueue({
      transport, memoryMessages: 1000, diskDirectory: dir, diskMaxBytes: 1 << 20, batchMaxMessages: 10, logger: silentLogger,
      onDurable: (t) => durable.push(t.id), retryBackoff: { initialMs: 20, maxMs: 50 }, spillAfterMs: 600_000,
    });
    cleanup.push(() => queue.close());
    await transport.waitUntilReady(AbortSignal.timeout(10_000));
    for (let b = 0; b < 6; b++) await queue.enqueue(range(b * 10, b * 10 + 10).map(msg), { id: b });

    // Nothing acknowledged: the window (128) would take all 60, the queue hands over only two batches of 10.
    await waitFor('two batches at the server', () => server.received.length === 20, 10_000, 5);
    await settle();
    expect(server.received.map((r) => numberOf(r.data))).to.deep.equal(range(0, 20));
    expect(queue.stats()).to.include({ batchesInFlight: 2, delivered: 0 });

    // The first batch acknowledged: its confirmation lets the third batch out while the second is still open.
    server.ack(10);
    await waitFor('the third batch', () => server.received.length === 30, 10_000, 5);
    await settle();
    expect(server.received.length, 'still two batches outstanding, no more').to.equal(30);
    expect(queue.stats()).to.include({ batchesInFlight: 2, delivered: 10 });
    expect(durable).to.deep.equal([0]);

    // A refusal in the second batch: it and the third fail, the session ends, and the queue resends from 10.
    server.refuseTxnr = server.unanswered[3];
    server.autoAck = true;
    server.ack();
    await waitFor('everything confirmed', () => queue.stats().delivered === 60, 10_000, 5);
    const numbers = server.received.map((r) => numberOf(r.data));
    expect(numbers.slice(0, 30), 'first session').to.deep.equal(range(0, 30));
    expect(numbers.slice(30), 'second session: from the refused batch, in order').to.deep.equal(range(10, 60));
    expect(server.sessions).to.equal(2);
    await waitFor('all tokens durable', () => durable.length === 6, 5000, 5);
    expect(durable).to.deep.equal(range(0, 6));
  });
});
