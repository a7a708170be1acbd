// One direction of a TCP stream: hands in-order payload to a sink and reports holes as gaps, with Zeek's
// reassembly semantics (relative sequence numbers starting at 1; a hole becomes a gap when the peer's ACK
// passes it). Out-of-order data is held in a skip list sorted by sequence number (O(log n) insertion in any order,
// O(1) removal from the front; overlaps trimmed on insert, first copy wins). Buffered bytes are capped per direction
// and, through a ReassemblyBudget shared by every stream, overall: beyond either cap the stream skips ahead over its
// holes (each reported as a gap, as Zeek reports data it will never deliver).

import { DOUBLE_ZERO } from '../decode/double-zero';

export interface ReassemblySink {
  /** In-order bytes starting at relative sequence `seq`; the buffer is only valid during the call. */
  deliver(seq: number, data: Buffer, offset: number, length: number): void;
  /** `length` bytes at relative sequence `seq` were never seen and never will be. */
  gap(seq: number, length: number): void;
}

/** Most skip-list levels: enough for 4^12 (16 M) blocks, far beyond any cap. */
const MAX_LEVEL = 12;

class Block {
  // Relative sequence numbers outgrow small integers in long streams: stored as doubles from the start (see DOUBLE_ZERO).
  seq = DOUBLE_ZERO;
  upper = DOUBLE_ZERO;
  /** Successor on each level this block is part of (level 0 links every block in order). */
  readonly next: (Block | undefined)[];

  constructor(seq: number, upper: number, readonly data: Buffer, levels: number) {
    this.seq = seq;
    this.upper = upper;
    this.next = new Array<Block | undefined>(levels).fill(undefined);
  }
}

/**
 * Heap bytes of one buffered block beside its data (the Block, its links array and its Buffer object; measured on
 * Node 20: 248 heap bytes a block for 50,000 256-byte blocks). The global budget counts them, so many small
 * segments cannot hold several times the budget.
 */
export const BLOCK_OVERHEAD_BYTES = 256;

/** Memory of buffered out-of-order data (bytes plus BLOCK_OVERHEAD_BYTES per block) over every stream of a tracker. */
export class ReassemblyBudget {
  used = 0;
  /** Times a stream skipped ahead because this budget was exhausted. */
  overflows = 0;

  constructor(readonly limit: number) {}
}

/**
 * The head links of an empty list: shared, never written (most streams never buffer anything). The same length and
 * elements kind as a real head, so reads of `head` stay monomorphic.
 */
const NO_LINKS: readonly (Block | undefined)[] = new Array<Block | undefined>(MAX_LEVEL).fill(undefined);

/** Unlimited: for reassemblers used on their own (tests). */
const NO_BUDGET = new ReassemblyBudget(Number.POSITIVE_INFINITY);

/** Deterministic level choice (xorshift, p = 1/4): the list's shape never changes what is delivered. */
let levelState = 0x2545f491;
function randomLevel(): number {
  levelState ^= levelState << 13;
  levelState ^= levelState >>> 17;
  levelState ^= levelState << 5;
  let bits = levelState >>> 0;
  let level = 1;
  while (level < MAX_LEVEL && (bits & 3) === 0) {
    level++;
    bits >>>= 2;
  }
  return level;
}

export class TcpReassembler {
  // The three numbers below start as doubles (see DOUBLE_ZERO) and get their values in the constructor.
  /** Everything below this relative sequence number has been delivered or declared a gap. */
  private lastReassemSeq = DOUBLE_ZERO;
  /** Everything below this has been acknowledged: older data is ignored. */
  private trimSeq = DOUBLE_ZERO;
  /**
   * The skip list's head links (the first block on each level): undelivered blocks, sorted by seq, never overlapping,
   * each above lastReassemSeq. NO_LINKS until something is buffered.
   */
  private head = NO_LINKS as (Block | undefined)[];
  private tail: Block | undefined;
  /** Levels in use (1 when empty). */
  private levels = 1;
  private buffered = DOUBLE_ZERO;
  private blockCount = 0;
  /** Set when reassembly gave up on this direction (Zeek's skip_deliveries): nothing more is delivered. */
  private skipping = false;
  /** Blocks looked at by searches, insertions and removals: O(log n) per segment (tests check its growth). */
  work = 0;

  constructor(
    private readonly sink: ReassemblySink,
    private readonly maxBufferedBytes: number,
    private readonly budget: ReassemblyBudget = NO_BUDGET,
  ) {
    this.lastReassemSeq = 1;
    this.trimSeq = 1;
  }

  get deliveredUpTo(): number {
    return this.lastReassemSeq;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  get hasBlocks(): boolean {
    return this.head[0] !== undefined;
  }

  get skippingDeliveries(): boolean {
    return this.skipping;
  }

  /** Bytes between the delivery point and the end of the highest buffered block (Zeek's NumUndeliveredBytes). */
  undeliveredBytes(): number {
    return this.tail === undefined ? 0 : this.tail.upper - this.lastReassemSeq;
  }

  /** Stops delivering for good and drops what is buffered (Zeek gives up on a direction this way). */
  giveUp(): void {
    this.clear();
    this.skipping = true;
  }

  /** Drops every buffered block (and returns its bytes to the shared budget). */
  clear(): void {
    this.budget.used -= this.buffered + this.blockCount * BLOCK_OVERHEAD_BYTES;
    this.blockCount = 0;
    this.head = NO_LINKS as (Block | undefined)[];
    this.tail = undefined;
    this.levels = 1;
    this.buffered = 0;
  }

  /**
   * A segment's payload at relative sequence `seq`. `ackedUpTo` is the peer's latest acknowledgement:
   * data below it was delivered before and is not looked at again.
   * Returns true when buffering exceeded a cap (this stream's or the shared budget) and the stream skipped ahead.
   */
  dataSent(seq: number, data: Buffer, offset: number, length: number, ackedUpTo: number): boolean {
    if (this.skipping || length <= 0) return false;
    if (seq < ackedUpTo) {
      if (seq + length <= ackedUpTo) return false;
      const acked = ackedUpTo - seq;
      seq += acked;
      offset += acked;
      length -= acked;
    }
    return this.newBlock(seq, data, offset, length);
  }

  private newBlock(seq: number, data: Buffer, offset: number, length: number): boolean {
    const upper = seq + length;
    if (upper <= this.trimSeq) return false;
    if (seq < this.trimSeq) {
      const old = this.trimSeq - seq;
      seq += old;
      offset += old;
      length -= old;
    }
    if (seq <= this.lastReassemSeq) {
      // In order (possibly with an already-delivered prefix): deliver straight from the packet, no copy.
      if (upper > this.lastReassemSeq) {
        const fresh = this.lastReassemSeq - seq;
        const deliverFrom = this.lastReassemSeq;
        this.lastReassemSeq = upper;
        this.sink.deliver(deliverFrom, data, offset + fresh, length - fresh);
        this.drain();
      }
      return false;
    }
    // Above a hole: keep a copy of the parts not already buffered.
    let next = this.firstEndingAfter(seq);
    let cursor = seq;
    while (cursor < upper) {
      if (next === undefined || next.seq >= upper) {
        this.insert(cursor, data, offset + (cursor - seq), upper - cursor);
        break;
      }
      if (cursor < next.seq) this.insert(cursor, data, offset + (cursor - seq), next.seq - cursor);
      cursor = Math.max(cursor, next.upper);
      next = next.next[0];
      this.work++;
    }
    const budget = this.budget;
    if (this.buffered > this.maxBufferedBytes || budget.used > budget.limit) {
      if (budget.used > budget.limit) budget.overflows++;
      while ((this.buffered > this.maxBufferedBytes || budget.used > budget.limit) && this.hasBlocks) this.skipToFirstBlock();
      return true;
    }
    return false;
  }

  /**
   * The peer acknowledged everything below `seq` (Zeek's TrimToSeq on an ACK): holes below it can no longer
   * be filled, so they become gaps and the blocks after them are delivered. `ignoreEarlyHole` is Zeek's
   * rule for partial connections: a hole at relative seq 1 or 2 is an artefact of the guessed initial seq.
   * Returns false when `seq` was already trimmed (nothing to do).
   */
  trimTo(seq: number, ignoreEarlyHole: boolean): boolean {
    if (seq <= this.trimSeq) return false;
    if (seq > this.lastReassemSeq) this.undelivered(seq, ignoreEarlyHole);
    for (let first = this.head[0]; first !== undefined && first.upper <= seq; first = this.head[0]) {
      this.removeFirst();
    }
    this.trimSeq = seq;
    const first = this.head[0];
    if (first !== undefined && first.seq === this.lastReassemSeq) this.drain();
    return true;
  }

  private undelivered(upTo: number, ignoreEarlyHole: boolean): void {
    if (upTo <= 2 && ignoreEarlyHole) return;
    if (!this.skipping) {
      for (let first = this.head[0]; first !== undefined && first.seq < upTo; first = this.head[0]) {
        if (first.seq >= this.lastReassemSeq) {
          // Zeek reports this gap even when it is empty (a block waiting exactly at the delivery point).
          this.sink.gap(this.lastReassemSeq, first.seq - this.lastReassemSeq);
          this.lastReassemSeq = first.seq;
        }
        this.drain();
      }
      if (upTo > this.lastReassemSeq) this.sink.gap(this.lastReassemSeq, upTo - this.lastReassemSeq);
    }
    if (upTo > this.lastReassemSeq) this.lastReassemSeq = upTo;
  }

  /** Declares the hole before the first buffered block a gap and delivers from there (a buffer cap reached). */
  private skipToFirstBlock(): void {
    const first = this.head[0] as Block;
    if (first.seq > this.lastReassemSeq) {
      this.sink.gap(this.lastReassemSeq, first.seq - this.lastReassemSeq);
      this.lastReassemSeq = first.seq;
    }
    this.drain();
  }

  /** Delivers every buffered block that now starts at or below the delivery point. */
  private drain(): void {
    for (let block = this.head[0]; block !== undefined && block.seq <= this.lastReassemSeq; block = this.head[0]) {
      this.removeFirst();
      if (block.upper > this.lastReassemSeq) {
        const skip = this.lastReassemSeq - block.seq;
        const from = this.lastReassemSeq;
        this.lastReassemSeq = block.upper;
        this.sink.deliver(from, block.data, skip, block.data.length - skip);
      }
    }
  }

  /** The first block whose upper end is above `seq` (skip-list search), or undefined. */
  private firstEndingAfter(seq: number): Block | undefined {
    let links = this.head;
    for (let level = this.levels - 1; level >= 0; level--) {
      for (let n = links[level]; n !== undefined && n.upper <= seq; n = links[level]) {
        links = n.next;
        this.work++;
      }
    }
    return links[0];
  }

  /** Copies [offset, offset+length) of `data` into a new block at `seq` (which lies in a hole of the list). */
  private insert(seq: number, data: Buffer, offset: number, length: number): void {
    const copy = Buffer.allocUnsafe(length);
    data.copy(copy, 0, offset, offset + length);
    const levels = randomLevel();
    const block = new Block(seq, seq + length, copy, levels);
    if (levels > this.levels) this.levels = levels;
    if (this.head === NO_LINKS) this.head = new Array<Block | undefined>(MAX_LEVEL).fill(undefined);
    let links = this.head;
    for (let level = this.levels - 1; level >= 0; level--) {
      for (let n = links[level]; n !== undefined && n.seq < seq; n = links[level]) {
        links = n.next;
        this.work++;
      }
      if (level < levels) {
        block.next[level] = links[level];
        links[level] = block;
      }
    }
    if (block.next[0] === undefined) this.tail = block;
    this.buffered += length;
    this.blockCount++;
    this.budget.used += length + BLOCK_OVERHEAD_BYTES;
  }

  /** Unlinks the first block (the head is its predecessor on every level it is part of). */
  private removeFirst(): void {
    const block = this.head[0] as Block;
    const next = block.next;
    for (let level = 0; level < next.length; level++) this.head[level] = next[level];
    // Empty again: the head links stay (a stream that reordered once will likely again; allocating them anew each
    // time was measurable garbage). clear() lets them go when the connection ends.
    if (this.head[0] === undefined) this.tail = undefined;
    while (this.levels > 1 && this.head[this.levels - 1] === undefined) this.levels--;
    const length = block.upper - block.seq;
    this.buffered -= length;
    this.blockCount--;
    this.budget.used -= length + BLOCK_OVERHEAD_BYTES;
    this.work++;
  }
}
