// RELP client (rsyslog omrelp / imrelp): every message is a `syslog` command with a transaction number that the
// collector acknowledges with `rsp 200` once it has taken the message. A batch is confirmed only when every
// message in it is acknowledged: the one transport that confirms application-level receipt.
// Frame: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. Session: `open` (offers) -> `syslog`... -> `close`.
//
// Pipelining: like librelp's client (omrelp), up to `window` syslog commands (default 128) may be unacknowledged
// at once; frames are written as acknowledgements free the window, so the collector never waits for us and we
// never hold more than a window of frames in the socket. send() may be called again before the previous batch
// is confirmed: batches are written and confirmed in call order and share the one window. The queue keeps
// maxBatchesInFlight (2) batches outstanding: with one, imrelp's last acknowledgements of every batch wait out a
// delayed ACK (~40 ms per batch); with the next batch already written they leave at once.
//
// Failures: if the connection drops, every batch not fully acknowledged is rejected and the queue resends it after
// reconnecting, so messages acknowledged just before the drop may arrive twice, never zero times. A refused
// message (rsp other than 200) ends the session the same way: every batch not yet confirmed is rejected and the
// connection dropped, so no later message can reach the collector ahead of the resent one (a connection only
// ever carries the queue's messages in order).

import * as net from 'net';
import type { TlsSettings } from '../config/agent-config';
import { StreamSocketTransport, type StreamTransportOptions } from './stream-socket-transport';
import { hostForUrl } from './tcp-transport';
import { connectTls, describeTlsError } from './tls-transport';
import type { TransportBatch } from './transport';

const OPEN_OFFERS = 'relp_version=0\nrelp_software=nsm\ncommands=syslog';
const MAX_TXNR = 999_999_999;
/** librelp's RELP_DFLT_WINDOW_SIZE, which rsyslog's omrelp uses. */
export const DEFAULT_RELP_WINDOW = 128;
/** Batches the queue keeps outstanding: two are enough to keep the window full across batch boundaries. */
export const DEFAULT_RELP_BATCHES_IN_FLIGHT = 2;
/** Longest `TXNR SP syslog SP DATALEN SP` head plus the trailing LF: 9 + 1 + 6 + 1 + 10 + 1 + 1. */
const MAX_FRAME_OVERHEAD = 29;
const SYSLOG_COMMAND = Buffer.from(' syslog ', 'latin1');
const RSP = Buffer.from('rsp', 'latin1');
const SERVERCLOSE = Buffer.from('serverclose', 'latin1');
const STATUS_OK = Buffer.from('200', 'latin1');
const LF = 0x0a;

export interface RelpTransportOptions extends Omit<StreamTransportOptions, 'framing'> {
  /** Most syslog commands sent but not yet acknowledged (default 128, as omrelp). */
  window?: number;
  /** Batches the delivery queue may keep outstanding (default 2; 1 waits for each batch, as TCP does). */
  batchesInFlight?: number;
  /** RELP over TLS (omrelp tls="on"): the same settings and checks as syslog over TLS; absent = plain TCP. */
  tls?: TlsSettings;
}

/** One send() not yet confirmed. Its messages get consecutive txnrs as they are written. */
interface BatchInFlight {
  readonly messages: Buffer[];
  /** How many messages are written (the rest wait for room in the window). */
  written: number;
  /** txnr of messages[0], valid once written > 0. */
  firstTxnr: number;
  acked: number;
  /** Per message, 1 once acknowledged, so a repeated rsp cannot count twice. */
  readonly ackedFlags: Uint8Array;
  bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** A command outside the syslog stream (`open`, `close`): at most one at a time. */
interface ControlCommand {
  txnr: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RelpTransport extends StreamSocketTransport {
  readonly name: string;
  readonly window: number;
  readonly maxBatchesInFlight: number;
  protected readonly readyEvent: 'connect' | 'secureConnect';
  private readonly tls: TlsSettings | undefined;
  private txnr = 0;
  /** Oldest first; only the head may be confirmed, so confirmations keep call order. */
  private batches: BatchInFlight[] = [];
  /** Index in `batches` of the first batch with messages still to write. */
  private writeCursor = 0;
  /** Syslog commands written and not yet answered: what the window limits. */
  private unacked = 0;
  /** The most `unacked` has ever been: whether the window fills (then a larger one may help), and proof it is kept. */
  private peakUnacked = 0;
  private control?: ControlCommand;
  private closing = false;
  private received: Buffer = Buffer.alloc(0);
  private readonly frame: RelpFrameView = { txnr: 0, commandStart: 0, commandEnd: 0, dataStart: 0, dataEnd: 0, end: 0 };

  constructor(
    readonly host: string,
    readonly port: number,
    options: RelpTransportOptions,
  ) {
    super({ ...options, framing: 'lf' });
    this.tls = options.tls;
    // Over TLS nothing (not even RELP's open) is written before the collector's certificate has been checked.
    this.readyEvent = this.tls ? 'secureConnect' : 'connect';
    this.name = `relp${this.tls ? '+tls' : ''}://${hostForUrl(host)}:${port}`;
    this.window = options.window ?? DEFAULT_RELP_WINDOW;
    if (!Number.isInteger(this.window) || this.window < 1) {
      throw new Error(`${this.name}: RELP window must be a whole number of at least 1, not ${options.window}`);
    }
    this.maxBatchesInFlight = options.batchesInFlight ?? DEFAULT_RELP_BATCHES_IN_FLIGHT;
    if (!Number.isInteger(this.maxBatchesInFlight) || this.maxBatchesInFlight < 1) {
      throw new Error(`${this.name}: RELP batches in flight must be a whole number of at least 1, not ${options.batchesInFlight}`);
    }
  }

  /** Syslog commands written and not yet acknowledged now (at most `window`). */
  get unacknowledged(): number {
    return this.unacked;
  }

  /** The most syslog commands ever unacknowledged at once on this transport, across sessions (at most `window`). */
  get mostUnacknowledged(): number {
    return this.peakUnacked;
  }

  protected openSocket(): net.Socket {
    this.failAll(new Error(`${this.name}: reconnecting`));
    this.txnr = 0;
    this.received = Buffer.alloc(0);
    return this.tls ? connectTls(this.host, this.port, this.tls) : net.connect({ host: this.host, port: this.port });
  }

  protected override describeError(err: Error): string {
    return this.tls ? describeTlsError(err) : err.message;
  }

  protected override handshake(socket: net.Socket): Promise<void> {
    const ack = this.expectControlAck(this.nextTxnr());
    socket.write(relpFrame(this.txnr, 'open', Buffer.from(OPEN_OFFERS)));
    return ack;
  }

  override send(batch: TransportBatch): Promise<void> {
    if (!this.liveSocket || this.liveSocket.destroyed || this.closing) {
      return Promise.reject(new Error(`${this.name} is not connected (${this.status().lastError ?? this.status().state})`));
    }
    if (batch.messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.batches.push({
        messages: batch.messages,
        written: 0,
        firstTxnr: 0,
        acked: 0,
        ackedFlags: new Uint8Array(batch.messages.length),
        bytes: 0,
        resolve,
        reject,
      });
      this.writeWhatTheWindowAllows();
    });
  }

  override async close(): Promise<void> {
    this.closing = true;
    const socket = this.liveSocket;
    if (socket && !this.control) {
      // Polite close: `close` and wait briefly for its rsp, so imrelp does not log an aborted session.
      const ack = this.expectControlAck(this.nextTxnr()).catch(() => undefined);
      socket.write(relpFrame(this.txnr, 'close', Buffer.alloc(0)));
      await Promise.race([ack, new Promise((r) => setTimeout(r, 1000))]);
    }
    await super.close();
    this.failAll(new Error(`${this.name} closed`));
  }

  protected override onData(chunk: Buffer): void {
    this.received = this.received.length > 0 ? Buffer.concat([this.received, chunk]) : chunk;
    let start = 0;
    for (;;) {
      let complete: boolean;
      try {
        complete = readRelpFrame(this.received, start, this.frame);
      } catch (err) {
        // Unparseable answers: nothing can be confirmed on this connection any more.
        this.received = Buffer.alloc(0);
        this.endSession(err as Error);
        return;
      }
      if (!complete) break;
      start = this.frame.end;
      this.handleFrame(this.received);
      if (this.liveSocket?.destroyed) return; // the session ended on this frame
    }
    this.received = start < this.received.length ? this.received.subarray(start) : Buffer.alloc(0);
    // One write per chunk of answers: frames for all the room the acknowledgements just freed.
    this.writeWhatTheWindowAllows();
  }

  protected override onConnectionLost(): void {
    this.failAll(new Error(`${this.name}: connection lost before the collector acknowledged the batch`));
  }

  private handleFrame(buf: Buffer): void {
    const f = this.frame;
    if (bytesEqual(buf, f.commandStart, f.commandEnd, SERVERCLOSE)) {
      this.failAll(new Error(`${this.name}: collector closed the session`));
      return;
    }
    if (!bytesEqual(buf, f.commandStart, f.commandEnd, RSP)) return;
    const ok = f.dataEnd - f.dataStart >= 3 && bytesEqual(buf, f.dataStart, f.dataStart + 3, STATUS_OK);
    const control = this.control;
    if (control && control.txnr === f.txnr) {
      this.control = undefined;
      if (ok) control.resolve();
      else control.reject(this.refusal(buf));
      return;
    }
    for (let i = 0; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.written === 0) return; // later batches have nothing written either: an rsp for nothing of ours
      const index = txnrDistance(b.firstTxnr, f.txnr);
      if (index >= b.written) continue;
      if (!ok) return this.endSession(this.refusal(buf));
      if (b.ackedFlags[index] === 1) return;
      b.ackedFlags[index] = 1;
      b.acked++;
      this.unacked--;
      this.confirmCompleteBatches();
      return;
    }
  }

  /** Confirms fully acknowledged batches from the head, so confirmations keep call order. */
  private confirmCompleteBatches(): void {
    let done = 0;
    while (done < this.batches.length && this.batches[done].acked === this.batches[done].messages.length) done++;
    if (done === 0) return;
    const confirmed = this.batches.splice(0, done);
    this.writeCursor -= done;
    for (const b of confirmed) {
      this.countSent(b.messages.length, b.bytes);
      b.resolve();
    }
  }

  /** Fails everything in flight and drops the connection; the base class reconnects with backoff. */
  private endSession(err: Error): void {
    this.failAll(err);
    this.liveSocket?.destroy(err);
  }

  private refusal(buf: Buffer): Error {
    const f = this.frame;
    const firstLine = buf.toString('latin1', f.dataStart, f.dataEnd).split('\n')[0];
    return new Error(`${this.name}: collector refused transaction ${f.txnr}: ${firstLine}`);
  }

  /** Writes the next frames, in call order, until the window is full; one socket write for all of them. */
  private writeWhatTheWindowAllows(): void {
    const socket = this.liveSocket;
    if (!socket || socket.destroyed || this.closing) return;
    let room = this.window - this.unacked;
    if (room <= 0 || this.writeCursor >= this.batches.length) return;
    // Size the buffer for what will be written: an upper bound per frame, trimmed after filling.
    let size = 0;
    let counted = 0;
    for (let i = this.writeCursor; i < this.batches.length && counted < room; i++) {
      const b = this.batches[i];
      for (let m = b.written; m < b.messages.length && counted < room; m++, counted++) size += b.messages[m].length + MAX_FRAME_OVERHEAD;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (room > 0 && this.writeCursor < this.batches.length) {
      const b = this.batches[this.writeCursor];
      while (room > 0 && b.written < b.messages.length) {
        const message = b.messages[b.written];
        const txnr = this.nextTxnr();
        if (b.written === 0) b.firstTxnr = txnr;
        at = writeSyslogFrame(out, at, txnr, message);
        b.written++;
        b.bytes += message.length;
        this.unacked++;
        room--;
      }
      if (b.written === b.messages.length) this.writeCursor++;
    }
    if (this.unacked > this.peakUnacked) this.peakUnacked = this.unacked;
    socket.write(at === out.length ? out : out.subarray(0, at));
  }

  private nextTxnr(): number {
    this.txnr = this.txnr >= MAX_TXNR ? 1 : this.txnr + 1;
    return this.txnr;
  }

  private expectControlAck(txnr: number): Promise<void> {
    return new Promise((resolve, reject) => (this.control = { txnr, resolve, reject }));
  }

  private failAll(err: Error): void {
    const batches = this.batches;
    const control = this.control;
    this.batches = [];
    this.writeCursor = 0;
    this.unacked = 0;
    this.control = undefined;
    control?.reject(err);
    for (const b of batches) b.reject(err);
  }
}

/** How far `txnr` is after `first` in the txnr sequence (1..999999999, then 1 again). */
function txnrDistance(first: number, txnr: number): number {
  if (txnr < 1 || txnr > MAX_TXNR) return Number.MAX_SAFE_INTEGER;
  return txnr >= first ? txnr - first : txnr + MAX_TXNR - first;
}

function bytesEqual(buf: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

/** Writes `n` (non-negative integer) in decimal at `at`; returns the offset after it. */
function writeDecimal(out: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/** `TXNR syslog LEN DATA\n` (or `TXNR syslog 0\n`) into `out` at `at`; returns the offset after it. */
function writeSyslogFrame(out: Buffer, at: number, txnr: number, data: Buffer): number {
  at = writeDecimal(out, at, txnr);
  at += SYSLOG_COMMAND.copy(out, at);
  at = writeDecimal(out, at, data.length);
  if (data.length > 0) {
    out[at++] = 0x20;
    at += data.copy(out, at);
  }
  out[at++] = LF;
  return at;
}

export function relpFrame(txnr: number, command: string, data: Buffer): Buffer {
  const head = data.length > 0 ? `${txnr} ${command} ${data.length} ` : `${txnr} ${command} 0`;
  return Buffer.concat([Buffer.from(head, 'latin1'), data, Buffer.from('\n')]);
}

/** Where the parts of one frame lie in the buffer it was read from (reused: no allocation per frame). */
export interface RelpFrameView {
  txnr: number;
  commandStart: number;
  commandEnd: number;
  dataStart: number;
  dataEnd: number;
  /** Offset just after the frame's trailing LF. */
  end: number;
}

/**
 * Reads one frame starting at `start` into `view`: true if complete, false if more bytes are needed. Throws on
 * bytes that cannot be the start of a RELP frame.
 */
export function readRelpFrame(buf: Buffer, start: number, view: RelpFrameView): boolean {
  let at = start;
  let txnr = 0;
  while (at < buf.length && buf[at] >= 0x30 && buf[at] <= 0x39 && at - start < 10) txnr = txnr * 10 + buf[at++] - 0x30;
  if (at >= buf.length) return false;
  if (at === start || buf[at] !== 0x20) throw malformed(buf, start);
  const commandStart = ++at;
  while (at < buf.length && buf[at] !== 0x20 && at - commandStart <= 32) at++;
  if (at >= buf.length) return false;
  if (at === commandStart || buf[at] !== 0x20) throw malformed(buf, start);
  const commandEnd = at++;
  // DATALEN ends at SP (data follows) or at LF (DATALEN 0).
  const lenStart = at;
  let dataLen = 0;
  while (at < buf.length && buf[at] >= 0x30 && buf[at] <= 0x39 && at - lenStart < 10) dataLen = dataLen * 10 + buf[at++] - 0x30;
  if (at >= buf.length) return false;
  if (at === lenStart || (buf[at] !== 0x20 && buf[at] !== LF) || (buf[at] === LF && dataLen !== 0)) throw malformed(buf, start);
  const dataStart = buf[at] === 0x20 ? at + 1 : at;
  const dataEnd = dataStart + dataLen;
  if (buf.length <= dataEnd) return false;
  if (buf[dataEnd] !== LF) throw malformed(buf, start);
  view.txnr = txnr;
  view.commandStart = commandStart;
  view.commandEnd = commandEnd;
  view.dataStart = dataStart;
  view.dataEnd = dataEnd;
  view.end = dataEnd + 1;
  return true;
}

function malformed(buf: Buffer, start: number): Error {
  return new Error(`malformed RELP frame: ${JSON.stringify(buf.toString('latin1', start, Math.min(buf.length, start + 40)))}`);
}

/** Parses one complete frame at the start of `buf`, or returns undefined if more bytes are needed. */
export function parseRelpFrame(buf: Buffer): { txnr: number; command: string; data: Buffer; length: number } | undefined {
  const view: RelpFrameView = { txnr: 0, commandStart: 0, commandEnd: 0, dataStart: 0, dataEnd: 0, end: 0 };
  if (!readRelpFrame(buf, 0, view)) return undefined;
  return { txnr: view.txnr, command: buf.toString('latin1', view.commandStart, view.commandEnd), data: buf.subarray(view.dataStart, view.dataEnd), length: view.end };
}
