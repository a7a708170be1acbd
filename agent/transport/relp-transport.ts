// RELP client (rsyslog omrelp / imrelp): every message is a `syslog` command with a transaction number that the
// collector acknowledges with `rsp 200` once it has taken the message. A batch is confirmed only when every
// message in it is acknowledged: the one transport that confirms application-level receipt.
// Frame: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. Session: `open` (offers) -> `syslog`... -> `close`.
// If the connection drops with messages unacknowledged, send() rejects and the queue resends the whole batch
// after reconnecting: messages acknowledged just before the drop may then arrive twice, never zero times.

import * as net from 'net';
import { StreamSocketTransport, type StreamTransportOptions } from './stream-socket-transport';
import { hostForUrl } from './tcp-transport';
import type { TransportBatch } from './transport';

const OPEN_OFFERS = 'relp_version=0\nrelp_software=nsm\ncommands=syslog';
const MAX_TXNR = 999_999_999;

interface PendingAck {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RelpTransport extends StreamSocketTransport {
  readonly name: string;
  protected readonly readyEvent = 'connect';
  private txnr = 0;
  private readonly pending = new Map<number, PendingAck>();
  private received: Buffer = Buffer.alloc(0);

  constructor(
    readonly host: string,
    readonly port: number,
    options: Omit<StreamTransportOptions, 'framing'>,
  ) {
    super({ ...options, framing: 'lf' });
    this.name = `relp://${hostForUrl(host)}:${port}`;
  }

  protected openSocket(): net.Socket {
    this.txnr = 0;
    this.received = Buffer.alloc(0);
    return net.connect({ host: this.host, port: this.port });
  }

  protected override handshake(socket: net.Socket): Promise<void> {
    const ack = this.expectAck(this.nextTxnr());
    socket.write(relpFrame(this.txnr, 'open', Buffer.from(OPEN_OFFERS)));
    return ack;
  }

  override async send(batch: TransportBatch): Promise<void> {
    const socket = this.liveSocket;
    if (!socket) throw new Error(`${this.name} is not connected (${this.status().lastError ?? this.status().state})`);
    const acks: Promise<void>[] = [];
    const frames: Buffer[] = [];
    let bytes = 0;
    for (const m of batch.messages) {
      const n = this.nextTxnr();
      acks.push(this.expectAck(n));
      frames.push(relpFrame(n, 'syslog', m));
      bytes += m.length;
    }
    socket.write(Buffer.concat(frames));
    await Promise.all(acks);
    this.countSent(batch.messages.length, bytes);
  }

  override async close(): Promise<void> {
    const socket = this.liveSocket;
    if (socket) {
      // Polite close: `close` and wait briefly for its rsp, so imrelp does not log an aborted session.
      const ack = this.expectAck(this.nextTxnr()).catch(() => undefined);
      socket.write(relpFrame(this.txnr, 'close', Buffer.alloc(0)));
      await Promise.race([ack, new Promise((r) => setTimeout(r, 1000))]);
    }
    await super.close();
    this.failPending(new Error(`${this.name} closed`));
  }

  protected override onData(chunk: Buffer): void {
    this.received = this.received.length > 0 ? Buffer.concat([this.received, chunk]) : chunk;
    for (;;) {
      let frame: ReturnType<typeof parseRelpFrame>;
      try {
        frame = parseRelpFrame(this.received);
      } catch (err) {
        // Unparseable answers: nothing can be confirmed on this connection any more.
        this.received = Buffer.alloc(0);
        this.failPending(err as Error);
        this.liveSocket?.destroy(err as Error);
        return;
      }
      if (!frame) return;
      this.received = this.received.subarray(frame.length);
      if (frame.command === 'rsp') {
        const waiter = this.pending.get(frame.txnr);
        if (!waiter) continue;
        this.pending.delete(frame.txnr);
        const status = frame.data.toString('latin1', 0, 3);
        if (status === '200') waiter.resolve();
        else waiter.reject(new Error(`${this.name}: collector refused transaction ${frame.txnr}: ${frame.data.toString('latin1').split('\n')[0]}`));
      } else if (frame.command === 'serverclose') {
        this.failPending(new Error(`${this.name}: collector closed the session`));
      }
    }
  }

  protected override onConnectionLost(): void {
    this.failPending(new Error(`${this.name}: connection lost before the collector acknowledged the batch`));
  }

  private nextTxnr(): number {
    this.txnr = this.txnr >= MAX_TXNR ? 1 : this.txnr + 1;
    return this.txnr;
  }

  private expectAck(txnr: number): Promise<void> {
    return new Promise((resolve, reject) => this.pending.set(txnr, { resolve, reject }));
  }

  private failPending(err: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w.reject(err);
  }
}

export function relpFrame(txnr: number, command: string, data: Buffer): Buffer {
  const head = data.length > 0 ? `${txnr} ${command} ${data.length} ` : `${txnr} ${command} 0`;
  return Buffer.concat([Buffer.from(head, 'latin1'), data, Buffer.from('\n')]);
}

/** Parses one complete frame at the start of `buf`, or returns undefined if more bytes are needed. */
export function parseRelpFrame(buf: Buffer): { txnr: number; command: string; data: Buffer; length: number } | undefined {
  const sp1 = buf.indexOf(0x20);
  if (sp1 < 0) return undefined;
  const sp2 = buf.indexOf(0x20, sp1 + 1);
  if (sp2 < 0) return undefined;
  // DATALEN ends at SP (data follows) or at LF (DATALEN 0).
  let end = sp2 + 1;
  while (end < buf.length && buf[end] >= 0x30 && buf[end] <= 0x39) end++;
  if (end >= buf.length) return undefined;
  const txnr = Number(buf.toString('latin1', 0, sp1));
  const command = buf.toString('latin1', sp1 + 1, sp2);
  const dataLen = Number(buf.toString('latin1', sp2 + 1, end));
  if (!Number.isInteger(txnr) || !Number.isInteger(dataLen) || end === sp2 + 1) {
    throw new Error(`malformed RELP frame: ${JSON.stringify(buf.toString('latin1', 0, Math.min(buf.length, 40)))}`);
  }
  const dataStart = dataLen > 0 ? end + 1 : end;
  const total = dataStart + dataLen + 1;
  if (buf.length < total) return undefined;
  return { txnr, command, data: buf.subarray(dataStart, dataStart + dataLen), length: total };
}
