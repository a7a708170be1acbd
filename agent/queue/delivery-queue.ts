// The ordered queue of one forwarding action, between the tailers and its transport: messages wait in memory
// (up to memoryMessages) and leave in enqueue order. Nothing is dropped.
//
// When memory is full, what happens depends on the transport:
// - delivering (the sender has made progress within spillAfterMs): enqueue() waits. The tailers stop reading and
//   the log files themselves are the buffer; writing to disk would cost throughput and disk writes for nothing.
// - not delivering (down, reconnecting, or a batch unconfirmed for longer than spillAfterMs): messages spill to a
//   bounded on-disk queue, so the tailers' offsets can advance (disk is durable). When disk is full too, enqueue()
//   waits again.
//
// Order is global: memory only ever holds messages older than everything on disk. Once a message went to disk,
// newer ones go behind it (to disk while the transport is not delivering, else they wait until the disk backlog
// is delivered); at close() the memory part is put on disk in front of the disk backlog. What a previous run left
// on disk is delivered first.
//
// Durability, reported in enqueue order through onDurable(token): a message is durable once the transport
// confirmed it (see transport.ts for how much each protocol can confirm) or once it is fsync'd into the disk
// queue. The tailers persist their file offsets only then, so a crash repeats lines rather than losing them.

import type { Logger } from '../../src/core/logger';
import { ExponentialBackoff, sleep } from '../transport/backoff';
import type { Transport } from '../transport/transport';
import { DiskQueue, type DiskBatch } from './disk-queue';

export interface CommitToken {
  readonly id: number;
}

export interface DeliveryQueueOptions {
  transport: Transport;
  memoryMessages: number;
  diskDirectory: string;
  diskMaxBytes: number;
  batchMaxMessages?: number;
  logger: Logger;
  /** Called IN ORDER once the messages enqueued with this token are durable: confirmed sent, or fsync'd into the disk queue. */
  onDurable: (token: CommitToken) => void;
  /** Pause after a failed send before trying again (default 200 ms doubling to 5 s). */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** Disk segment size (default 16 MiB); small values exercise segment rotation in tests. */
  diskSegmentBytes?: number;
  /** How long the sender may go without confirming a batch before a full memory spills to disk (default 1 s). */
  spillAfterMs?: number;
  /** How long close() waits for a batch in flight (a collector that accepts but never reads); then it is kept as undelivered (default 5 s). */
  closeTimeoutMs?: number;
}

export interface DeliveryQueueStats {
  memoryMessages: number;
  diskBytes: number;
  diskMessages: number;
  /** Bytes ever written to the disk queue by this queue (records, including headers). */
  diskBytesWritten: number;
  delivered: number;
  /** idle | sending | waiting-for-transport | retrying | closing | closed */
  state: string;
}

/** Ends close()'s wait for a send that does not complete. */
class InFlightGivenUp extends Error {}

/** One enqueue() call. Its messages may be placed in several parts (memory entries, disk appends). */
interface TokenSlot {
  token: CommitToken;
  /** Parts not durable yet, plus one while place() is still placing (so an early part cannot finish the slot). */
  pendingParts: number;
  durable: boolean;
}

interface MemoryEntry {
  messages: Buffer[];
  /** How many of `messages` the transport has confirmed. */
  sent: number;
  slot: TokenSlot;
}

type Batch =
  | { source: 'memory'; messages: Buffer[]; parts: { entry: MemoryEntry; count: number }[] }
  | { source: 'disk'; messages: Buffer[]; disk: DiskBatch };

export class DeliveryQueue {
  private readonly transport: Transport;
  private readonly disk: DiskQueue;
  private readonly batchMax: number;
  private readonly logger: Logger;
  private readonly memory: MemoryEntry[] = [];
  private memoryCount = 0;
  private readonly slots: TokenSlot[] = [];
  private unsyncedDiskSlots: TokenSlot[] = [];
  private flushing?: Promise<void>;
  private placeChain: Promise<void> = Promise.resolve();
  private delivered = 0;
  private state = 'idle';
  private closing = false;
  private closed?: Promise<void>;
  private readonly stopController = new AbortController();
  private wakeSender?: () => void;
  private spaceWaiters: (() => void)[] = [];
  private readonly sender: Promise<void>;
  private readonly retry: ExponentialBackoff;
  private readonly spillAfterMs: number;
  /** Since when the sender has had a batch it could not get confirmed (undefined: nothing owed). */
  private undeliveredSince?: number;
  /** Rejected by close() once its wait for the batch in flight is over. */
  private giveUpInFlight!: (reason: Error) => void;
  private readonly inFlightGivenUp = new Promise<never>((_, reject) => (this.giveUpInFlight = reject));

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.transport = opts.transport;
    this.logger = opts.logger;
    this.batchMax = opts.batchMaxMessages ?? 500;
    this.retry = new ExponentialBackoff(opts.retryBackoff ?? { initialMs: 200, maxMs: 5000 });
    this.spillAfterMs = opts.spillAfterMs ?? 1000;
    this.inFlightGivenUp.catch(() => undefined);
    this.disk = DiskQueue.open(opts.diskDirectory, opts.logger, opts.diskSegmentBytes);
    this.sender = this.runSender();
  }

  /**
   * Accepts messages (already formatted). Resolves when accepted into memory or disk; waits (back-pressure) while
   * memory is full and the transport is delivering, or while memory and disk are both full.
   */
  enqueue(messages: Buffer[], token: CommitToken): Promise<void> {
    if (this.closing) return Promise.reject(new Error('delivery queue is closed'));
    // The slot is taken now, in call order, so onDurable follows enqueue order whatever happens later.
    const slot: TokenSlot = { token, pendingParts: 1, durable: false };
    this.slots.push(slot);
    const placed = this.placeChain.then(() => this.place(messages, slot));
    this.placeChain = placed.catch(() => undefined);
    return placed;
  }

  /**
   * Stops sending after the current batch (waiting for it at most closeTimeoutMs; a batch still unconfirmed then
   * counts as undelivered), persists what is left in memory to disk so nothing is lost; resolves when done.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  stats(): DeliveryQueueStats {
    return {
      memoryMessages: this.memoryCount,
      diskBytes: this.disk.bytes,
      diskMessages: this.disk.messages,
      diskBytesWritten: this.disk.bytesWritten,
      delivered: this.delivered,
      state: this.state,
    };
  }

  private async place(messages: Buffer[], slot: TokenSlot): Promise<void> {
    let rest = messages;
    const memoryMax = Math.max(1, this.opts.memoryMessages);
    while (rest.length > 0) {
      // Memory takes what fits; a batch larger than the room left goes in parts as the sender frees room.
      if (this.disk.isEmpty && this.memoryCount < memoryMax && !this.closing) {
        const count = Math.min(rest.length, memoryMax - this.memoryCount);
        const part = count === rest.length ? rest : rest.slice(0, count);
        rest = count === rest.length ? [] : rest.slice(count);
        slot.pendingParts++;
        this.memory.push({ messages: part, sent: 0, slot });
        this.memoryCount += count;
        this.wakeSender?.();
        continue;
      }
      // During close() the bound gives way: the sender has stopped, and a waiting batch must not be lost.
      if (this.closing || !this.isDelivering()) {
        const size = rest.reduce((n, m) => n + m.length + 8, 0);
        if (this.disk.isEmpty || this.disk.bytes + size <= this.opts.diskMaxBytes || this.closing) {
          slot.pendingParts++;
          this.disk.append(rest);
          this.unsyncedDiskSlots.push(slot);
          this.scheduleFlush();
          this.wakeSender?.();
          break;
        }
      }
      await this.waitForSpace();
    }
    this.partDurable(slot); // placing is over
  }

  /** One part of an enqueue is durable (sent, or fsync'd to disk); the slot is once all are. */
  private partDurable(slot: TokenSlot): void {
    if (--slot.pendingParts > 0) return;
    slot.durable = true;
    this.reportDurable();
  }

  /** False once the sender has owed a batch for spillAfterMs: the collector is down, reconnecting, refusing or not reading. */
  private isDelivering(): boolean {
    return this.undeliveredSince === undefined || Date.now() - this.undeliveredSince < this.spillAfterMs;
  }

  /**
   * Resolves when a batch was delivered, a send failed, or (at the latest) when the sender would count as not
   * delivering any more, so a waiting enqueue decides again between waiting and spilling.
   */
  private waitForSpace(): Promise<void> {
    const untilNotDelivering = this.undeliveredSince === undefined ? 0 : this.undeliveredSince + this.spillAfterMs - Date.now();
    const recheckMs = untilNotDelivering > 0 ? untilNotDelivering : this.spillAfterMs;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        const i = this.spaceWaiters.indexOf(done);
        if (i >= 0) this.spaceWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, recheckMs);
      this.spaceWaiters.push(done);
    });
  }

  private wakeSpaceWaiters(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /** Group commit: one fsync covers every disk append made since the last one. */
  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.unsyncedDiskSlots.length > 0) {
        const slots = this.unsyncedDiskSlots;
        this.unsyncedDiskSlots = [];
        try {
          await this.disk.sync();
          for (const slot of slots) this.partDurable(slot);
        } catch (err) {
          this.logger.error('cannot fsync the disk queue; will retry', { dir: this.opts.diskDirectory, error: (err as Error).message });
          this.unsyncedDiskSlots = slots.concat(this.unsyncedDiskSlots);
          await sleep(1000);
        }
      }
    })().finally(() => {
      this.flushing = undefined;
      if (this.unsyncedDiskSlots.length > 0) this.scheduleFlush();
    });
  }

  private reportDurable(): void {
    while (this.slots.length > 0 && this.slots[0].durable) {
      const slot = this.slots.shift()!;
      try {
        this.opts.onDurable(slot.token);
      } catch (err) {
        this.logger.error('onDurable callback failed', { token: slot.token.id, error: (err as Error).message });
      }
    }
  }

  private nextBatch(): Batch | undefined {
    if (this.memory.length > 0) {
      const messages: Buffer[] = [];
      const parts: { entry: MemoryEntry; count: number }[] = [];
      for (const entry of this.memory) {
        if (messages.length >= this.batchMax) break;
        const count = Math.min(entry.messages.length - entry.sent, this.batchMax - messages.length);
        for (let i = 0; i < count; i++) messages.push(entry.messages[entry.sent + i]);
        parts.push({ entry, count });
      }
      return { source: 'memory', messages, parts };
    }
    const disk = this.disk.peek(this.batchMax);
    return disk ? { source: 'disk', messages: disk.messages, disk } : undefined;
  }

  private async commit(batch: Batch): Promise<void> {
    // Counted at confirmation, before the disk read pointer is written, so stats() never lags what was confirmed.
    this.delivered += batch.messages.length;
    if (batch.source === 'memory') {
      for (const { entry, count } of batch.parts) {
        entry.sent += count;
        this.memoryCount -= count;
        if (entry.sent === entry.messages.length) {
          this.memory.shift();
          this.partDurable(entry.slot);
        }
      }
    } else {
      await this.disk.commit(batch.disk);
    }
    this.wakeSpaceWaiters();
  }

  private async runSender(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const batch = this.nextBatch();
      if (!batch) {
        this.state = 'idle';
        this.undeliveredSince = undefined;
        // Woken by place() or by shutdown().
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      this.undeliveredSince ??= Date.now();
      if (this.transport.status().state !== 'up') {
        this.state = 'waiting-for-transport';
        try {
          await this.transport.waitUntilReady(signal);
        } catch (err) {
          if (signal.aborted) break;
          this.logger.warn('transport not ready', { transport: this.transport.name, error: (err as Error).message });
          this.wakeSpaceWaiters();
          await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
          continue;
        }
      }
      this.state = 'sending';
      try {
        // close() may stop waiting for a send that never completes; the batch then stays queued, unconfirmed.
        await Promise.race([this.transport.send({ messages: batch.messages }), this.inFlightGivenUp]);
      } catch (err) {
        if (err instanceof InFlightGivenUp) break;
        // The batch stays at the head; it is sent again, in order, once the transport is back.
        this.state = 'retrying';
        this.logger.warn('send failed; will retry the batch', {
          transport: this.transport.name,
          messages: batch.messages.length,
          error: (err as Error).message,
        });
        this.wakeSpaceWaiters();
        await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
        continue;
      }
      this.retry.reset();
      this.undeliveredSince = undefined;
      try {
        await this.commit(batch);
      } catch (err) {
        // Sent but the read pointer could not be saved: after a restart these would be sent again (never lost).
        this.logger.error('cannot record delivered disk queue messages', { error: (err as Error).message });
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.state = 'closing';
    this.stopController.abort(new Error('delivery queue closing'));
    this.wakeSender?.();
    const closeTimeoutMs = this.opts.closeTimeoutMs ?? 5000;
    // Only a send can keep the sender this long (waits and sleeps end on the abort above).
    const giveUp = setTimeout(() => {
      this.logger.warn('the batch in flight was not confirmed in time; keeping it as undelivered', {
        transport: this.transport.name,
        waitedMs: closeTimeoutMs,
      });
      this.giveUpInFlight(new InFlightGivenUp(`no confirmation within ${closeTimeoutMs} ms of close()`));
    }, closeTimeoutMs);
    try {
      await this.sender;
    } finally {
      clearTimeout(giveUp);
    }
    // Enqueues still waiting for space may now write past the disk bound.
    this.wakeSpaceWaiters();
    await this.placeChain;
    const unsent: Buffer[] = [];
    for (const entry of this.memory) unsent.push(...entry.messages.slice(entry.sent));
    if (unsent.length > 0) {
      this.disk.prepend(unsent);
      this.logger.info('saved undelivered messages to the disk queue', { messages: unsent.length, dir: this.opts.diskDirectory });
    }
    for (const entry of this.memory.splice(0)) this.partDurable(entry.slot);
    this.memoryCount = 0;
    while (this.flushing) await this.flushing;
    await this.disk.sync();
    for (const slot of this.unsyncedDiskSlots.splice(0)) this.partDurable(slot);
    this.reportDurable();
    this.disk.close();
    this.state = 'closed';
  }
}
