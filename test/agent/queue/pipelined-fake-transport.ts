// An in-process transport for the queue's model tests that keeps the pipelining contract of transport.ts: several
// sends outstanding, confirmed in call order, and a failure rejects every later send still outstanding. Its
// "collector" stores each batch the moment it is sent (as imrelp does before acknowledging), so a failure leaves
// stored but unconfirmed messages: the duplicates a resend produces. It records every breach of the queue's side
// of the contract (too many sends outstanding, a batch that does not start where the resend must start).

import type { Transport, TransportBatch, TransportStatus } from '../../../agent/transport/transport';

/** What happens to the oldest outstanding send when its turn comes. */
export type SendFate =
  | 'confirm'
  /** Rejected with every later outstanding send; the transport stays up (a refused message). */
  | 'fail'
  /** Rejected with every later outstanding send; the transport is down for `downMs` (a crashed collector). */
  | 'down'
  /** Never settles (a collector that stopped reading): only close() giving up ends the wait. */
  | 'hold';

interface Outstanding {
  readonly numbers: number[];
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface PipelinedFakeOptions {
  maxBatchesInFlight: number;
  /** Called for each send as it reaches the head of the outstanding sends (default: always confirm). */
  fate?: () => SendFate;
  /** How long a 'down' fate keeps the transport down (default 3 ms). */
  downMs?: number;
  /** Reads the message number out of a message. */
  numberOf: (message: Buffer) => number;
  /** The number of the first message this transport will see (default 0). */
  firstNumber?: number;
}

export class PipelinedFakeTransport implements Transport {
  readonly name = 'pipelined://model';
  readonly maxBatchesInFlight: number;
  /** Every message number the collector stored, in arrival order, repeats included. */
  readonly received: number[] = [];
  /** Message numbers of confirmed batches, in confirmation order: what the queue may count as delivered. */
  readonly confirmed: number[] = [];
  /** Breaches of the contract by the queue, as sentences. */
  readonly violations: string[] = [];
  /** Most sends ever outstanding at once. */
  maxOutstanding = 0;
  /** Most messages stored but unconfirmed when a failure came: what a resend repeats. */
  maxRepeatedAtFailure = 0;
  failures = 0;
  private outstanding: Outstanding[] = [];
  private up = true;
  private held = false;
  private settling = false;
  /** The message the next batch must start with: after the last one sent, or the first unconfirmed after a failure. */
  private nextExpected = 0;
  private readyWaiters: (() => void)[] = [];
  private downTimer?: NodeJS.Timeout;

  constructor(private readonly options: PipelinedFakeOptions) {
    this.maxBatchesInFlight = options.maxBatchesInFlight;
    this.nextExpected = options.firstNumber ?? 0;
  }

  /** Switches the collector on or off; going down fails every outstanding send, like a dropped connection. */
  setUp(up: boolean): void {
    clearTimeout(this.downTimer);
    if (!up && this.up) this.failOutstanding('collector went down');
    this.up = up;
    if (up) for (const w of this.readyWaiters.splice(0)) w();
  }

  /** Lets a held send (and those after it) settle again. */
  release(): void {
    this.held = false;
    this.scheduleSettle();
  }

  status(): TransportStatus {
    return { state: this.up ? 'up' : 'down', messagesSent: this.confirmed.length, bytesSent: 0, reconnects: 0 };
  }

  waitUntilReady(signal?: AbortSignal): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal?.reason);
      this.readyWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  send(batch: TransportBatch): Promise<void> {
    if (!this.up) return Promise.reject(new Error('not connected'));
    if (this.outstanding.length >= this.maxBatchesInFlight) {
      this.violations.push(`send with ${this.outstanding.length} sends outstanding (at most ${this.maxBatchesInFlight - 1} allowed)`);
    }
    const numbers = batch.messages.map(this.options.numberOf);
    for (const n of numbers) {
      if (n !== this.nextExpected) this.violations.push(`message ${n} sent where ${this.nextExpected} was due`);
      this.nextExpected = n + 1;
      this.received.push(n);
    }
    return new Promise<void>((resolve, reject) => {
      this.outstanding.push({ numbers, resolve, reject });
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding.length);
      this.scheduleSettle();
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.downTimer);
    this.failOutstanding('transport closed');
  }

  /** Settles the head on a later turn of the event loop, so the queue can put more sends out meanwhile. */
  private scheduleSettle(): void {
    if (this.settling || this.held || this.outstanding.length === 0) return;
    this.settling = true;
    setImmediate(() => {
      this.settling = false;
      this.settleHead();
      this.scheduleSettle();
    });
  }

  private settleHead(): void {
    const head = this.outstanding[0];
    if (!head || this.held) return;
    const fate = this.options.fate?.() ?? 'confirm';
    switch (fate) {
      case 'confirm':
        this.outstanding.shift();
        for (const n of head.numbers) this.confirmed.push(n);
        head.resolve();
        return;
      case 'fail':
        this.failOutstanding('collector refused a message');
        return;
      case 'down':
        this.setUp(false);
        this.downTimer = setTimeout(() => this.setUp(true), this.options.downMs ?? 3);
        return;
      case 'hold':
        this.held = true;
        return;
    }
  }

  private failOutstanding(reason: string): void {
    const failed = this.outstanding;
    this.outstanding = [];
    if (failed.length === 0) return;
    this.failures++;
    // What the collector stored beyond the confirmed prefix is exactly what the queue must send again.
    const firstUnconfirmed = (this.options.firstNumber ?? 0) + this.confirmed.length;
    this.maxRepeatedAtFailure = Math.max(this.maxRepeatedAtFailure, this.nextExpected - firstUnconfirmed);
    this.nextExpected = firstUnconfirmed;
    for (const o of failed) o.reject(new Error(reason));
  }
}
