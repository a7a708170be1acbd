// RELP against a real rsyslog imrelp that crashes (SIGKILL) mid-stream and comes back on the same port: the
// transport fails the unacknowledged batch instead of confirming it, reconnects, and the delivery queue resends
// from the first unacknowledged message, so everything arrives at least once, in order, and the only duplicates
// are messages that were not acknowledged when the collector died (at most the batches the queue had in flight).

import { expect } from 'chai';
import * as fs from 'fs';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { createTransport } from '../../../agent/transport/create-transport';
import type { Transport } from '../../../agent/transport/transport';
import { silentLogger } from '../../../src/core/logger';
import { freePort, makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FAST_RECONNECT, forwardAction, range } from './forward-action-fixture';

const msg = (i: number): string => `<190>Nov 23 10:00:41 sensor1 bro_conn: relp ${String(i).padStart(6, '0')}`;

/** The message numbers in what a collector stored, checking each is one of ours. */
function numbersOf(received: Buffer[]): number[] {
  return received.map((b) => {
    const m = /relp (\d{6})$/.exec(b.toString('latin1'));
    if (!m) throw new Error(`not a test message: ${JSON.stringify(b.toString('latin1'))}`);
    return Number(m[1]);
  });
}

describe('relp: collector crash (SIGKILL) and restart on the same port', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });
  const collector = async (port?: number): Promise<SyslogCollector> => {
    const c = await SyslogCollector.start({ protocol: 'relp', port });
    cleanup.push(() => c.stop());
    return c;
  };
  const transport = (port: number): Transport => {
    const t = createTransport(forwardAction('relp', port), silentLogger, FAST_RECONNECT);
    cleanup.push(() => t.close());
    return t;
  };

  it('a batch unacknowledged when the collector dies is rejected, not confirmed; resent after reconnecting it all arrives', async function () {
    const first = await collector();
    const t = transport(first.port);
    await t.waitUntilReady(AbortSignal.timeout(20_000));
    const batch = range(0, 20_000).map((i) => Buffer.from(msg(i)));
    const sending = t.send({ messages: batch }).then(() => 'confirmed', (err: Error) => err.message);
    await waitFor('the collector to be mid-stream', () => first.messages().length >= 1000, 20_000, 10);
    await first.crash();
    const outcome = await sending;
    const before = numbersOf(first.messages());
    // Had everything been acknowledged before the kill, this test would prove nothing: make that a failure.
    expect(before.length, 'the crash must come before the whole batch was stored').to.be.lessThan(batch.length);
    expect(outcome).to.match(/connection lost before the collector acknowledged|closed the session|not connected/);
    expect(before, 'what arrived before the crash is a prefix, in order').to.deep.equal(range(0, before.length));

    const second = await collector(first.port);
    await t.waitUntilReady(AbortSignal.timeout(20_000));
    await t.send({ messages: batch });
    const after = numbersOf(await second.waitForMessages(batch.length, 30_000));
    expect(after).to.deep.equal(range(0, batch.length));
    expect(t.status().reconnects).to.equal(1);
  });

  it('through the delivery queue: at least once, in order, duplicates only of unacknowledged messages', async function () {
    const port = await freePort();
    const first = await collector(port);
    const t = transport(port);
    const dir = makeTempDir('relp-queue');
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const durable: number[] = [];
    const batchMax = 1000;
    const queue = new DeliveryQueue({
      transport: t,
      memoryMessages: 4000,
      diskDirectory: dir,
      diskMaxBytes: 64 << 20,
      batchMaxMessages: batchMax,
      logger: silentLogger,
      onDurable: (token) => durable.push(token.id),
      retryBackoff: { initialMs: 50, maxMs: 300 },
      spillAfterMs: 200,
    });
    cleanup.push(() => queue.close());

    const total = 30_000;
    const perEnqueue = 500;
    let crashed = false;
    let confirmedAtCrash = -1;
    let second: SyslogCollector | undefined;
    const producer = (async () => {
      for (let b = 0; b < total / perEnqueue; b++) {
        await queue.enqueue(range(b * perEnqueue, (b + 1) * perEnqueue).map((i) => Buffer.from(msg(i))), { id: b });
      }
    })();
    // Crash while the collector holds messages it has not acknowledged yet, so the resend has something to repeat.
    await waitFor('the collector to be mid-stream, ahead of its acknowledgements', () => {
      const stored = first.messages().length;
      return stored >= 5000 && queue.stats().delivered < stored;
    }, 30_000, 2);
    await first.crash();
    crashed = true;
    // Once the transport saw the connection go, no acknowledgement can arrive: what the queue confirmed is final.
    await waitFor('the transport to notice the crash', () => t.status().state !== 'up', 10_000, 5);
    confirmedAtCrash = queue.stats().delivered;
    const storedBeforeCrash = numbersOf(first.messages());
    // The collector is down for a while: the queue spills what the producer keeps sending.
    await waitFor('the queue to spill while the collector is down', () => queue.stats().diskBytesWritten > 0, 20_000, 10);
    second = await collector(port);
    await producer;
    const storedAfterRestart = numbersOf(await second.waitForMessages(total - confirmedAtCrash, 60_000));

    expect(crashed).to.equal(true);
    expect(storedBeforeCrash.length, 'the crash came mid-stream').to.be.lessThan(total);
    expect(storedBeforeCrash, 'before the crash: a prefix, in order').to.deep.equal(range(0, storedBeforeCrash.length));
    expect(storedBeforeCrash.length, 'every acknowledged message was stored').to.be.at.least(confirmedAtCrash);
    // Resending starts at the first unacknowledged message and goes on in order, with nothing missing.
    expect(storedAfterRestart, 'after the restart: from the first unacknowledged message, in order').to.deep.equal(range(confirmedAtCrash, total));
    const duplicates = storedBeforeCrash.length - confirmedAtCrash;
    // Only the batches in flight can be stored but unacknowledged.
    const inFlight = t.maxBatchesInFlight ?? 1;
    expect(inFlight, 'RELP keeps two batches in flight').to.equal(2);
    expect(duplicates, `duplicates (${duplicates}) are at most ${inFlight} batches`).to.be.at.most(inFlight * batchMax);
    await waitFor('every token durable', () => durable.length === total / perEnqueue, 10_000);
    expect(durable).to.deep.equal(range(0, total / perEnqueue));
    process.stdout.write(`      (confirmed at crash ${confirmedAtCrash}, stored before crash ${storedBeforeCrash.length}, duplicates ${duplicates})\n`);
  });
});
