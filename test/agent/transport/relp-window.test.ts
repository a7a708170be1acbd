// RELP pipelining: the client keeps at most `window` syslog commands unacknowledged (default 128, as omrelp),
// writes more as acknowledgements arrive, confirms batches only once every message is acknowledged and in call
// order, and ends the session on a refusal or a lost connection so nothing is confirmed that was not taken.
// Against an in-test RELP server that withholds acknowledgements, and against a real rsyslog imrelp.

import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_RELP_WINDOW, RelpTransport } from '../../../agent/transport/relp-transport';
import { silentLogger } from '../../../src/core/logger';
import { waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FakeRelpServer } from './fake-relp-server';
import { FAST_RECONNECT, range } from './forward-action-fixture';

const msg = (i: number): Buffer => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: window ${String(i).padStart(6, '0')}`);
const msgs = (from: number, to: number): Buffer[] => range(from, to).map(msg);

/** Lets the event loop turn long enough for a misbehaving client to write what it should not. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 150));

/** Tracks a promise's outcome without awaiting it. */
function track(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: string; done: Promise<void> } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; error?: string; done: Promise<void> } = { state: 'pending', done: Promise.resolve() };
  t.done = p.then(
    () => void (t.state = 'resolved'),
    (err: Error) => {
      t.state = 'rejected';
      t.error = err.message;
    },
  );
  return t;
}

describe('relp: window and pipelining', function () {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async function () {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });
  const fakeServer = async (): Promise<FakeRelpServer> => {
    const s = await FakeRelpServer.start();
    cleanup.push(() => s.stop());
    return s;
  };
  const relp = async (port: number, window?: number): Promise<RelpTransport> => {
    const t = new RelpTransport('127.0.0.1', port, { logger: silentLogger, ...FAST_RECONNECT, window });
    cleanup.push(() => t.close());
    await t.waitUntilReady(AbortSignal.timeout(10_000));
    return t;
  };

  it('never has more than `window` commands unacknowledged; writes more only as acknowledgements arrive', async function () {
    const server = await fakeServer();
    const t = await relp(server.port, 16);
    const batch = msgs(0, 100);
    const sending = track(t.send({ messages: batch }));
    await waitFor('a full window at the server', () => server.received.length === 16, 10_000, 5);
    await settle();
    expect(server.received.length, 'nothing beyond the window while no acknowledgement came').to.equal(16);
    server.ack(5);
    await waitFor('5 more commands after 5 acknowledgements', () => server.received.length === 21, 10_000, 5);
    await settle();
    expect(server.received.length).to.equal(21);
    expect(sending.state, 'not confirmed while messages are unacknowledged').to.equal('pending');
    server.autoAck = true;
    server.ack();
    await sending.done;
    expect(sending.state).to.equal('resolved');
    expect(server.maxUnacknowledged).to.equal(16);
    // In order, consecutive txnrs after `open` (txnr 1), exact bytes.
    expect(server.received.map((r) => r.txnr)).to.deep.equal(range(2, 102));
    expect(server.received.map((r) => r.data.toString('latin1'))).to.deep.equal(batch.map((b) => b.toString('latin1')));
    expect(t.status().messagesSent).to.equal(100);
  });

  it('defaults to omrelp\'s window of 128', async function () {
    expect(DEFAULT_RELP_WINDOW).to.equal(128);
    const server = await fakeServer();
    const t = await relp(server.port);
    const sending = track(t.send({ messages: msgs(0, 300) }));
    await waitFor('a full window at the server', () => server.received.length === 128, 10_000, 5);
    await settle();
    expect(server.received.length).to.equal(128);
    server.autoAck = true;
    server.ack();
    await sending.done;
    expect(sending.state).to.equal('resolved');
    expect(server.maxUnacknowledged).to.equal(128);
  });

  it('refuses a window below 1', function () {
    expect(() => new RelpTransport('127.0.0.1', 1, { logger: silentLogger, window: 0 })).to.throw(/window must be a whole number of at least 1/);
  });

  it('batches sent before the previous is confirmed share the window and are confirmed in call order', async function () {
    const server = await fakeServer();
    const t = await relp(server.port, 8);
    const order: string[] = [];
    const a = track(t.send({ messages: msgs(0, 5) }).then(() => void order.push('a')));
    const b = track(t.send({ messages: msgs(5, 10) }).then(() => void order.push('b')));
    await waitFor('the window filled across both batches', () => server.received.length === 8, 10_000, 5);
    await settle();
    expect(server.received.length).to.equal(8);
    // Acknowledge everything but a's first message: b's written messages are acknowledged, a is not complete.
    const first = server.unanswered.shift() as number;
    server.ack();
    await waitFor('the rest of b written', () => server.received.length === 10, 10_000, 5);
    server.ack();
    await settle();
    expect(a.state, 'a waits for its first message').to.equal('pending');
    expect(b.state, 'b, though fully acknowledged, is not confirmed ahead of a').to.equal('pending');
    server.unanswered.unshift(first);
    server.ack();
    await Promise.all([a.done, b.done]);
    expect(order).to.deep.equal(['a', 'b']);
    expect(server.received.map((r) => r.data.toString('latin1'))).to.deep.equal(msgs(0, 10).map((m) => m.toString('latin1')));
  });

  it('a refused message rejects its batch and every later one, and ends the session; the resend arrives on a new one', async function () {
    const server = await fakeServer();
    const t = await relp(server.port, 4);
    const a = track(t.send({ messages: msgs(0, 3) }));
    const b = track(t.send({ messages: msgs(3, 6) }));
    await waitFor('a full window', () => server.received.length === 4, 10_000, 5);
    server.refuseTxnr = server.received[1].txnr; // a's second message
    server.ack();
    await Promise.all([a.done, b.done]);
    expect(a.state).to.equal('rejected');
    expect(a.error).to.match(/refused transaction 3: 500 refused/);
    expect(b.state, 'a later batch cannot be confirmed ahead of a refused one').to.equal('rejected');
    await t.waitUntilReady(AbortSignal.timeout(10_000));
    expect(server.sessions, 'the refusal ended the session').to.equal(2);
    const before = server.received.length;
    server.autoAck = true;
    await t.send({ messages: msgs(0, 6) });
    const resent = server.received.slice(before);
    expect(resent.map((r) => r.txnr), 'a new session starts at txnr 2 after open').to.deep.equal(range(2, 8));
    expect(resent.map((r) => r.data.toString('latin1'))).to.deep.equal(msgs(0, 6).map((m) => m.toString('latin1')));
  });

  it('a lost connection rejects every batch not fully acknowledged, and only those', async function () {
    const server = await fakeServer();
    const t = await relp(server.port, 4);
    const a = track(t.send({ messages: msgs(0, 2) }));
    const b = track(t.send({ messages: msgs(2, 6) }));
    await waitFor('a full window', () => server.received.length === 4, 10_000, 5);
    server.ack(2); // all of a
    await a.done;
    expect(a.state).to.equal('resolved');
    server.ack(1);
    await waitFor('b written to the end', () => server.received.length === 6, 10_000, 5);
    server.dropConnection();
    await b.done;
    expect(b.state).to.equal('rejected');
    expect(b.error).to.match(/connection lost before the collector acknowledged/);
    expect(t.status().messagesSent).to.equal(2);
  });

  it('property: any window, batch sizes and acknowledgement pattern: window kept, everything confirmed in order, bytes exact', async function () {
    const server = await fakeServer();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        async (window, batchSizes, ackSteps) => {
          const t = new RelpTransport('127.0.0.1', server.port, { logger: silentLogger, ...FAST_RECONNECT, window });
          try {
            server.autoAck = false;
            server.maxUnacknowledged = 0;
            server.received.length = 0;
            await t.waitUntilReady(AbortSignal.timeout(10_000));
            const batches: Buffer[][] = [];
            let next = 0;
            for (const size of batchSizes) {
              batches.push(msgs(next, next + size));
              next += size;
            }
            const order: number[] = [];
            const sends = batches.map((messages, k) => t.send({ messages }).then(() => void order.push(k)));
            // Acknowledge in the given step sizes (repeating them) whenever the client has written something.
            for (let step = 0; order.length < batches.length; step++) {
              await waitFor('the client to write or finish', () => server.unanswered.length > 0 || order.length === batches.length, 10_000, 1);
              server.ack(ackSteps[step % ackSteps.length]);
              await new Promise((resolve) => setImmediate(resolve));
            }
            await Promise.all(sends);
            expect(server.maxUnacknowledged).to.be.at.most(window);
            expect(order).to.deep.equal(range(0, batches.length));
            expect(server.received.map((r) => r.data.toString('latin1'))).to.deep.equal(msgs(0, next).map((m) => m.toString('latin1')));
            expect(server.received.map((r) => r.txnr)).to.deep.equal(range(2, next + 2));
            expect(t.status().messagesSent).to.equal(next);
          } finally {
            await t.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  describe('against rsyslog imrelp', function () {
    const collector = async (): Promise<SyslogCollector> => {
      const c = await SyslogCollector.start({ protocol: 'relp' });
      cleanup.push(() => c.stop());
      return c;
    };

    it('a 20,000-message batch arrives complete, in order, with exact bytes', async function () {
      const c = await collector();
      const t = await relp(c.port);
      const batch = msgs(0, 20_000);
      await t.send({ messages: batch });
      // send() resolved: every message was acknowledged, so all must be stored already.
      const stored = c.messages();
      expect(stored.length).to.equal(batch.length);
      expect(stored.every((m, i) => m.equals(batch[i])), 'every message in order, byte for byte').to.equal(true);
      expect(t.status().messagesSent).to.equal(20_000);
    });

    it('batches sent back to back without waiting arrive complete and in order', async function () {
      const c = await collector();
      const t = await relp(c.port);
      const batches = range(0, 20).map((k) => msgs(k * 500, (k + 1) * 500));
      const order: number[] = [];
      await Promise.all(batches.map((messages, k) => t.send({ messages }).then(() => void order.push(k))));
      expect(order).to.deep.equal(range(0, 20));
      const stored = c.messages();
      expect(stored.length).to.equal(10_000);
      expect(stored.every((m, i) => m.equals(msg(i))), 'every message in order, byte for byte').to.equal(true);
      await t.close();
      expect(c.daemonOutput).to.not.match(/error|abort/i);
    });
  });
});
