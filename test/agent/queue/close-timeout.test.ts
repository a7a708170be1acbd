// close() against a collector that accepts the connection but never reads: the wait for the batch in flight is
// bounded (closeTimeoutMs), that batch is kept as undelivered on disk with everything behind it, the socket is
// dropped, and a later run delivers exactly the messages the stuck collector never confirmed, in order.

import { expect } from 'chai';
import * as fs from 'fs';
import * as net from 'net';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { createTransport } from '../../../agent/transport/create-transport';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FAST_RECONNECT, forwardAction, range } from '../transport/forward-action-fixture';

const FILLER = 'x'.repeat(1000);
const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: ${String(i).padStart(6, '0')} ${FILLER}`);

/** Rejects if `p` has not settled within `ms`: turns a hang into a failure instead of a mocha timeout. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

describe('DeliveryQueue close() with a collector that never reads', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('gives up on the batch in flight after closeTimeoutMs, keeps it on disk, and a restart delivers the rest in order', async function () {
    const stuckSockets = new Set<net.Socket>();
    let peerSawClose = false;
    const server = net.createServer((s) => {
      s.pause(); // accept, never read: the client's send buffer fills and its writes never flush
      stuckSockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (peerSawClose = true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(async () => {
      for (const s of stuckSockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const port = (server.address() as net.AddressInfo).port;
    const dir = makeTempDir('queue-close-stuck');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));

    const durable: number[] = [];
    const transport = createTransport(forwardAction('tcp', port, 'octet-counted'), silentLogger, FAST_RECONNECT);
    cleanup.push(() => transport.close());
    // spillAfterMs far away and room for all 10 MB: everything stays in memory, so close() alone must save it.
    const queue = new DeliveryQueue({
      transport, memoryMessages: 100_000, memoryBytes: 64 << 20, diskDirectory: dir, diskMaxBytes: 1 << 30, batchMaxMessages: 500,
      logger: silentLogger, onDurable: (t) => durable.push(t.id), spillAfterMs: 600_000, closeTimeoutMs: 300,
    });
    const total = 10_000;
    for (let b = 0; b < total / 100; b++) await queue.enqueue(range(b * 100, b * 100 + 100).map(msg), { id: b });

    // Stuck: the sender is in a send that stays unconfirmed while the collector reads nothing.
    let last = -1;
    await waitFor('the collector to stop taking bytes', () => {
      const s = queue.stats();
      const stuck = s.state === 'sending' && s.delivered === last && s.memoryMessages > 0;
      last = s.delivered;
      return stuck;
    }, 20_000, 300);
    const confirmed = queue.stats().delivered;
    expect(confirmed, 'some batches went out before the buffers filled').to.be.lessThan(total);
    expect(durable, 'nothing unconfirmed is durable yet').to.deep.equal(range(0, confirmed / 100));

    await within(queue.close(), 20_000, 'queue.close()');
    await within(transport.close(), 20_000, 'transport.close()');
    expect(queue.stats()).to.include({ state: 'closed', diskMessages: total - confirmed });
    expect(durable, 'every token durable, in order').to.deep.equal(range(0, total / 100));
    for (const s of stuckSockets) s.resume(); // reading now shows whether the client dropped the connection
    await waitFor('the stuck connection to be closed by the client', () => peerSawClose, 10_000);

    const collector = await SyslogCollector.start({ protocol: 'tcp' });
    cleanup.push(() => collector.stop());
    const transport2 = createTransport(forwardAction('tcp', collector.port, 'octet-counted'), silentLogger, FAST_RECONNECT);
    const queue2 = new DeliveryQueue({
      transport: transport2, memoryMessages: 1000, diskDirectory: dir, diskMaxBytes: 1 << 30, logger: silentLogger, onDurable: () => undefined,
    });
    cleanup.push(async () => {
      await queue2.close();
      await transport2.close();
    });
    const got = await collector.waitForMessages(total - confirmed, 30_000);
    expect(got.map((b) => b.toString('latin1', 0, 50))).to.deep.equal(range(confirmed, total).map((i) => msg(i).toString('latin1', 0, 50)));
  });
});
