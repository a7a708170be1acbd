// A loopback syslog receiver that keeps the exact bytes it is sent (TCP: the stream per connection; UDP: each
// datagram), so the side-by-side test can compare what rsyslog and nsm put on the wire.

import * as dgram from 'dgram';
import * as net from 'net';

export class RawCaptureListener {
  /** TCP: one Buffer per connection, in accept order. */
  readonly streams: Buffer[][] = [];
  /** UDP: one Buffer per datagram. */
  readonly datagrams: Buffer[] = [];
  private tcp: net.Server | undefined;
  private udp: dgram.Socket | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly protocol: 'tcp' | 'udp') {}

  async listen(): Promise<number> {
    if (this.protocol === 'tcp') {
      const server = net.createServer((s) => {
        const chunks: Buffer[] = [];
        this.streams.push(chunks);
        this.sockets.add(s);
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      });
      this.tcp = server;
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
      return (server.address() as net.AddressInfo).port;
    }
    const socket = dgram.createSocket('udp4');
    this.udp = socket;
    socket.on('message', (m: Buffer) => this.datagrams.push(m));
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, '127.0.0.1', () => resolve()); });
    return socket.address().port;
  }

  /** Everything received over TCP, connections concatenated in accept order. */
  tcpBytes(): Buffer {
    return Buffer.concat(this.streams.map((chunks) => Buffer.concat(chunks)));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
  }
}
