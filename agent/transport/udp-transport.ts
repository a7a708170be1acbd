// UDP syslog (rsyslog omfwd protocol="udp"): one datagram per message, no framing. A batch is confirmed once
// every datagram is handed to the kernel; UDP cannot tell whether the collector got it, exactly as with rsyslog.
// The socket is not connect()ed: ICMP "port unreachable" from an absent collector would otherwise fail a later,
// unrelated send and make the queue resend (and duplicate) messages that did leave.

import * as dgram from 'dgram';
import * as net from 'net';
import type { Logger } from '../../src/core/logger';
import type { Transport, TransportBatch, TransportState, TransportStatus } from './transport';
import { hostForUrl } from './tcp-transport';

export class UdpTransport implements Transport {
  readonly name: string;
  private socket?: dgram.Socket;
  private state: TransportState = 'down';
  private lastError?: string;
  private messagesSent = 0;
  private bytesSent = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly logger: Logger,
  ) {
    this.name = `udp://${hostForUrl(host)}:${port}`;
  }

  status(): TransportStatus {
    return { state: this.state, lastError: this.lastError, messagesSent: this.messagesSent, bytesSent: this.bytesSent, reconnects: 0 };
  }

  async waitUntilReady(): Promise<void> {
    if (this.state === 'closed') throw new Error(`${this.name} is closed`);
    if (this.socket) return;
    const socket = dgram.createSocket(net.isIPv6(this.host) ? 'udp6' : 'udp4');
    socket.on('error', (err) => {
      this.lastError = err.message;
      this.logger.warn('udp socket error', { transport: this.name, error: err.message });
    });
    this.socket = socket;
    this.state = 'up';
  }

  async send(batch: TransportBatch): Promise<void> {
    const socket = this.socket;
    if (!socket || this.state !== 'up') throw new Error(`${this.name} is not ready (${this.state})`);
    await Promise.all(
      batch.messages.map(
        (m) =>
          new Promise<void>((resolve, reject) => {
            socket.send(m, this.port, this.host, (err) => {
              if (err) {
                this.lastError = err.message;
                return reject(new Error(`${this.name}: send failed: ${err.message}`));
              }
              this.messagesSent++;
              this.bytesSent += m.length;
              resolve();
            });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    this.state = 'closed';
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
