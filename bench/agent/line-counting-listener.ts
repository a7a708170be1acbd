// A loopback TCP syslog sink for the bench: counts LF-terminated lines and notes when the first and last bytes came.
// It does no parsing so that the receiver is never the bottleneck being measured.

import * as net from 'net';

export interface LineCount {
  lines: number;
  bytes: number;
  /** process.hrtime.bigint() of the first and the latest received chunk (ns); 0n before any data */
  firstByteAt: bigint;
  lastByteAt: bigint;
}

export class LineCountingListener {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  private readonly counted: LineCount = { lines: 0, bytes: 0, firstByteAt: 0n, lastByteAt: 0n };
  private waiter: { target: number; resolve: () => void } | undefined;

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  count(): LineCount {
    return { ...this.counted };
  }

  /** Resolves once `lines` lines have arrived; rejects after timeoutMs with how many did. */
  waitForLines(lines: number, timeoutMs: number): Promise<void> {
    if (this.counted.lines >= lines) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`listener: ${this.counted.lines} of ${lines} lines arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { target: lines, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const now = process.hrtime.bigint();
      if (this.counted.firstByteAt === 0n) this.counted.firstByteAt = now;
      this.counted.lastByteAt = now;
      this.counted.bytes += chunk.length;
      let at = chunk.indexOf(10);
      while (at !== -1) {
        this.counted.lines++;
        at = chunk.indexOf(10, at + 1);
      }
      if (this.waiter && this.counted.lines >= this.waiter.target) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve();
      }
    });
  }
}
