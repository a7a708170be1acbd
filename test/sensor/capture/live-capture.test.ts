// Proves live capture on the loopback interface: the BPF filter reaches the kernel (only the test's port is
// delivered), packets decode into the UDP datagrams and TCP handshake the test itself made, the counters add up,
// and a stopped capture really lets go (a node process exits by itself, a handler error ends run()).

import { expect } from 'chai';
import { spawn } from 'child_process';
import * as dgram from 'dgram';
import * as net from 'net';
import * as path from 'path';
import { LiveCaptureSource } from '../../../sensor/capture/live-capture-source';
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

    const source = new LiveCaptureSource('lo', { filter: `port ${port}`, promisc: false });
    cleanups.push(() => source.stop());
    const decoder = new PacketDecoder({ weird: () => undefined });
    const pkt = new DecodedPacket();
    const seen: { proto: number; src: number; dst: number; flags: number; payload: string }[] = [];
    let delivered = 0;
    let deliveredBytes = 0;
    const running = source.run((lt, frame, off, cap, wire, sec, usec) => {
      delivered++;
      deliveredBytes += cap;
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

    const stats = source.stats();
    expect(stats, 'stats after stop').to.not.equal(undefined);
    expect(stats?.packets).to.equal(delivered);
    expect(stats?.bytes).to.equal(deliveredBytes);
    // lo: the kernel counts each packet leaving and entering; libpcap delivers the entering copy only.
    expect(stats?.kernelReceived).to.be.at.least(delivered);
    expect(stats?.kernelDropped).to.equal(0);
  });

  it('reports a missing interface as a clear error', async () => {
    const source = new LiveCaptureSource('nsm-no-such-if0', {});
    let error: Error | undefined;
    await source.run(() => undefined).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/cannot capture on nsm-no-such-if0/);
    expect(source.stats()).to.equal(undefined);
  });

  it('reports a bad filter expression as a clear error', async () => {
    const source = openLiveCapture('lo', { filter: 'port nonsense-port', promisc: false });
    let error: Error | undefined;
    await source.run(() => undefined).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/^cannot capture on lo: .*nonsense-port/);
  });

  it('lets a node process exit by itself once a capture on a quiet filter is stopped', async function () {
    this.timeout(30000);
    const port = await freePort();
    // A child process with nothing else to do: if stop() left a referenced handle behind, it would never exit.
    const modulePath = path.resolve(__dirname, '../../../sensor/capture/live-capture-source.js');
    const script = `
      const { LiveCaptureSource } = require(${JSON.stringify(modulePath)});
      const source = new LiveCaptureSource('lo', { filter: 'udp port ${port}', promisc: false });
      const running = source.run(() => undefined);
      setTimeout(() => source.stop(), 300);
      running.then(() => process.stdout.write(JSON.stringify(source.stats())), (e) => process.stdout.write('failed: ' + e.message));
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const bound = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15000).unref());
    const outcome = await Promise.race([exited, bound]);
    expect(outcome, `child output: ${out}`).to.equal(0);
    expect(JSON.parse(out)).to.deep.equal({ packets: 0, bytes: 0, kernelReceived: 0, kernelDropped: 0, interfaceDropped: 0 });
  });

  it('ends run() with the error a packet handler throws, and stops delivering', async function () {
    this.timeout(30000);
    const port = await freePort();
    const source = new LiveCaptureSource('lo', { filter: `udp port ${port}`, promisc: false });
    cleanups.push(() => source.stop());
    let calls = 0;
    const boom = new Error('handler failed');
    let settled: Error | 'resolved' | undefined;
    const running = source.run(() => {
      calls++;
      throw boom;
    });
    running.then(() => (settled = 'resolved'), (e: Error) => (settled = e));
    const client = dgram.createSocket('udp4');
    cleanups.push(() => client.close());
    // Capture start is asynchronous in the kernel: send until the handler has been reached (bounded).
    const deadline = Date.now() + 15000;
    while (settled === undefined && Date.now() < deadline) {
      client.send('boom', port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(settled).to.equal(boom);
    for (let i = 0; i < 5; i++) client.send('after', port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).to.equal(1);
    expect(source.stats()?.packets).to.equal(1);
  });

  it('refuses a second run() while one is active', async function () {
    const source = new LiveCaptureSource('lo', { filter: 'udp port 9', promisc: false });
    cleanups.push(() => source.stop());
    const first = source.run(() => undefined);
    let error: Error | undefined;
    await source.run(() => undefined).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/already running/);
    source.stop();
    await first;
  });
});
