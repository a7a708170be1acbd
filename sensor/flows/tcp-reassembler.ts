// One direction of a TCP stream: hands in-order payload to a sink and reports holes as gaps, with Zeek's
// reassembly semantics (relative sequence numbers starting at 1; a hole becomes a gap when the peer's ACK
// passes it). Out-of-order data is held in a sorted block list (binary search, overlaps trimmed on insert,
// first copy wins); buffered bytes are capped and beyond the cap the stream skips ahead over the hole.

import { DOUBLE_ZERO } from '../decode/double-zero';

export interface ReassemblySink {
  /** In-order bytes starting at relative sequence `seq`; the buffer is only valid during the call. */
  deliver(seq: number, data: Buffer, offset: number, length: number): void;
  /** `length` bytes at relative sequence `seq` were never seen and never will be. */
  gap(seq: number, length: number): void;
}

class Block {
  // Relative sequence numbers outgrow small integers in long streams: stored as doubles from the start (see DOUBLE_ZERO).
  seq = DOUBLE_ZERO;
  upper = DOUBLE_ZERO;

  constructor(seq: number, upper: number, readonly data: Buffer) {
    this.seq = seq;
    this.upper = upper;
  }
}

export class TcpReassembler {
  // The three numbers below start as doubles (see DOUBLE_ZERO) and get their values in the constructor.
  /** Everything below this relative sequence number has been delivered or declared a gap. */
  private lastReassemSeq = DOUBLE_ZERO;
  /** Everything below this has been acknowledged: older data is ignored. */
  private trimSeq = DOUBLE_ZERO;
  /** Undelivered blocks, sorted by seq, never overlapping; each starts above lastReassemSeq. */
  private readonly blocks: Block[] = [];
  private buffered = DOUBLE_ZERO;
  /** Set when reassembly gave up on this direction (Zeek's skip_deliveries): nothing more is delivered. */
  private skipping = false;

  constructor(
    private readonly sink: ReassemblySink,
    private readonly maxBufferedBytes: number,
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
    return this.blocks.length > 0;
  }

  get skippingDeliveries(): boolean {
    return this.skipping;
  }

  /** Bytes between the delivery point and the end of the highest buffered block (Zeek's NumUndeliveredBytes). */
  undeliveredBytes(): number {
    return this.blocks.length === 0 ? 0 : this.blocks[this.blocks.length - 1].upper - this.lastReassemSeq;
  }

  /** Stops delivering for good and drops what is buffered (Zeek gives up on a direction this way). */
  giveUp(): void {
    this.clear();
    this.skipping = true;
  }

  clear(): void {
    this.blocks.length = 0;
    this.buffered = 0;
  }

  /**
   * A segment's payload at relative sequence `seq`. `ackedUpTo` is the peer's latest acknowledgement:
   * data below it was delivered before and is not looked at again.
   * Returns true when buffering exceeded the cap and the stream skipped ahead over a hole.
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
    let index = this.firstEndingAfter(seq);
    let cursor = seq;
    while (cursor < upper) {
      const next = index < this.blocks.length ? this.blocks[index] : undefined;
      if (!next || next.seq >= upper) {
        this.insertAt(index, cursor, data, offset + (cursor - seq), upper - cursor);
        break;
      }
      if (cursor < next.seq) {
        this.insertAt(index, cursor, data, offset + (cursor - seq), next.seq - cursor);
        index++;
      }
      cursor = Math.max(cursor, next.upper);
      index++;
    }
    if (this.buffered > this.maxBufferedBytes) {
      while (this.buffered > this.maxBufferedBytes && this.blocks.length > 0) this.skipToFirstBlock();
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
    let drop = 0;
    while (drop < this.blocks.length && this.blocks[drop].upper <= seq) {
      this.buffered -= this.blocks[drop].upper - this.blocks[drop].seq;
      drop++;
    }
    if (drop > 0) this.blocks.splice(0, drop);
    this.trimSeq = seq;
    if (this.blocks.length > 0 && this.blocks[0].seq === this.lastReassemSeq) this.drain();
    return true;
  }

  private undelivered(upTo: number, ignoreEarlyHole: boolean): void {
    if (upTo <= 2 && ignoreEarlyHole) return;
    if (!this.skipping) {
      while (this.blocks.length > 0 && this.blocks[0].seq < upTo) {
        const first = this.blocks[0];
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

  /** Declares the hole before the first buffered block a gap and delivers from there (buffer cap reached). */
  private skipToFirstBlock(): void {
    const first = this.blocks[0];
    if (first.seq > this.lastReassemSeq) {
      this.sink.gap(this.lastReassemSeq, first.seq - this.lastReassemSeq);
      this.lastReassemSeq = first.seq;
    }
    this.drain();
  }

  /** Delivers every buffered block that now starts at or below the delivery point. */
  private drain(): void {
    let used = 0;
    while (used < this.blocks.length && this.blocks[used].seq <= this.lastReassemSeq) {
      const block = this.blocks[used++];
      this.buffered -= block.upper - block.seq;
      if (block.upper > this.lastReassemSeq) {
        const skip = this.lastReassemSeq - block.seq;
        const from = this.lastReassemSeq;
        this.lastReassemSeq = block.upper;
        this.sink.deliver(from, block.data, skip, block.data.length - skip);
      }
    }
    if (used > 0) this.blocks.splice(0, used);
  }

  /** Index of the first block whose upper end is above `seq` (binary search). */
  private firstEndingAfter(seq: number): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.blocks[mid].upper <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private insertAt(index: number, seq: number, data: Buffer, offset: number, length: number): void {
    const copy = Buffer.allocUnsafe(length);
    data.copy(copy, 0, offset, offset + length);
    const block = new Block(seq, seq + length, copy);
    if (index === this.blocks.length) this.blocks.push(block);
    else this.blocks.splice(index, 0, block);
    this.buffered += length;
  }
}
