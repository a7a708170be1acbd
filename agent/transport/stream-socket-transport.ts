// The connection lifecycle shared by the stream transports (plain TCP and TLS): connect, reconnect with capped
// exponential backoff, write framed batches with back-pressure, and notice when the collector goes away.
//
// Why Node's net/tls and not the installed `syslog-client` package: its `log()` takes a string only (no raw
// bytes, so invalid UTF-8 from a log line would be altered), ignores `socket.write()`'s return value (no
// back-pressure), has no reconnect or backoff (it drops the socket on error and reconnects on the next call),
// formats its own header (not rsyslog's), and supports neither TLS nor octet counting.
//
// Delivery guarantee: a batch is confirmed once its bytes are flushed to the kernel. If the collector dies
// while bytes sit in the socket buffers they are lost, as with rsyslog's omfwd; only RELP confirms receipt.

import type * as net from 'net';
import type { TcpFraming } from '../config/agent-config';
import type { Logger } from '../../src/core/logger';
import type { Transport, TransportBatch, TransportState, TransportStatus } from './transport';
import { ExponentialBackoff, sleep, type BackoffOptions } from './backoff';
import { frameMessages } from './framing';

export interface StreamTransportOptions {
  framing: TcpFraming;
  logger: Logger;
  backoff?: BackoffOptions;
  /** Give up a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
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
  /** Rejecters of sends still waiting for their bytes to reach the kernel, failed when the socket dies. */
  private readonly inflight = new Set<(err: Error) => void>();

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
    return new Promise<void>((resolve, reject) => {
      let flushed = false;
      let drained = true;
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        if (!err && !(flushed && drained)) return;
        settled = true;
        this.inflight.delete(fail);
        if (err) return reject(err);
        this.messagesSent += batch.messages.length;
        this.bytesSent += data.length;
        resolve();
      };
      const fail = (err: Error): void => settle(err);
      this.inflight.add(fail);
      // The callback fires once the bytes are handed to the kernel; a false return additionally means the
      // stream's buffer is over its mark, so the batch counts as sent only after 'drain' too.
      const accepted = socket.write(data, (err) => {
        if (err) return settle(new Error(`${this.name}: write failed: ${err.message}`));
        flushed = true;
        settle();
      });
      if (!accepted) {
        drained = false;
        socket.once('drain', () => {
          drained = true;
          settle();
        });
      }
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeController.abort(new Error(`${this.name} is closed`));
    const socket = this.socket;
    this.socket = undefined;
    // Bytes still unwritten mean the collector stopped reading and the queue gave the batch up (it keeps it as
    // undelivered): a polite end() would wait for a flush that never comes, so drop the connection now.
    if (socket && (this.inflight.size > 0 || socket.writableLength > 0)) socket.destroy();
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
    for (const fail of [...this.inflight]) fail(err);
    this.inflight.clear();
  }
}
