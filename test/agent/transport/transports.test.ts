// Each transport against a real rsyslogd collector on 127.0.0.1: exact bytes in, exact bytes stored; reconnect
// after the collector restarts; TLS verification failures are reported and leak nothing in clear.

import { expect } from 'chai';
import * as net from 'net';
import * as fs from 'fs';
import type { ForwardAction, TlsSettings } from '../../../agent/config/agent-config';
import { createTransport } from '../../../agent/transport/create-transport';
import { TlsTransport } from '../../../agent/transport/tls-transport';
import type { Transport } from '../../../agent/transport/transport';
import { createLogger, MemorySink, silentLogger } from '../../../src/core/logger';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { freePort, makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { createTestPki, type TestPki } from '../../helpers/test-pki';
import { forwardAction } from './forward-action-fixture';

const FAST_RETRY = { backoff: { initialMs: 50, maxMs: 400 }, connectTimeoutMs: 2000 };

/** Messages with the bytes that trip naive senders: TABs, control bytes, CR, invalid UTF-8. */
const AWKWARD = [
  Buffer.from('<190>Nov 23 10:00:41 sensor1 bro_conn: 1322000000.1\tCHhAvV\t10.0.0.1\t80'),
  Buffer.from([...Buffer.from('<190>Nov 23 10:00:41 sensor1 bro_conn: ctl'), 0x01, 0x1b, 0x7f, 0xff, 0xfe, 0x0d]),
  Buffer.from('<190>Nov 23 10:00:41 sensor1 bro_conn:  two spaces, é'),
];
const P23_WITH_LF = Buffer.from('<190>1 2026-11-23T10:00:41.000000+00:00 sensor1 bro_conn - - - p23\n');

async function sendAll(t: Transport, messages: Buffer[]): Promise<void> {
  await t.waitUntilReady(AbortSignal.timeout(20_000));
  await t.send({ messages });
}

/** What a plain TCP listener received from `connect(port)` before giving up on it (and whether it ever got 'up'). */
async function bytesSeenByPlainListener(connect: (port: number) => Transport): Promise<{ ready: string; bytes: Buffer }> {
  const seen: Buffer[] = [];
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => seen.push(d));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 200);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const t = connect((server.address() as net.AddressInfo).port);
    const ready = await t.waitUntilReady(AbortSignal.timeout(1000)).then(() => 'up', () => 'not up');
    return { ready, bytes: Buffer.concat(seen) };
  } finally {
    server.close();
  }
}

/** A transport whose collector failed verification: never up, says why, rejects a send, delivers nothing. */
async function expectRefusedAndNothingDelivered(t: Transport, c: SyslogCollector, why: RegExp): Promise<void> {
  const ready = await t.waitUntilReady(AbortSignal.timeout(1500)).then(() => 'up', () => 'not up');
  expect(ready).to.equal('not up');
  expect(t.status().state).to.not.equal('up');
  expect(t.status().lastError ?? '').to.match(why);
  let rejected = false;
  await t.send({ messages: [AWKWARD[0]] }).catch(() => (rejected = true));
  expect(rejected).to.equal(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(c.messages()).to.have.length(0);
}

describe('transports against a real rsyslogd collector', function () {
  const open: { stop(): Promise<void> }[] = [];
  const transports: Transport[] = [];
  afterEach(async function () {
    for (const t of transports.splice(0)) await t.close();
    for (const c of open.splice(0)) await c.stop();
  });
  const collector = async (opts: Parameters<typeof SyslogCollector.start>[0]): Promise<SyslogCollector> => {
    const c = await SyslogCollector.start(opts);
    open.push(c);
    return c;
  };
  const transport = (a: ForwardAction, logger = silentLogger): Transport => {
    const t = createTransport(a, logger, FAST_RETRY);
    transports.push(t);
    return t;
  };

  for (const framing of ['lf', 'octet-counted'] as const) {
    it(`tcp (${framing}) delivers exact bytes in order`, async function () {
      const c = await collector({ protocol: 'tcp' });
      const t = transport(forwardAction('tcp', c.port, framing));
      await sendAll(t, [...AWKWARD, P23_WITH_LF]);
      const got = await c.waitForMessages(4);
      // LF framing: P23's own final LF is the frame end; octet counting carries it inside the message.
      const expected = [...AWKWARD, framing === 'lf' ? P23_WITH_LF.subarray(0, -1) : P23_WITH_LF];
      expect(got.map((b) => b.toString('hex'))).to.deep.equal(expected.map((b) => b.toString('hex')));
      expect(t.status()).to.include({ state: 'up', messagesSent: 4 });
    });
  }

  it('udp delivers one datagram per message with exact bytes', async function () {
    const c = await collector({ protocol: 'udp' });
    const t = transport(forwardAction('udp', c.port));
    await sendAll(t, AWKWARD);
    const got = await c.waitForMessages(3);
    expect(got.map((b) => b.toString('hex'))).to.deep.equal(AWKWARD.map((b) => b.toString('hex')));
  });

  it('tcp: fails sends while the collector is down, reconnects when it is back, and counts the reconnect', async function () {
    const port = await freePort();
    const sink = new MemorySink();
    const t = transport(forwardAction('tcp', port), createLogger('test', sink, 'debug'));
    let rejected = false;
    await t.send({ messages: [AWKWARD[0]] }).catch(() => (rejected = true));
    expect(rejected, 'send before any connection must reject').to.equal(true);
    const ready = t.waitUntilReady(AbortSignal.timeout(20_000));
    await waitFor('a failed connect attempt', () => t.status().lastError !== undefined, 5000);
    expect(t.status().state).to.be.oneOf(['down', 'connecting']);
    const first = await collector({ protocol: 'tcp', port });
    await ready;
    await t.send({ messages: [Buffer.from('<190>before restart')] });
    await first.waitForMessages(1);
    await first.stop();
    open.splice(open.indexOf(first), 1);
    await waitFor('the transport to notice the collector left', () => t.status().state !== 'up', 10_000);
    const second = await collector({ protocol: 'tcp', port });
    await t.waitUntilReady(AbortSignal.timeout(20_000));
    await t.send({ messages: [Buffer.from('<190>after restart')] });
    expect((await second.waitForMessages(1)).map(String)).to.deep.equal(['<190>after restart']);
    expect(t.status().reconnects).to.equal(1);
    expect(sink.lines.some((l) => /cannot connect .*ECONNREFUSED/.test(l))).to.equal(true);
  });

  describe('tls (rsyslog imtcp with gtls)', function () {
    let pki: TestPki;
    let pkiDir: string;
    before(function () {
      pkiDir = makeTempDir('pki');
      pki = createTestPki(pkiDir);
    });
    after(function () {
      fs.rmSync(pkiDir, { recursive: true, force: true });
    });

    for (const framing of ['lf', 'octet-counted'] as const) {
      it(`delivers exact bytes with the collector verified by CA and permitted peer name (${framing})`, async function () {
        const c = await collector({ protocol: 'tls', tls: pki });
        const t = transport(forwardAction('tls', c.port, framing, { caFile: pki.caFile, verifyPeer: true, permittedPeers: ['collector.test'] }));
        await sendAll(t, AWKWARD);
        const got = await c.waitForMessages(3);
        expect(got.map((b) => b.toString('hex'))).to.deep.equal(AWKWARD.map((b) => b.toString('hex')));
      });
    }

    it('verifies against the host when no permitted peers are configured (IP SAN 127.0.0.1)', async function () {
      const c = await collector({ protocol: 'tls', tls: pki });
      const t = transport(forwardAction('tls', c.port, 'lf', { caFile: pki.caFile, verifyPeer: true, permittedPeers: [] }));
      await sendAll(t, [AWKWARD[0]]);
      expect((await c.waitForMessages(1))[0].equals(AWKWARD[0])).to.equal(true);
    });

    for (const [label, settings] of [
      ['a CA that did not sign the collector', (p: TestPki): TlsSettings => ({ caFile: p.wrongCaFile, verifyPeer: true, permittedPeers: [] })],
      ['a permitted peer name the certificate lacks', (p: TestPki): TlsSettings => ({ caFile: p.caFile, verifyPeer: true, permittedPeers: ['elsa.example.org'] })],
    ] as const) {
      it(`refuses ${label}: reports why, stays down, delivers nothing`, async function () {
        const c = await collector({ protocol: 'tls', tls: pki });
        const t = transport(forwardAction('tls', c.port, 'lf', settings(pki)), createLogger('test', new MemorySink(), 'debug'));
        await expectRefusedAndNothingDelivered(t, c, /TLS verification of the collector failed|match none of the permitted peers/);
      });
    }

    it('x509/certvalid verifies the chain only, as rsyslog: delivers to a collector whose name is not the permitted peer', async function () {
      const c = await collector({ protocol: 'tls', tls: pki });
      const t = transport(forwardAction('tls', c.port, 'lf', { caFile: pki.caFile, verifyPeer: true, permittedPeers: ['elsa.example.org'], checkName: false }));
      await sendAll(t, [AWKWARD[0]]);
      expect((await c.waitForMessages(1))[0].equals(AWKWARD[0])).to.equal(true);
    });

    it('x509/certvalid still refuses a collector its CA did not sign', async function () {
      const c = await collector({ protocol: 'tls', tls: pki });
      const t = transport(forwardAction('tls', c.port, 'lf', { caFile: pki.wrongCaFile, verifyPeer: true, permittedPeers: [], checkName: false }),
        createLogger('test', new MemorySink(), 'debug'));
      await expectRefusedAndNothingDelivered(t, c, /TLS verification of the collector failed/);
    });

    it('never writes a message in clear: a plain TCP listener sees only a TLS ClientHello', async function () {
      const { ready, bytes } = await bytesSeenByPlainListener((port) => {
        const t = new TlsTransport('127.0.0.1', port, { caFile: pki.caFile, verifyPeer: true, permittedPeers: [] }, { framing: 'lf', logger: silentLogger, ...FAST_RETRY });
        transports.push(t);
        return t;
      });
      expect(ready).to.equal('not up');
      expect(bytes.length).to.be.greaterThan(0);
      expect(bytes[0], 'TLS handshake record').to.equal(0x16);
      expect(bytes.includes(Buffer.from('bro_conn'))).to.equal(false);
    });
  });

  describe('relp over tls (rsyslog imrelp with tls="on")', function () {
    let pki: TestPki;
    let pkiDir: string;
    before(function () {
      pkiDir = makeTempDir('pki-relp');
      pki = createTestPki(pkiDir);
    });
    after(function () {
      fs.rmSync(pkiDir, { recursive: true, force: true });
    });

    it('delivers exact bytes, each acknowledged, with the collector verified by CA and permitted peer name', async function () {
      const c = await collector({ protocol: 'relp', tls: pki });
      // The agent presents a certificate of its own (omrelp tls.myCert/tls.myPrivKey): imrelp authenticates clients.
      const t = transport(forwardAction('relp', c.port, 'lf', {
        caFile: pki.caFile, certFile: pki.certFile, keyFile: pki.keyFile, verifyPeer: true, permittedPeers: ['collector.test'],
      }));
      expect(t.name).to.equal(`relp+tls://127.0.0.1:${c.port}`);
      await sendAll(t, [...AWKWARD, P23_WITH_LF]);
      const got = await c.waitForMessages(4);
      expect(got.map((b) => b.toString('hex'))).to.deep.equal([...AWKWARD, P23_WITH_LF].map((b) => b.toString('hex')));
      await t.close();
      expect(c.daemonOutput).to.not.match(/error|abort/i);
    });

    it('refuses a collector its CA did not sign: reports why and delivers nothing', async function () {
      const c = await collector({ protocol: 'relp', tls: pki });
      const t = transport(forwardAction('relp', c.port, 'lf', {
        caFile: pki.wrongCaFile, certFile: pki.certFile, keyFile: pki.keyFile, verifyPeer: true, permittedPeers: [],
      }), createLogger('test', new MemorySink(), 'debug'));
      await expectRefusedAndNothingDelivered(t, c, /TLS verification of the collector failed/);
    });

    it('never writes a RELP frame in clear: a plain TCP listener sees only a TLS ClientHello', async function () {
      const { ready, bytes } = await bytesSeenByPlainListener((port) =>
        transport(forwardAction('relp', port, 'lf', { caFile: pki.caFile, verifyPeer: true, permittedPeers: [] })));
      expect(ready).to.equal('not up');
      expect(bytes.length).to.be.greaterThan(0);
      expect(bytes[0], 'TLS handshake record').to.equal(0x16);
      expect(bytes.includes(Buffer.from('relp_version'))).to.equal(false);
    });
  });

  it('relp delivers exact bytes, each acknowledged by rsyslog imrelp, and closes the session cleanly', async function () {
    const c = await collector({ protocol: 'relp' });
    const t = transport(forwardAction('relp', c.port));
    await sendAll(t, [...AWKWARD, P23_WITH_LF]);
    // send() resolved: every message was acknowledged, so it must already be at the collector.
    const got = await c.waitForMessages(4);
    expect(got.map((b) => b.toString('hex'))).to.deep.equal([...AWKWARD, P23_WITH_LF].map((b) => b.toString('hex')));
    expect(t.status()).to.include({ state: 'up', messagesSent: 4 });
    await t.close();
    expect(c.daemonOutput).to.not.match(/error|abort/i);
  });
});
