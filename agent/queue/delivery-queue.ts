// The ordered queue of one forwarding action, between the tailers and its transport: messages wait in memory
// (up to memoryMessages), spill to a bounded on-disk queue beyond that, and leave in enqueue order. Nothing is
// dropped: when memory and disk are both full, enqueue() waits, so the tailers stop reading and the log files
// themselves become the buffer.
//
// Order is global: memory only ever holds messages older than everything on disk. Once a message went to disk,
// newer ones follow it there until the disk backlog is delivered; at close() the memory part is put on disk in
// front of the disk backlog. What a previous run left on disk is delivered first.
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
}

export interface DeliveryQueueStats {
  memoryMessages: number;
  diskBytes: number;
  diskMessages: number;
  delivered: number;
  /** idle | sending | waiting-for-transport | retrying | closing | closed */
  state: string;
}

interface TokenSlot {
  token: CommitToken;
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

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.transport = opts.transport;
    this.logger = opts.logger;
    this.batchMax = opts.batchMaxMessages ?? 500;
    this.retry = new ExponentialBackoff(opts.retryBackoff ?? { initialMs: 200, maxMs: 5000 });
    this.disk = DiskQueue.open(opts.diskDirectory, opts.logger, opts.diskSegmentBytes);
    this.sender = this.runSender();
  }

  /** Accepts messages (already formatted). Resolves when accepted into memory or disk; waits (back-pressure) while both are full. */
  enqueue(messages: Buffer[], token: CommitToken): Promise<void> {
    if (this.closing) return Promise.reject(new Error('delivery queue is closed'));
    // The slot is taken now, in call order, so onDurable follows enqueue order whatever happens later.
    const slot: TokenSlot = { token, durable: false };
    this.slots.push(slot);
    const placed = this.placeChain.then(() => this.place(messages, slot));
    this.placeChain = placed.catch(() => undefined);
    return placed;
  }

  /** Stops sending after the current batch; persists what is left in memory to disk so nothing is lost; resolves when done. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  stats(): DeliveryQueueStats {
    return {
      memoryMessages: this.memoryCount,
      diskBytes: this.disk.bytes,
      diskMessages: this.disk.messages,
      delivered: this.delivered,
      state: this.state,
    };
  }

  private async place(messages: Buffer[], slot: TokenSlot): Promise<void> {
    if (messages.length === 0) {
      slot.durable = true;
      this.reportDurable();
      return;
    }
    for (;;) {
      const memoryHasRoom = this.memoryCount === 0 ? messages.length <= this.opts.memoryMessages : this.memoryCount + messages.length <= this.opts.memoryMessages;
      if (this.disk.isEmpty && memoryHasRoom && !this.closing) {
        this.memory.push({ messages, sent: 0, slot });
        this.memoryCount += messages.length;
        this.wakeSender?.();
        return;
      }
      const size = messages.reduce((n, m) => n + m.length + 8, 0);
      // During close() the bound gives way: the sender has stopped, and a waiting batch must not be lost.
      if (this.disk.isEmpty || this.disk.bytes + size <= this.opts.diskMaxBytes || this.closing) {
        this.disk.append(messages);
        this.unsyncedDiskSlots.push(slot);
        this.scheduleFlush();
        this.wakeSender?.();
        return;
      }
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
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
          for (const s of slots) s.durable = true;
          this.reportDurable();
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
    if (batch.source === 'memory') {
      for (const { entry, count } of batch.parts) {
        entry.sent += count;
        this.memoryCount -= count;
        if (entry.sent === entry.messages.length) {
          this.memory.shift();
          entry.slot.durable = true;
        }
      }
      this.reportDurable();
    } else {
      await this.disk.commit(batch.disk);
    }
    this.delivered += batch.messages.length;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private async runSender(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const batch = this.nextBatch();
      if (!batch) {
        this.state = 'idle';
        // Woken by place() or by shutdown().
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      if (this.transport.status().state !== 'up') {
        this.state = 'waiting-for-transport';
        try {
          await this.transport.waitUntilReady(signal);
        } catch (err) {
          if (signal.aborted) break;
          this.logger.warn('transport not ready', { transport: this.transport.name, error: (err as Error).message });
          await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
          continue;
        }
      }
      this.state = 'sending';
      try {
        await this.transport.send({ messages: batch.messages });
      } catch (err) {
        // The batch stays at the head; it is sent again, in order, once the transport is back.
        this.state = 'retrying';
        this.logger.warn('send failed; will retry the batch', {
          transport: this.transport.name,
          messages: batch.messages.length,
          error: (err as Error).message,
        });
        await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
        continue;
      }
      this.retry.reset();
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
    await this.sender;
    // Enqueues still waiting for space may now write past the disk bound.
    for (const w of this.spaceWaiters.splice(0)) w();
    await this.placeChain;
    const unsent: Buffer[] = [];
    for (const entry of this.memory) unsent.push(...entry.messages.slice(entry.sent));
    if (unsent.length > 0) {
      this.disk.prepend(unsent);
      this.logger.info('saved undelivered messages to the disk queue', { messages: unsent.length, dir: this.opts.diskDirectory });
    }
    for (const entry of this.memory.splice(0)) entry.slot.durable = true;
    this.memoryCount = 0;
    while (this.flushing) await this.flushing;
    await this.disk.sync();
    for (const s of this.unsyncedDiskSlots.splice(0)) s.durable = true;
    this.reportDurable();
    this.disk.close();
    this.state = 'closed';
  }
}
