// The connection lifecycle shared by the stream transports (plain TCP and TLS): connect, reconnect with capped
// exponential backoff, write framed batches with back-pressure, and notice when the collector goes away.
//
// Why Node's net/tls and not the installed `syslog-client` package: its `log()` takes a string only (no raw
// bytes, so invalid UTF-8 from a log line would be altered), ignores `socket.write()`'s return value (no
// back-pressure), has no reconnect or backoff (it drops the socket on error and reconnects on the next call),
// formats its own header (not rsyslog's), and supports neither TLS nor octet counting.
//
// Delivery guarantee: a batch is confirmed once the collector's TCP has acknowledged its last byte (seen in the
// kernel's count of unacknowledged bytes, /proc/net/tcp's tx_queue: see kernel-send-queue.ts), not once it is in
// this host's send buffer: a collector that hangs and is killed costs nothing the agent still held; unconfirmed
// batches are sent again on the next connection (duplicates, at most maxBatchesInFlight batches). What the
// collector's kernel acknowledged and its process never read (its socket receive buffer) is still lost when it dies:
// TCP cannot tell; only RELP confirms receipt by the collector's process.

import type * as net from 'net';
import type { TcpFraming } from '../config/agent-config';
import type { Logger } from '../../src/core/logger';
import type { Transport, TransportBatch, TransportState, TransportStatus } from './transport';
import { ExponentialBackoff, sleep, type BackoffOptions } from './backoff';
import { frameMessages } from './framing';
import { kernelSendQueue, type SocketEnds } from './kernel-send-queue';

export interface StreamTransportOptions {
  framing: TcpFraming;
  logger: Logger;
  backoff?: BackoffOptions;
  /** Give up a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
}

/** A send written to the socket, waiting for the collector's TCP to acknowledge its last byte. */
interface PendingWrite {
  /** Connection byte count just past this write. */
  end: number;
  /** The bytes reached the kernel (the write callback ran). */
  flushed: boolean;
  messages: number;
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * How often a send waiting for its ACK looks at the kernel's queue: soon after progress, backing off to 50 ms while the
 * collector is silent. A look walks the kernel's whole connection table (0.6-1.3 ms of CPU measured here, more on a
 * host with a large table), so the soonest next look is also held to ACK_POLL_COST_FACTOR times the last look's cost:
 * looks stay under 5 % of a core whatever they cost. Measured before this rule: a look every 5 ms was a fifth of the
 * agent's CPU while shipping, and lines/s fell to about rsyslogd's.
 */
const ACK_POLL_MIN_MS = 5;
const ACK_POLL_MAX_MS = 50;
const ACK_POLL_COST_FACTOR = 20;
/**
 * Batches a TCP or TLS action keeps written and unacknowledged (the queue's maxBatchesInFlight): confirming on the
 * collector's ACK takes a round trip plus a look at /proc, so one batch at a time would idle the link.
 */
export const DEFAULT_STREAM_BATCHES_IN_FLIGHT = 16;

function socketEnds(socket: net.Socket): SocketEnds | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !localPort || !remoteAddress || !remotePort) return undefined;
  return { localAddress, localPort, remoteAddress, remotePort };
}

export abstract class StreamSocketTransport implements Transport {
  abstract readonly name: string;
  private socket?: net.Socket;
  private state: TransportState = 'down';
  private lastError?: string;
  private messagesSent = 0;
  private bytesSent = 0;
  private reconnects = 0;
  private everConnected = false;
  private connectLoop?: Promise<void>;
  private readonly readyWaiters = new Set<() => void>();
  private readonly backoff: ExponentialBackoff;
  private readonly closeController = new AbortController();
  /** Sends written on the live connection and not yet acknowledged by the collector's TCP, oldest first. */
  private pending: PendingWrite[] = [];
  /** Bytes written on the live connection (the unit of PendingWrite.end). */
  private written = 0;
  private ends: SocketEnds | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private ackPollMs = ACK_POLL_MIN_MS;
  /** The soonest gap after the last look (ms) that keeps looks under 5 % of a core, and when that look ended. */
  private lookGapMs = ACK_POLL_MIN_MS;
  private lastLookAt = 0;
  private warnedUnsupported = false;
  /** How the kernel's count of unacknowledged bytes maps to writes (see checkAcknowledged). */
  protected readonly confirmation: 'acked-bytes' | 'drained' = 'acked-bytes';

  protected constructor(protected readonly options: StreamTransportOptions) {
    this.backoff = new ExponentialBackoff(options.backoff);
  }

  /** Starts connecting; the returned socket must emit `readyEvent` once usable and 'error' on failure. */
  protected abstract openSocket(): net.Socket;
  protected abstract readonly readyEvent: 'connect' | 'secureConnect';
  /** Runs after the socket is usable and before the transport counts as up (RELP's `open` exchange). */
  protected async handshake(_socket: net.Socket): Promise<void> {}
  /** Bytes from the collector (plain syslog collectors send none; RELP sends acknowledgements). */
  protected onData(_chunk: Buffer): void {}
  /** Called when the connection is lost, before open sends are failed. */
  protected onConnectionLost(): void {}
  /** The socket of the live connection, for subclasses that write their own frames. */
  protected get liveSocket(): net.Socket | undefined {
    return this.state === 'up' ? this.socket : undefined;
  }
  /** Turns a connection error into the message logged and reported in status(). */
  protected describeError(err: Error): string {
    return err.message;
  }

  status(): TransportStatus {
    return {
      state: this.state,
      lastError: this.lastError,
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      reconnects: this.reconnects,
    };
  }

  waitUntilReady(signal?: AbortSignal): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new Error(`${this.name} is closed`));
    this.startConnecting();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const onReady = (): void => {
        signal?.removeEventListener('abort', onAbort);
        if (this.state === 'up') resolve();
        else reject(new Error(`${this.name} is closed`));
      };
      const onAbort = (): void => {
        this.readyWaiters.delete(onReady);
        reject(signal?.reason ?? new Error('aborted'));
      };
      this.readyWaiters.add(onReady);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  send(batch: TransportBatch): Promise<void> {
    const socket = this.socket;
    if (this.state !== 'up' || !socket) {
      return Promise.reject(new Error(`${this.name} is not connected (${this.lastError ?? this.state})`));
    }
    if (batch.messages.length === 0) return Promise.resolve();
    const data = frameMessages(batch.messages, this.options.framing);
    this.written += data.length;
    return new Promise<void>((resolve, reject) => {
      const write: PendingWrite = { end: this.written, flushed: false, messages: batch.messages.length, bytes: data.length, resolve, reject };
      this.pending.push(write);
      // The callback fires once the bytes are in the kernel; they count as sent once the collector ACKed them.
      socket.write(data, (err) => {
        if (err) return this.failInflight(new Error(`${this.name}: write failed: ${err.message}`));
        write.flushed = true;
        // One look at /proc costs about a millisecond of CPU: looks are coalesced on a timer, never one per write.
        if (this.ackTimer === undefined) {
          const wait = Math.max(ACK_POLL_MIN_MS, this.lastLookAt + this.lookGapMs - Date.now());
          this.ackTimer = setTimeout(() => this.checkAcknowledged(), wait);
        }
      });
    });
  }

  /**
   * Confirms, in order, the writes the collector's TCP has acknowledged. TCP: written − still in Node's buffer −
   * still in the kernel (sent and not ACKed, or not sent) = ACKed, in the same bytes as each write's end. TLS: the
   * kernel counts ciphertext, so a flushed write is confirmed once the kernel holds nothing unacknowledged.
   */
  private checkAcknowledged(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const socket = this.socket;
    if (!socket || this.pending.length === 0 || !this.ends) return;
    const lookStarted = process.hrtime.bigint();
    const queued = kernelSendQueue(this.ends);
    const lookMs = Number(process.hrtime.bigint() - lookStarted) / 1e6;
    this.lastLookAt = Date.now();
    this.lookGapMs = Math.min(Math.max(ACK_POLL_MIN_MS, ACK_POLL_COST_FACTOR * lookMs), ACK_POLL_MAX_MS);
    let acked: (w: PendingWrite) => boolean;
    if (queued === 'unsupported') {
      // No /proc/net/tcp (not Linux): the weaker rule, "in the kernel", which loses the send buffer if the collector dies.
      if (!this.warnedUnsupported) this.options.logger.warn('cannot read /proc/net/tcp: a batch counts as sent once in the kernel, not once acknowledged', { transport: this.name });
      this.warnedUnsupported = true;
      acked = (w) => w.flushed && socket.writableLength === 0;
    } else if (queued === 'not-found') {
      acked = () => false; // closing: the loss handler fails what is left
    } else if (this.confirmation === 'acked-bytes') {
      const ackedBytes = this.written - socket.writableLength - queued.bytes;
      acked = (w) => w.flushed && w.end <= ackedBytes;
    } else {
      acked = (w) => w.flushed && queued.bytes === 0 && socket.writableLength === 0;
    }
    let progressed = false;
    while (this.pending.length > 0 && acked(this.pending[0])) {
      const w = this.pending.shift()!;
      this.messagesSent += w.messages;
      this.bytesSent += w.bytes;
      progressed = true;
      w.resolve();
    }
    if (this.pending.length === 0) return;
    // Poll while something waits for its ACK: at once after progress, backing off while the collector is silent.
    const soonest = this.lookGapMs;
    this.ackPollMs = progressed ? soonest : Math.min(Math.max(this.ackPollMs * 2, soonest), ACK_POLL_MAX_MS);
    this.ackTimer = setTimeout(() => this.checkAcknowledged(), this.ackPollMs);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeController.abort(new Error(`${this.name} is closed`));
    const socket = this.socket;
    this.socket = undefined;
    // Bytes still unwritten mean the collector stopped reading and the queue gave the batch up (it keeps it as
    // undelivered): a polite end() would wait for a flush that never comes, so drop the connection now.
    if (socket && (this.pending.length > 0 || socket.writableLength > 0)) socket.destroy();
    this.failInflight(new Error(`${this.name} closed before the batch was written`));
    for (const waiter of [...this.readyWaiters]) waiter();
    this.readyWaiters.clear();
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
    await this.connectLoop?.catch(() => undefined);
  }

  private startConnecting(): void {
    if (this.connectLoop || this.state === 'closed' || this.state === 'up') return;
    this.connectLoop = this.connectUntilUp().finally(() => {
      this.connectLoop = undefined;
    });
  }

  private async connectUntilUp(): Promise<void> {
    const signal = this.closeController.signal;
    while (!signal.aborted) {
      this.state = 'connecting';
      try {
        this.socket = await this.connectOnce();
        // A new connection counts its own bytes; nothing is pending (a lost connection failed its writes).
        this.written = 0;
        this.ends = socketEnds(this.socket);
        if (this.everConnected) this.reconnects++;
        this.everConnected = true;
        this.state = 'up';
        this.lastError = undefined;
        this.backoff.reset();
        this.options.logger.info('connected', { transport: this.name });
        for (const waiter of [...this.readyWaiters]) waiter();
        this.readyWaiters.clear();
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.state = 'down';
        const reason = this.describeError(err as Error);
        if (reason !== this.lastError) this.options.logger.warn('cannot connect', { transport: this.name, error: reason });
        this.lastError = reason;
        try {
          await sleep(this.backoff.nextDelayMs(), signal);
        } catch {
          return;
        }
      }
    }
  }

  private connectOnce(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      try {
        socket = this.openSocket();
      } catch (err) {
        return reject(err);
      }
      const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once(this.readyEvent, () => {
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        this.handshake(socket).then(
          () => {
            clearTimeout(timer);
            socket.removeListener('error', onError);
            this.watch(socket);
            resolve(socket);
          },
          (err: Error) => onError(err),
        );
      });
    });
  }

  /** After connecting: any sign that the connection is gone marks the transport down and fails open sends. */
  private watch(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const lost = (reason: string): void => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      socket.destroy();
      if (this.state === 'closed') return;
      this.state = 'down';
      this.lastError = reason;
      this.options.logger.warn('connection lost', { transport: this.name, error: reason });
      this.onConnectionLost();
      this.failInflight(new Error(`${this.name}: connection lost before the batch was written: ${reason}`));
      this.startConnecting();
    };
    socket.on('error', (err) => lost(this.describeError(err)));
    socket.on('end', () => lost('collector closed the connection'));
    socket.on('close', () => lost('connection closed'));
  }

  /** For subclasses with their own send(): count what the collector confirmed. */
  protected countSent(messages: number, bytes: number): void {
    this.messagesSent += messages;
    this.bytesSent += bytes;
  }

  private failInflight(err: Error): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const failed = this.pending;
    this.pending = [];
    for (const w of failed) w.reject(err);
  }
}
