// One side of a TCP connection as Zeek tracks it (TCP_Endpoint): state, sequence-space bookkeeping (32-bit
// numbers widened with wrap counts), payload size from sequence numbers, and the per-side history counters.
import type { TcpReassembler } from './tcp-reassembler';

export const enum TcpState {
  Inactive = 0,
  SynSent = 1,
  SynAckSent = 2,
  Partial = 3,
  Established = 4,
  Closed = 5,
  Reset = 6,
}

const TWO_POW_32 = 4294967296;

/** Signed distance a - b in 32-bit sequence space (Zeek's seq_delta). */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

export function isHandshake(state: TcpState): boolean {
  return state === TcpState.Inactive || state === TcpState.SynSent || state === TcpState.SynAckSent;
}

export class TcpEndpoint {
  state: TcpState = TcpState.Inactive;
  prevState: TcpState = TcpState.Inactive;
  peer!: TcpEndpoint;
  // The three 32-bit sequence numbers below are stored as signed 32-bit values (small integers to V8) and read back
  // unsigned through accessors: as double fields each would cost every connection a heap number.
  private startBits = 0;
  private lastBits = 0;
  private ackBits = 0;
  seqWraps = 0;
  ackWraps = 0;
  finCount = 0;
  rstCount = 0;
  // The four relative sequence numbers below are written on SYN, FIN and RST packets only: they start as small
  // integers (a double field costs every connection a heap number) and become doubles only past 2 GB.
  /** Relative sequence number just past the FIN. */
  finSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /**
   * Repeat counts of the letters logged again at 10, 100, 1000... repeats (scaledHistoryEntry): checksum errors (C),
   * retransmissions (T), zero windows (W), gaps (G). Small-integer fields, not arrays: no allocation per connection.
   */
  checksumCount = 0;
  retransmitCount = 0;
  zeroWindowCount = 0;
  gapCount = 0;
  /** Made on first use (TcpSession.reassemblerOf): most connections of a flood never carry data. */
  reassembler: TcpReassembler | undefined = undefined;
  didEof = false;

  constructor(public isOrig: boolean) {}

  /** Initial sequence number (as if a SYN was seen), 0..2^32-1. */
  get startSeq(): number {
    return this.startBits >>> 0;
  }

  set startSeq(seq: number) {
    this.startBits = seq | 0;
  }

  /** Sequence number after the last one sent (0..2^32-1). */
  get lastSeq(): number {
    return this.lastBits >>> 0;
  }

  set lastSeq(seq: number) {
    this.lastBits = seq | 0;
  }

  /** The highest ack the peer sent for this side's data (0..2^32-1). */
  get ackSeq(): number {
    return this.ackBits >>> 0;
  }

  set ackSeq(seq: number) {
    this.ackBits = seq | 0;
  }

  initStartSeq(seq: number): void {
    this.startSeq = seq >>> 0;
  }

  /**
   * The highest sequence number sent advances (a lower number means it wrapped). The wrap count is bumped without a
   * branch: a branch first taken gigabytes into a connection would deoptimize the whole inlined per-packet TCP path.
   */
  updateLastSeq(seq: number): void {
    this.seqWraps += seq < this.lastSeq ? 1 : 0;
    this.lastSeq = seq;
  }

  /** `seq` widened by `wraps` and made relative to the initial sequence number. */
  toRelative(seq: number, wraps: number): number {
    return wraps * TWO_POW_32 + seq - this.startSeq;
  }

  /** The peer's highest ack of this side's data, relative to the initial sequence number. */
  relativeAck(): number {
    return this.ackWraps * TWO_POW_32 + this.ackSeq - this.startSeq;
  }

  /** True when none of this side's data was acknowledged (one octet allowed for the SYN). */
  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO_POW_32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /** Payload bytes sent, from sequence numbers (Zeek's TCP_Endpoint::Size). */
  size(): number {
    if (this.prevState === TcpState.SynSent && this.state === TcpState.Reset &&
        this.peer.state === TcpState.Inactive && !this.noDataAcked()) {
      // A half-open connection discovered and aborted: its sequence numbers say nothing about data.
      return 0;
    }
    const last = this.seqWraps * TWO_POW_32 + this.lastSeq;
    const ack = this.ackWraps * TWO_POW_32 + this.ackSeq;
    let size = (last > ack ? last : ack) - this.startSeq;
    // The SYN and FIN each take one sequence number but are no payload.
    if (size !== 0) size--;
    if (this.finCount > 0 && size !== 0) size--;
    // Zeek computes this in unsigned 64-bit arithmetic; a negative value cannot be logged sensibly.
    return size < 0 ? 0 : size;
  }
}
