// Proves live capture on the loopback interface: the BPF filter reaches the kernel (only the test's port is
// delivered) and packets decode into the UDP datagrams and TCP handshake the test itself made.

import { expect } from 'chai';
import * as dgram from 'dgram';
import * as net from 'net';
import { openLiveCapture } from '../../../sensor/capture/open-capture';
import { DecodedPacket, IPPROTO_TCP, IPPROTO_UDP, TCP_SYN } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('live capture on lo', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('delivers only the filtered port: our UDP datagrams and TCP handshake', async function () {
    this.timeout(30000);
    const port = await freePort();
    const otherPort = await freePort();
    const udpServer = dgram.createSocket('udp4');
    await new Promise<void>((r) => udpServer.bind(port, '127.0.0.1', r));
    cleanups.push(() => udpServer.close());
    const tcpServer = net.createServer((s) => s.end('hello'));
    await new Promise<void>((r) => tcpServer.listen(port, '127.0.0.1', r));
    cleanups.push(() => tcpServer.close());

    const source = openLiveCapture('lo', { filter: `port ${port}`, promisc: false });
    cleanups.push(() => source.stop());
    const decoder = new PacketDecoder({ weird: () => undefined });
    const pkt = new DecodedPacket();
    const seen: { proto: number; src: number; dst: number; flags: number; payload: string }[] = [];
    const running = source.run((lt, frame, off, cap, wire, sec, usec) => {
      if (!decoder.decode(lt, frame, off, cap, wire, sec, usec, pkt)) return;
      seen.push({
        proto: pkt.protocol, src: pkt.srcPort, dst: pkt.dstPort, flags: pkt.tcpFlags,
        payload: pkt.data.toString('latin1', pkt.payloadOffset, pkt.payloadOffset + pkt.payloadCapturedLength),
      });
    });

    const client = dgram.createSocket('udp4');
    cleanups.push(() => client.close());
    const deadline = Date.now() + 15000;
    const udpSeen = (): number => seen.filter((s) => s.proto === IPPROTO_UDP && s.dst === port && s.payload.startsWith('nsm-test')).length;
    // Keep sending until the capture has started and seen them (capture start is asynchronous in libpcap).
    for (let i = 0; udpSeen() < 5 && Date.now() < deadline; i++) {
      client.send(`nsm-test-${i}`, port, '127.0.0.1');
      client.send('noise', otherPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
    }
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1');
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    expect(reply).to.equal('hello');
    while (!seen.some((s) => s.proto === IPPROTO_TCP && s.payload === 'hello') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    source.stop();
    await running;

    expect(udpSeen()).to.be.at.least(5);
    expect(seen.every((s) => s.src === port || s.dst === port), 'only the filtered port').to.equal(true);
    expect(seen.some((s) => s.proto === IPPROTO_TCP && s.dst === port && (s.flags & TCP_SYN) !== 0)).to.equal(true);
    expect(seen.some((s) => s.proto === IPPROTO_TCP && s.src === port && s.payload === 'hello')).to.equal(true);
  });

  it('reports a missing interface as a clear error', async () => {
    const source = openLiveCapture('nsm-no-such-if0', {});
    let error: Error | undefined;
    await source.run(() => undefined).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/cannot capture on nsm-no-such-if0/);
  });
});
