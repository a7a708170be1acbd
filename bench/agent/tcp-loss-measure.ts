// What plain TCP loses when a collector hangs and is then killed: `nsm agent` ships a file of numbered lines to a
// collector that reads some, stops reading (hung), and is reset after a while (kill -9 of a process with unread data:
// its kernel drops the receive buffer and answers with RST); a fresh collector then takes the rest. Prints how many
// lines never arrived and how many arrived twice. Run: `node dist/bench/agent/tcp-loss-measure.js [lines] [read-before-hang]`.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const LINE_PAD = 'x'.repeat(240);

class NumberedLineCollector {
  readonly seen = new Map<number, number>();
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private partial = '';
  lastDataAt = Date.now();

  constructor(private readonly hangAfter: number | undefined) {
    this.server = net.createServer((s) => this.accept(s));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  /** Bytes this process read from the kernel and has not handed to its 'data' handler (Node buffers while paused). */
  get bufferedBytes(): number {
    let total = Buffer.byteLength(this.partial, 'latin1');
    for (const s of this.sockets) total += s.readableLength;
    return total;
  }

  get distinct(): number {
    return this.seen.size;
  }

  /** As a kill -9 of the collector process: unread bytes are dropped and the agent gets an RST. */
  async kill(): Promise<void> {
    for (const s of this.sockets) s.resetAndDestroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    this.partial = '';
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.lastDataAt = Date.now();
      const lines = (this.partial + chunk.toString('latin1')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = /L(\d{7})/.exec(line);
        if (m) this.seen.set(Number(m[1]), (this.seen.get(Number(m[1])) ?? 0) + 1);
      }
      // Hung: the process stops reading; the kernel keeps acknowledging until its receive buffer is full.
      if (this.hangAfter !== undefined && this.seen.size >= this.hangAfter) socket.pause();
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface TcpLossResult {
  lines: number;
  lost: number;
  duplicated: number;
  /** What the collector held acknowledged and unprocessed when it was killed: its kernel's rx_queue and its own buffer. */
  unreadBytesAtKill: number;
  /** Bytes per line in the file (the syslog header adds about 40 more on the wire). */
  lineBytes: number;
}

/** Sum of rx_queue over the connections accepted on `port` (the collector's side). */
function receiveQueueBytes(port: number): number {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  let total = 0;
  for (const row of fs.readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const f = row.trim().split(/\s+/);
    if (f.length > 4 && `${f[1]} `.endsWith(local) && f[3] === '01') total += parseInt(f[4].split(':')[1], 16);
  }
  return total;
}

export async function measureTcpLoss(lines: number, readBeforeHang: number, hangMs = 5000): Promise<TcpLossResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-tcp-loss-'));
  const input = path.join(dir, 'conn.log');
  const out = fs.openSync(input, 'w');
  for (let i = 0; i < lines; i += 10_000) {
    let chunk = '';
    for (let n = i; n < Math.min(lines, i + 10_000); n++) chunk += `L${String(n).padStart(7, '0')} ${LINE_PAD}\n`;
    fs.writeSync(out, chunk);
  }
  fs.closeSync(out);
  const hung = new NumberedLineCollector(readBeforeHang);
  const port = await hung.listen(0);
  const conf = path.join(dir, 'agent.conf');
  fs.writeFileSync(conf, [
    'module(load="imfile" mode="inotify")',
    `input(type="imfile" File="${input}" Tag="bro_conn:" Facility="local7" Severity="info")`,
    `action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp")`,
    '',
  ].join('\n'));
  const agent = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'nsm'), 'agent', '-f', conf, '--work-dir', path.join(dir, 'work'),
    '--log-file', path.join(dir, 'agent.log')], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 60_000;
    while (hung.distinct < readBeforeHang && Date.now() < deadline) await sleep(50);
    await sleep(hangMs);
    const unread = receiveQueueBytes(port) + hung.bufferedBytes;
    await hung.kill();
    const fresh = new NumberedLineCollector(undefined);
    await fresh.listen(port);
    // Done once every line arrived, or nothing came for 5 s (the agent reconnects within its backoff, at most 30 s).
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const got = new Set([...hung.seen.keys(), ...fresh.seen.keys()]).size;
      if (got === lines || (fresh.distinct > 0 && Date.now() - fresh.lastDataAt > 5000)) break;
      await sleep(100);
    }
    await fresh.kill();
    const all = new Map(hung.seen);
    for (const [n, c] of fresh.seen) all.set(n, (all.get(n) ?? 0) + c);
    let duplicated = 0;
    for (const c of all.values()) duplicated += c - 1;
    return { lines, lost: lines - all.size, duplicated, unreadBytesAtKill: unread, lineBytes: 8 + 1 + LINE_PAD.length + 1 };
  } finally {
    agent.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const lines = Number(process.argv[2] ?? 300_000);
  const readBeforeHang = Number(process.argv[3] ?? 20_000);
  measureTcpLoss(lines, readBeforeHang).then((r) => {
    process.stdout.write(`tcp loss: ${r.lines} lines, collector hung after ${readBeforeHang} and was killed: ` +
      `${r.lost} lost, ${r.duplicated} duplicated; the collector held ${r.unreadBytesAtKill} bytes acknowledged and unprocessed when killed (~${Math.round(r.unreadBytesAtKill / (r.lineBytes + 45))} lines)\n`);
  }, (err: unknown) => {
    process.stderr.write(`tcp-loss-measure: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
