// The ordered queue of one forwarding action, between the tailers and its transport: messages wait in memory
// (up to memoryMessages, and up to memoryBytes of them) and leave in enqueue order. Nothing is dropped.
//
// When memory is full, what happens depends on the transport:
// - delivering (the sender has made progress within spillAfterMs): enqueue() waits. The tailers stop reading and
//   the log files themselves are the buffer; writing to disk would cost throughput and disk writes for nothing.
// - not delivering (down, reconnecting, or a batch unconfirmed for longer than spillAfterMs): messages spill to a
//   bounded on-disk queue, so the tailers' offsets can advance (disk is durable). When disk is full too, enqueue()
//   waits again.
//
// Order is global, and memory and disk never both hold messages: the first spill moves the memory's unconfirmed
// messages to disk ahead of the new ones (batches in flight included), so whatever is fsync'd counts as durable in
// order and the files' checkpoints advance over it. Once a message went to disk, newer ones go behind it (to disk
// while the transport is not delivering, else they wait until the disk backlog is delivered); at close() what is
// left in memory is put on disk in front of anything placed there meanwhile. What a previous run left on disk is
// delivered first.
//
// Batches in flight: up to transport.maxBatchesInFlight (default 1) sends are outstanding at once; they are
// confirmed in call order, and a rejection fails every later one too. On a rejection the sender waits for all of
// them to settle, then resends from the first unconfirmed batch: nothing is skipped or reordered, and a collector
// crash repeats at most the unconfirmed messages of those batches.
//
// Durability, reported in enqueue order through onDurable(token): a message is durable once the transport
// confirmed it (see transport.ts for how much each protocol can confirm) or once it is fsync'd into the disk
// queue. The tailers persist their file offsets only then, so a crash repeats lines rather than losing them.
//
// A disk write that fails (a full disk) changes nothing on disk; the enqueue waits and retries with a backoff, the
// cause logged once and the recovery once (the tailers wait behind it: the files are the buffer).

import type { Logger } from '../../src/core/logger';
import { FailureLog } from '../state/failure-log';
import { ExponentialBackoff, sleep } from '../transport/backoff';
import type { Transport } from '../transport/transport';
import { DiskQueue, type DiskBatch, type DiskPosition } from './disk-queue';

export interface CommitToken {
  readonly id: number;
}

export interface DeliveryQueueOptions {
  transport: Transport;
  memoryMessages: number;
  /**
   * The most message bytes memory holds (default DEFAULT_MEMORY_BYTES), whatever memoryMessages allows: long lines
   * cannot multiply the agent's memory. A single message larger than this is still taken when memory is empty.
   */
  memoryBytes?: number;
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
  /** How long close() waits for the batches in flight (a collector that accepts but never reads); then they are kept as undelivered (default 5 s). */
  closeTimeoutMs?: number;
}

export interface DeliveryQueueStats {
  memoryMessages: number;
  diskBytes: number;
  diskMessages: number;
  /** Bytes ever written to the disk queue by this queue (records, including headers). */
  diskBytesWritten: number;
  delivered: number;
  /** Batches sent and not yet settled (at most the transport's maxBatchesInFlight). */
  batchesInFlight: number;
  /** idle | sending | waiting-for-transport | retrying | closing | closed */
  state: string;
}

/**
 * Default bound on the bytes of the messages in memory: 10,000 conn.log lines (rsyslog's default queue.size) are
 * about 3 MB, so this bounds long lines without slowing the common case (bench/agent).
 */
export const DEFAULT_MEMORY_BYTES = 4 * 1024 * 1024;

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
  /** How many of `messages` are in batches handed to the transport (confirmed or in flight); sent <= issued. */
  issued: number;
  slot: TokenSlot;
}

type Batch =
  | { source: 'memory'; messages: Buffer[]; parts: { entry: MemoryEntry; count: number }[] }
  | { source: 'disk'; messages: Buffer[]; disk: DiskBatch };

/** A batch handed to the transport and not yet taken back by the sender. */
interface SendInFlight {
  batch: Batch;
  /** The send's outcome: undefined once confirmed, the error if it failed. Never rejects. */
  outcome: Promise<Error | undefined>;
}

export class DeliveryQueue {
  private readonly transport: Transport;
  private readonly disk: DiskQueue;
  private readonly batchMax: number;
  private readonly logger: Logger;
  private readonly memory: MemoryEntry[] = [];
  private memoryCount = 0;
  /** Bytes of the messages in `memory` not yet confirmed (with memoryCount, what the bounds apply to). */
  private memoryBytesHeld = 0;
  private readonly memoryBytesMax: number;
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
  /** Retries of a failed disk queue write (a full disk): 100 ms doubling to 5 s. */
  private readonly diskRetry = new ExponentialBackoff({ initialMs: 100, maxMs: 5000 });
  private readonly diskWriteFailures: FailureLog;
  private readonly diskSyncFailures: FailureLog;
  private readonly pointerWriteFailures: FailureLog;
  private readonly spillAfterMs: number;
  private readonly maxInFlight: number;
  /** Oldest first: confirmations are taken from the head only, so commits keep send order. */
  private readonly inFlight: SendInFlight[] = [];
  /** Index in `memory` of the first entry with messages not yet handed to the transport. */
  private memoryIssueIndex = 0;
  /** Where the next disk batch starts while disk batches are in flight (undefined: at the read pointer). */
  private diskIssuedUpTo?: DiskPosition;
  /** A send in flight failed and the sender has not resent yet: nothing more may go out until it has. */
  private sendFailed = false;
  /** Since when the sender has had a batch it could not get confirmed (undefined: nothing owed). */
  private undeliveredSince?: number;
  /** Set by close() once its wait for the batches in flight is over. */
  private givenUp?: InFlightGivenUp;
  /** Rejecters of the sender's current wait, called when close() gives up (a Set, not one shared promise that
   * would collect a reaction per batch for the queue's whole life). */
  private readonly giveUpListeners = new Set<(err: InFlightGivenUp) => void>();

  constructor(private readonly opts: DeliveryQueueOptions) {
    this.transport = opts.transport;
    this.logger = opts.logger;
    this.batchMax = opts.batchMaxMessages ?? 500;
    this.retry = new ExponentialBackoff(opts.retryBackoff ?? { initialMs: 200, maxMs: 5000 });
    this.spillAfterMs = opts.spillAfterMs ?? 1000;
    this.memoryBytesMax = Math.max(1, opts.memoryBytes ?? DEFAULT_MEMORY_BYTES);
    const declared = opts.transport.maxBatchesInFlight ?? 1;
    this.maxInFlight = Number.isInteger(declared) && declared >= 1 ? declared : 1;
    this.disk = DiskQueue.open(opts.diskDirectory, opts.logger, opts.diskSegmentBytes);
    this.diskWriteFailures = new FailureLog(opts.logger);
    this.diskSyncFailures = new FailureLog(opts.logger);
    this.pointerWriteFailures = new FailureLog(opts.logger);
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
   * Stops sending after the batches in flight (waiting for them at most closeTimeoutMs; batches still unconfirmed
   * then count as undelivered), persists what is left in memory to disk so nothing is lost; resolves when done.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /** Most batches this queue keeps sent and unsettled at once: the transport's maxBatchesInFlight, 1 if it declares none. */
  get maxBatchesInFlight(): number {
    return this.maxInFlight;
  }

  stats(): DeliveryQueueStats {
    return {
      memoryMessages: this.memoryCount,
      diskBytes: this.disk.bytes,
      diskMessages: this.disk.messages,
      diskBytesWritten: this.disk.bytesWritten,
      delivered: this.delivered,
      batchesInFlight: this.inFlight.length,
      state: this.state,
    };
  }

  private async place(messages: Buffer[], slot: TokenSlot): Promise<void> {
    let rest = messages;
    const memoryMax = Math.max(1, this.opts.memoryMessages);
    while (rest.length > 0) {
      // Memory takes what fits; a batch larger than the room left goes in parts as the sender frees room.
      const fit = this.disk.isEmpty && this.memoryCount < memoryMax && !this.closing ? this.messagesThatFit(rest, memoryMax - this.memoryCount) : 0;
      if (fit > 0) {
        const count = fit;
        const part = count === rest.length ? rest : rest.slice(0, count);
        rest = count === rest.length ? [] : rest.slice(count);
        slot.pendingParts++;
        this.memory.push({ messages: part, sent: 0, issued: 0, slot });
        this.memoryCount += count;
        for (const m of part) this.memoryBytesHeld += m.length;
        this.wakeSender?.();
        continue;
      }
      // During close() the bound gives way: the sender has stopped, and a waiting batch must not be lost.
      if (this.closing || !this.isDelivering()) {
        const size = rest.reduce((n, m) => n + m.length + 8, 0);
        if (this.disk.isEmpty || this.disk.bytes + size <= this.opts.diskMaxBytes || this.closing) {
          try {
            this.writeToDisk(rest);
          } catch (err) {
            this.diskWriteFailures.failed(err, 'cannot write the disk queue: new messages wait (and the tailers with them) until it can be written; retrying',
              { dir: this.opts.diskDirectory });
            // Closing: these messages stay unconfirmed, so the files' checkpoints stop before them and the next start reads them again.
            if (this.closing) return;
            await sleep(this.diskRetry.nextDelayMs(), this.stopController.signal).catch(() => undefined);
            continue;
          }
          this.diskRetry.reset();
          this.diskWriteFailures.recovered('disk queue written again', { dir: this.opts.diskDirectory });
          slot.pendingParts++;
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

  /** How many of `messages` (at most `room`) fit under the byte bound; at least one when memory is empty. */
  private messagesThatFit(messages: Buffer[], room: number): number {
    let bytes = this.memoryBytesHeld;
    let n = 0;
    const most = Math.min(room, messages.length);
    while (n < most && (bytes + messages[n].length <= this.memoryBytesMax || (n === 0 && this.memoryCount === 0))) {
      bytes += messages[n].length;
      n++;
    }
    return n;
  }

  /**
   * Appends `messages` to the disk queue, behind the memory's unconfirmed messages on the first spill; all in one
   * write, so a failure (a full disk) changes nothing and the caller may retry.
   */
  private writeToDisk(messages: Buffer[]): void {
    if (this.memory.length === 0 || this.closing) {
      this.disk.append(messages);
      return;
    }
    this.spillMemory(messages);
  }

  /**
   * The first spill: the memory's unconfirmed messages go to disk ahead of the new ones, so the disk holds one
   * ordered backlog. Left in memory, the oldest messages would stay undurable for the whole outage while newer ones
   * became durable on disk, and no checkpoint could pass them: a kill -9 would then deliver the disk backlog and read
   * the files again from before it (everything twice, the oldest last). Batches in flight from memory become disk
   * batches over the records just written, so their confirmation moves the read pointer past them.
   */
  private spillMemory(newer: Buffer[]): void {
    const unconfirmed: Buffer[] = [];
    for (const entry of this.memory) {
      for (let k = entry.sent; k < entry.messages.length; k++) unconfirmed.push(entry.messages[k]);
    }
    // In flight here: the oldest unconfirmed messages, in order (after a failure the sender has taken them out).
    const sends = this.inFlight.filter((send) => send.batch.source === 'memory');
    const groups: Buffer[][] = [];
    let done = 0;
    for (const send of sends) {
      groups.push(unconfirmed.slice(done, done + send.batch.messages.length));
      done += send.batch.messages.length;
    }
    groups.push(unconfirmed.slice(done), newer);
    const written = this.disk.appendGroups(groups);
    sends.forEach((send, i) => {
      send.batch = { source: 'disk', messages: send.batch.messages, disk: written[i] };
      this.diskIssuedUpTo = written[i].next;
    });
    // Each entry's part is now a disk part: durable with the next fsync.
    for (const entry of this.memory.splice(0)) this.unsyncedDiskSlots.push(entry.slot);
    this.memoryCount = 0;
    this.memoryBytesHeld = 0;
    this.memoryIssueIndex = 0;
    this.logger.info('collector not confirming: memory queue moved to the disk queue, newer messages follow it there', {
      transport: this.transport.name, messages: unconfirmed.length, dir: this.opts.diskDirectory,
    });
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
          this.diskSyncFailures.recovered('disk queue fsync works again', { dir: this.opts.diskDirectory });
          for (const slot of slots) this.partDurable(slot);
        } catch (err) {
          this.diskSyncFailures.failed(err, 'cannot fsync the disk queue; will retry', { dir: this.opts.diskDirectory });
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

  /** The batch after those in flight: unsent memory first (it is older than all of the disk), then the disk. */
  private nextBatch(): Batch | undefined {
    const messages: Buffer[] = [];
    const parts: { entry: MemoryEntry; count: number }[] = [];
    for (let i = this.memoryIssueIndex; i < this.memory.length && messages.length < this.batchMax; i++) {
      const entry = this.memory[i];
      const count = Math.min(entry.messages.length - entry.issued, this.batchMax - messages.length);
      for (let k = 0; k < count; k++) messages.push(entry.messages[entry.issued + k]);
      parts.push({ entry, count });
    }
    if (messages.length > 0) return { source: 'memory', messages, parts };
    const disk = this.disk.peek(this.batchMax, this.diskIssuedUpTo);
    return disk ? { source: 'disk', messages: disk.messages, disk } : undefined;
  }

  /** Hands a batch to the transport; its outcome is taken, in order, by the sender. */
  private issue(batch: Batch): void {
    if (batch.source === 'memory') {
      for (const { entry, count } of batch.parts) entry.issued += count;
      while (this.memoryIssueIndex < this.memory.length && this.memory[this.memoryIssueIndex].issued === this.memory[this.memoryIssueIndex].messages.length) {
        this.memoryIssueIndex++;
      }
    } else {
      this.diskIssuedUpTo = batch.disk.next;
    }
    let sending: Promise<void>;
    try {
      sending = this.transport.send({ messages: batch.messages });
    } catch (err) {
      sending = Promise.reject(err);
    }
    // The flag is set as the rejection arrives, before the sender takes this batch back: a batch put out after a
    // failure would overtake the resend.
    const outcome = sending.then(
      () => undefined,
      (err: unknown) => {
        this.sendFailed = true;
        return err instanceof Error ? err : new Error(String(err));
      },
    );
    this.inFlight.push({ batch, outcome });
  }

  /** After a failed send: everything not confirmed goes out again, from the first unconfirmed message. */
  private forgetIssued(): void {
    for (const entry of this.memory) entry.issued = entry.sent;
    this.memoryIssueIndex = 0;
    this.diskIssuedUpTo = undefined;
    this.sendFailed = false;
  }

  private async commit(batch: Batch): Promise<void> {
    // Counted at confirmation, before the disk read pointer is written, so stats() never lags what was confirmed.
    this.delivered += batch.messages.length;
    if (batch.source === 'memory') {
      for (const { entry, count } of batch.parts) {
        for (let k = entry.sent; k < entry.sent + count; k++) this.memoryBytesHeld -= entry.messages[k].length;
        entry.sent += count;
        this.memoryCount -= count;
        if (entry.sent === entry.messages.length) {
          this.memory.shift();
          this.memoryIssueIndex--;
          this.partDurable(entry.slot);
        }
      }
    } else {
      // The last disk batch in flight is confirmed: the next one starts at the read pointer again (the segment
      // this one ended in may be deleted by the commit).
      if (this.diskIssuedUpTo === batch.disk.next) this.diskIssuedUpTo = undefined;
      await this.disk.commit(batch.disk);
    }
    this.wakeSpaceWaiters();
  }

  /** `p`, or InFlightGivenUp once close() stops waiting for sends in flight. */
  private unlessGivenUp<T>(p: Promise<T>): Promise<T> {
    if (this.givenUp) return Promise.reject(this.givenUp);
    return new Promise<T>((resolve, reject) => {
      this.giveUpListeners.add(reject);
      p.then(resolve, reject).finally(() => this.giveUpListeners.delete(reject));
    });
  }

  private async runSender(): Promise<void> {
    const signal = this.stopController.signal;
    for (;;) {
      // Fill the window of sends in flight (not once close() began: it only waits for those already out).
      if (!signal.aborted && !this.sendFailed && this.inFlight.length < this.maxInFlight) {
        const batch = this.nextBatch();
        if (batch) {
          this.undeliveredSince ??= Date.now();
          if (this.transport.status().state === 'up') {
            this.state = 'sending';
            this.issue(batch);
            continue;
          }
          if (this.inFlight.length === 0) {
            await this.waitForTransport(signal);
            continue;
          }
          // Sends are out on a transport that is no longer up: they settle (fail, mostly) before anything more goes.
        } else if (this.inFlight.length === 0) {
          this.state = 'idle';
          this.undeliveredSince = undefined;
          // Woken by place() or by shutdown().
          await new Promise<void>((resolve) => (this.wakeSender = resolve));
          this.wakeSender = undefined;
          continue;
        }
      }
      if (this.inFlight.length === 0) {
        if (signal.aborted) break; // closing, and nothing is out
        this.sendFailed = false; // only a failure already dealt with can leave the flag with nothing in flight
        continue;
      }
      this.state = 'sending';
      const head = this.inFlight[0];
      // With room for another batch, new messages (place() wakes us) go out without waiting for the head.
      const roomForMore = !signal.aborted && !this.sendFailed && this.inFlight.length < this.maxInFlight && this.transport.status().state === 'up';
      const woken = roomForMore ? new Promise<'woken'>((resolve) => (this.wakeSender = () => resolve('woken'))) : undefined;
      let outcome: Error | undefined | 'woken';
      try {
        // close() may stop waiting for sends that never complete; their batches then stay queued, unconfirmed.
        outcome = await this.unlessGivenUp(woken ? Promise.race([head.outcome, woken]) : head.outcome);
      } catch {
        break; // close() gave up (outcomes never reject)
      } finally {
        this.wakeSender = undefined;
      }
      if (outcome === 'woken') continue;
      this.inFlight.shift();
      if (outcome === undefined) {
        this.retry.reset();
        // Progress: the spill clock restarts, for what is still in flight.
        this.undeliveredSince = this.inFlight.length > 0 ? Date.now() : undefined;
        try {
          await this.commit(head.batch);
          this.pointerWriteFailures.recovered('disk queue read pointer written again', { dir: this.opts.diskDirectory });
        } catch (err) {
          // Sent but the read pointer could not be saved: after a restart these would be sent again (never lost).
          this.pointerWriteFailures.failed(err, 'cannot record delivered disk queue messages (a restart would send them again)',
            { dir: this.opts.diskDirectory });
        }
        continue;
      }
      // Every later send fails too (the transport's contract); whatever they report, nothing after the failed batch
      // may be confirmed before it, so all of it is sent again, in order, once the transport is back.
      this.state = 'retrying';
      const later = this.inFlight.splice(0);
      try {
        await this.unlessGivenUp(Promise.all(later.map((s) => s.outcome)));
      } catch {
        break; // close() gave up
      }
      this.forgetIssued();
      this.logger.warn('send failed; will retry the batch', {
        transport: this.transport.name,
        messages: head.batch.messages.length,
        batchesInFlight: later.length + 1,
        error: outcome.message,
      });
      this.wakeSpaceWaiters();
      await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
    }
  }

  /** Nothing is in flight and the transport is not up: wait for it (a failed wait backs off). */
  private async waitForTransport(signal: AbortSignal): Promise<void> {
    this.state = 'waiting-for-transport';
    try {
      await this.transport.waitUntilReady(signal);
    } catch (err) {
      if (signal.aborted) return;
      this.logger.warn('transport not ready', { transport: this.transport.name, error: (err as Error).message });
      this.wakeSpaceWaiters();
      await sleep(this.retry.nextDelayMs(), signal).catch(() => undefined);
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
      this.logger.warn('the batches in flight were not confirmed in time; keeping them as undelivered', {
        transport: this.transport.name,
        batchesInFlight: this.inFlight.length,
        waitedMs: closeTimeoutMs,
      });
      this.givenUp = new InFlightGivenUp(`no confirmation within ${closeTimeoutMs} ms of close()`);
      for (const reject of [...this.giveUpListeners]) reject(this.givenUp);
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
    this.memoryBytesHeld = 0;
    while (this.flushing) await this.flushing;
    await this.disk.sync();
    for (const slot of this.unsyncedDiskSlots.splice(0)) this.partDurable(slot);
    this.reportDurable();
    this.disk.close();
    this.state = 'closed';
  }
}
