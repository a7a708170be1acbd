// An in-test RELP collector on 127.0.0.1 whose acknowledgements the test controls: it answers `open` and
// `close`, records every `syslog` command in arrival order, and sends `rsp 200` only when told to (or at once
// with autoAck). It tracks the most syslog commands ever unacknowledged, to check a client's window.
// Its frame reader is written separately from the transport's, so the two cannot share a mistake.

import * as net from 'net';

export interface ReceivedSyslog {
  txnr: number;
  data: Buffer;
}

export class FakeRelpServer {
  /** Every syslog command of every session, in arrival order. */
  readonly received: ReceivedSyslog[] = [];
  /** Txnrs received and not yet answered, oldest first (current session). */
  readonly unanswered: number[] = [];
  maxUnacknowledged = 0;
  sessions = 0;
  autoAck = false;
  /** Answer this txnr with `500` instead of `200` (once). */
  refuseTxnr?: number;
  private socket?: net.Socket;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(): Promise<FakeRelpServer> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeRelpServer(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => fake.accept(socket));
    return fake;
  }

  /** Answers the oldest `count` unanswered commands (all if omitted), in one write. */
  ack(count = this.unanswered.length): void {
    const txnrs = this.unanswered.splice(0, count);
    const answers = txnrs.map((t) => (t === this.refuseTxnr ? `${t} rsp 11 500 refused\n` : `${t} rsp 6 200 OK\n`));
    if (this.refuseTxnr !== undefined && txnrs.includes(this.refuseTxnr)) this.refuseTxnr = undefined;
    if (answers.length > 0) this.socket?.write(answers.join(''));
  }

  /** Drops the current connection without a word (a crash as the client sees it). */
  dropConnection(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  async stop(): Promise<void> {
    this.dropConnection();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.dropConnection();
    this.socket = socket;
    this.sessions++;
    this.unanswered.length = 0;
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const frame = readFrame(pending);
        if (!frame) break;
        pending = pending.subarray(frame.length);
        if (socket !== this.socket) return;
        this.handle(socket, frame);
      }
    });
  }

  private handle(socket: net.Socket, frame: { txnr: number; command: string; data: Buffer }): void {
    switch (frame.command) {
      case 'open': {
        const offers = 'relp_version=0\nrelp_software=fake\ncommands=syslog';
        const data = `200 OK\n${offers}`;
        socket.write(`${frame.txnr} rsp ${data.length} ${data}\n`);
        return;
      }
      case 'close':
        socket.write(`${frame.txnr} rsp 0\n`);
        return;
      case 'syslog':
        this.received.push({ txnr: frame.txnr, data: frame.data });
        this.unanswered.push(frame.txnr);
        this.maxUnacknowledged = Math.max(this.maxUnacknowledged, this.unanswered.length);
        if (this.autoAck) this.ack();
        return;
      default:
        throw new Error(`fake RELP server: unexpected command ${frame.command}`);
    }
  }
}

/** `TXNR SP CMD SP LEN [SP DATA] LF` at the start of buf, or undefined while incomplete. */
function readFrame(buf: Buffer): { txnr: number; command: string; data: Buffer; length: number } | undefined {
  const head = /^(\d+) ([a-z]+) (\d+)([ \n])/.exec(buf.toString('latin1', 0, Math.min(buf.length, 64)));
  if (!head) {
    if (buf.length >= 64 || /[^\d a-z]/.test(buf.toString('latin1', 0, buf.length))) throw new Error(`fake RELP server: bad frame ${JSON.stringify(buf.toString('latin1', 0, 64))}`);
    return undefined;
  }
  const len = Number(head[3]);
  const dataStart = head[4] === ' ' ? head[0].length : head[0].length - 1;
  if (buf.length < dataStart + len + 1) return undefined;
  if (buf[dataStart + len] !== 0x0a) throw new Error('fake RELP server: frame without trailing LF');
  return { txnr: Number(head[1]), command: head[2], data: Buffer.from(buf.subarray(dataStart, dataStart + len)), length: dataStart + len + 1 };
}
