// Plain TCP confirms a batch only once the collector's TCP acknowledged it: what still sits in the agent's own send
// buffer is never counted as sent. Against a real rsyslogd that hangs (SIGSTOP) and is killed: every confirmed byte
// was in the collector's kernel, every unconfirmed batch is refused and arrives at the next collector.

import { expect } from 'chai';
import * as fs from 'fs';
import * as net from 'net';
import { createTransport } from '../../../agent/transport/create-transport';
import { kernelSendQueue, procAddress, txQueueFromTable } from '../../../agent/transport/kernel-send-queue';
import type { Transport } from '../../../agent/transport/transport';
import { silentLogger } from '../../../src/core/logger';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { waitFor } from '../../helpers/rsyslogd-process';
import { FAST_RECONNECT, forwardAction, range } from './forward-action-fixture';

/** Bytes the collector's kernel acknowledged and nobody read: rx_queue of the connections accepted on `port`. */
function collectorReceiveQueue(port: number): number {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let total = 0;
  for (const row of fs.readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const f = row.trim().split(/\s+/);
    if (f.length > 4 && f[1].endsWith(local) && f[3] === '01') total += parseInt(f[4].split(':')[1], 16);
  }
  return total;
}

const PAD = 'x'.repeat(200);
const message = (n: number): Buffer => Buffer.from(`<190>Dec  3 20:00:00 sensor1 bro_conn: m${String(n).padStart(6, '0')} ${PAD}`);

describe('tcp: a batch counts as sent once the collector acknowledged it', function () {
  this.timeout(90_000);

  it('/proc/net/tcp addresses: IPv4, IPv6 and IPv4-mapped, as the kernel prints them', () => {
    expect(procAddress('127.0.0.1', 514)).to.equal('0100007F:0202');
    expect(procAddress('10.1.2.3', 65535)).to.equal('0302010A:FFFF');
    expect(procAddress('::1', 6514)).to.equal('00000000000000000000000001000000:1972');
    expect(procAddress('::ffff:127.0.0.1', 80)).to.equal('0000000000000000FFFF00000100007F:0050');
    expect(procAddress('fe80::1:2', 1)).to.equal('000080FE000000000000000002000100:0001');
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:9AC5 0100007F:0202 01 00001F40:00000000 01:00000014 00000000     0        0 58381 1 0 20 4 30 10 -1',
      '   1: 0100007F:0202 0100007F:9AC5 01 00000000:000003E8 00:00000000 00000000     0        0 58382 1 0 20 4 30 10 -1',
      '',
    ].join('\n');
    const ends = { localAddress: '127.0.0.1', localPort: 0x9ac5, remoteAddress: '127.0.0.1', remotePort: 514 };
    expect(txQueueFromTable(table, ends)).to.equal(0x1f40);
    expect(txQueueFromTable(table, { ...ends, remotePort: 515 })).to.equal(undefined);
  });

  it('reads the kernel queue of a live connection: bytes while the peer does not read, 0 once it did', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => { s.pause(); accepted.push(s); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      const ends = { localAddress: client.localAddress!, localPort: client.localPort!, remoteAddress: client.remoteAddress!, remotePort: client.remotePort! };
      const queued = (): number => { const q = kernelSendQueue(ends); if (typeof q !== 'object') throw new Error(`connection ${q}`); return q.bytes; };
      expect(queued()).to.equal(0);
      client.write(Buffer.alloc(8 << 20));
      await waitFor('a full peer window', () => queued() > 0, 10_000);
      await waitFor('the server to accept', () => accepted.length === 1, 10_000);
      accepted[0].resume();
      await waitFor('everything acknowledged once the peer reads', () => client.writableLength === 0 && queued() === 0, 20_000);
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a collector that hangs and is killed: only bytes its kernel acknowledged were confirmed; the rest arrive at the next one', async () => {
    const first = await SyslogCollector.start({ protocol: 'tcp' });
    let second: SyslogCollector | undefined;
    let transport: Transport | undefined;
    try {
      first.hang(); // before the connection: rsyslogd reads nothing, its kernel still accepts and acknowledges
      transport = createTransport(forwardAction('tcp', first.port), silentLogger, FAST_RECONNECT);
      await transport.waitUntilReady(AbortSignal.timeout(20_000));
      // 60 batches of 500 ~245-byte messages (7 MB): more than the collector's receive buffer and ours together.
      const batches = range(0, 60).map((b) => range(b * 500, b * 500 + 500).map(message));
      const outcome: Array<'confirmed' | 'refused' | undefined> = batches.map(() => undefined);
      const sends = batches.map((messages, i) => transport!.send({ messages }).then(() => { outcome[i] = 'confirmed'; }, () => { outcome[i] = 'refused'; }));
      const confirmedBytes = (): number => outcome.reduce((sum, o, i) => sum + (o === 'confirmed' ? batches[i].reduce((s, m) => s + m.length + 1, 0) : 0), 0);
      // Wait until nothing moves any more: the collector's window is shut and the agent's buffer holds the rest.
      let last = -1;
      let stableSince = Date.now();
      await waitFor('confirmations to stop moving', () => {
        const now = confirmedBytes() + collectorReceiveQueue(first.port);
        if (now !== last) { last = now; stableSince = Date.now(); }
        return Date.now() - stableSince > 1500;
      }, 30_000);
      const acknowledgedByCollector = collectorReceiveQueue(first.port);
      expect(acknowledgedByCollector, 'the collector kernel took some').to.be.greaterThan(0);
      expect(outcome.filter((o) => o === undefined).length, 'batches waiting in the agent\'s own buffer').to.be.greaterThan(0);
      // The claim: confirmed ⊆ acknowledged by the collector's kernel (the old rule confirmed the agent's send buffer too).
      expect(confirmedBytes()).to.be.at.most(acknowledgedByCollector);
      await first.crash();
      await Promise.all(sends);
      expect(outcome.every((o) => o !== undefined)).to.equal(true);
      const firstRefused = outcome.indexOf('refused');
      expect(outcome.slice(firstRefused).every((o) => o === 'refused'), 'refusals are a suffix').to.equal(true);
      // What the queue does next: resend every refused batch, in order, to the collector that takes over.
      second = await SyslogCollector.start({ protocol: 'tcp', port: first.port });
      await transport.waitUntilReady(AbortSignal.timeout(20_000));
      for (const messages of batches.slice(firstRefused)) await transport.send({ messages });
      const expected = batches.slice(firstRefused).flat();
      const got = await second.waitForMessages(expected.length, 30_000);
      expect(got.length).to.equal(expected.length);
      expect(got[0].equals(expected[0]) && got[got.length - 1].equals(expected[expected.length - 1])).to.equal(true);
    } finally {
      await transport?.close();
      await first.crash();
      await first.stop();
      await second?.stop();
    }
  });
});
