// Zeek's TCP connection semantics for one connection (TCPSessionAdapter): endpoint state machine, history
// letters, sequence/ack bookkeeping, role flips, close/reset handling with its timers, TCP weirds, and
// per-direction reassembly feeding analyzers and counting content gaps (missed_bytes).
import { DOUBLE_ZERO } from '../decode/double-zero';
import type { DecodedPacket } from '../decode/decoded-packet';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from '../decode/decoded-packet';
import type { ConnTimeouts } from './conn-timeouts';
import { Connection, scaledHistoryEntry, TimerKind } from './connection';
import { isHandshake, seqDelta, TcpEndpoint, TcpState } from './tcp-endpoint';
import { ReassemblyBudget, ReassemblySink, TcpReassembler } from './tcp-reassembler';

/** The connection timeouts, flattened in (no nested object) with the TCP settings. */
export interface TcpOptions extends ConnTimeouts {
  /** Per-direction cap on buffered out-of-order bytes; beyond it the stream skips ahead over the hole. */
  maxReassemblyBytes: number;
  /** Zeek's report_gaps_for_partial. */
  reportGapsForPartial: boolean;
  /** Buffered out-of-order bytes over all connections (the global cap); shared by every session of a tracker. */
  reassemblyBudget: ReassemblyBudget;
}

const ORIG_SEEN = 1;
const RESP_SEEN = 2;
const TOO_LARGE_SEQ_DELTA = 1048576;
const MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS = 16384;

/**
 * The current segment's sequence number, the one just past it and its ack (unsigned 32-bit). Helpers read them from
 * here: passed as arguments, numbers above 2^30 would be boxed into a fresh heap object on every call. One object for
 * every session (one packet is processed at a time), not three boxed fields per connection.
 */
const seg = { start: DOUBLE_ZERO, end: DOUBLE_ZERO, ack: DOUBLE_ZERO };

const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI_FLAG = 0x40;

export class TcpSession {
  orig: TcpEndpoint;
  resp: TcpEndpoint;
  private isPartial = false;
  private firstPacketSeen = 0;
  private closeDeferred = false;
  private deferredGenEvent = false;
  // Per-packet results kept in fields rather than small objects: process() runs for every TCP packet and must not allocate.
  /** Set by relativeSeq(): the number lies before the initial sequence number. */
  private underflow = false;
  /** Set by the state machine: this packet closes the sending side (and whether Zeek would raise an event for it). */
  private doClose = false;
  private closeGenEvent = false;
  /** False once Zeek would consider the connection finished, reset or timed out (timers then stop acting). */
  isActive = true;

  constructor(
    private readonly conn: Connection,
    private readonly opts: TcpOptions,
  ) {
    this.orig = new TcpEndpoint(true);
    this.resp = new TcpEndpoint(false);
    this.orig.peer = this.resp;
    this.resp.peer = this.orig;
    // Zeek reassembles every TCP connection from its first packet (dpd_reassemble_first_packets); each direction's
    // reassembler is made when it first has something to do (data, or an ACK past the SYN), as one that was never
    // used is in its starting state anyway.
    conn.setInactivityTimeout(opts.udpInactivity);
    conn.addTcpTimer(conn.startTime + opts.synTimeout, TimerKind.TcpExpire);
  }

  private reassemblerOf(endpoint: TcpEndpoint): TcpReassembler {
    let reassembler = endpoint.reassembler;
    if (reassembler === undefined) {
      reassembler = new TcpReassembler(new StreamSink(this, this.conn, endpoint), this.opts.maxReassemblyBytes, this.opts.reassemblyBudget);
      endpoint.reassembler = reassembler;
    }
    return reassembler;
  }

  /** The connection ended: what is still buffered is dropped and its bytes go back to the shared budget. */
  releaseBuffers(): void {
    this.orig.reassembler?.clear();
    this.resp.reassembler?.clear();
  }

  /** Zeek's FlipRoles on the adapter: swap endpoints and which side was seen first. */
  flipRoles(): void {
    const old = this.resp;
    this.resp = this.orig;
    this.orig = old;
    this.orig.isOrig = !this.orig.isOrig;
    this.resp.isOrig = !this.resp.isOrig;
    this.firstPacketSeen = ((this.firstPacketSeen & ORIG_SEEN) ? RESP_SEEN : 0) | ((this.firstPacketSeen & RESP_SEEN) ? ORIG_SEEN : 0);
    this.isPartial = false;
  }

  /** A packet whose checksum is known to be bad: Zeek drops it after noting C/c and the weird. */
  badChecksum(isOrig: boolean): void {
    const endpoint = isOrig ? this.orig : this.resp;
    this.conn.weird('bad_TCP_checksum', '', 'TCP');
    scaledHistoryEntry(this.conn, endpoint.isOrig ? 'C' : 'c', ++endpoint.checksumCount);
  }

  /** Zeek's IsReuse: a new SYN on a known 5-tuple that starts a new connection. */
  isReuse(pkt: DecodedPacket, now: number): boolean {
    const flags = pkt.tcpFlags;
    if (!(flags & TCP_SYN)) return false;
    let connOrig = this.orig;
    if (flags & TCP_ACK) {
      if (this.orig.state !== TcpState.Inactive) return false;
      connOrig = this.resp;
    }
    const baseSeq = pkt.tcpSeq >>> 0;
    if (this.isActive) {
      if (baseSeq === connOrig.startSeq) return false;
      if (!(flags & TCP_ACK) && connOrig.state === TcpState.SynAckSent && this.resp.state === TcpState.Inactive &&
          baseSeq === this.resp.startSeq) {
        return false;
      }
      this.conn.weird(connOrig.state === TcpState.SynSent ? 'SYN_seq_jump' : 'active_connection_reuse');
    } else if (((this.orig.state !== TcpState.Inactive && !this.orig.didClose) ||
                (this.resp.state !== TcpState.Inactive && !this.resp.didClose)) &&
               this.orig.state !== TcpState.Reset && this.resp.state !== TcpState.Reset) {
      this.conn.weird('active_connection_reuse');
    } else if (now - this.conn.lastTime < this.opts.connectionLinger &&
               this.orig.state !== TcpState.Reset && this.resp.state !== TcpState.Reset) {
      this.conn.weird('premature_connection_reuse');
    }
    return true;
  }

  /**
   * Processes one TCP packet (Zeek's TCPSessionAdapter::Process). Returns the direction after processing:
   * the connection may flip roles on this packet (SYN-ACK first, then data or ACK). The packet's time is the
   * connection's networkTime (set by the tracker before each packet).
   */
  process(isOrig: boolean, pkt: DecodedPacket): boolean {
    const now = this.conn.networkTime;
    const flags = pkt.tcpFlags;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const baseSeq = pkt.tcpSeq >>> 0;
    const ackSeq = pkt.tcpAck >>> 0;
    const len = pkt.payloadLength;
    const endpoint = isOrig ? this.orig : this.resp;
    const peer = endpoint.peer;
    const originatorBefore = this.orig;

    this.setPartialStatus(flags, endpoint.isOrig);
    // A RST's payload takes no sequence space. Written without a rarely taken branch: code the optimizing compiler
    // never saw run deoptimizes this whole inlined path the first time it runs.
    const segLen = (rst ? 0 : len) + (syn ? 1 : 0) + (fin ? 1 : 0);
    const seqOnePastSegment = (baseSeq + segLen) >>> 0;
    seg.start = baseSeq;
    seg.end = seqOnePastSegment;
    seg.ack = ackSeq;
    this.initEndpoint(endpoint, flags);

    const relSeq = this.relativeSeq(endpoint, false);
    const seqUnderflow = this.underflow;
    if (seqUnderflow && !rst) this.conn.weird('TCP_seq_underflow_or_misorder', '', 'TCP');

    this.updateHistory(flags, endpoint, relSeq, len);
    if (pkt.tcpWindow === 0 && !rst && peer.state !== TcpState.Closed && endpoint.state !== TcpState.Reset) {
      scaledHistoryEntry(this.conn, endpoint.isOrig ? 'W' : 'w', ++endpoint.zeroWindowCount);
    }
    if (!this.orig.didClose || !this.resp.didClose) this.conn.lastTime = now;

    if (syn) {
      if (rst) this.conn.weird('TCP_christmas', '', 'TCP');
      if (flags & TCP_URG) this.conn.weird('baroque_SYN', '', 'TCP');
      if (len > 0) this.conn.weird('SYN_with_data', '', 'TCP');
      const scale = windowScaleOption(pkt);
      if (scale > 14 && !this.conn.didWeird) this.conn.weird('TCP_scale_range', String(scale), 'TCP');
    }
    if (fin) {
      endpoint.finCount++;
      endpoint.finSeq = relSeq + segLen;
    }
    endpoint.rstCount += rst ? 1 : 0; // branch-free, as segLen above

    let relAck = 0;
    if (ack) {
      if (peer.state === TcpState.Inactive) {
        relAck = 1;
        this.initPeer(peer, endpoint, flags, ackSeq);
      } else {
        relAck = this.relativeSeq(peer, true);
        if (this.underflow) {
          relAck = 0;
          this.conn.weird('TCP_ack_underflow_or_misorder', '', 'TCP');
        } else if (!rst) {
          const deltaAck = seqDelta(ackSeq, peer.ackSeq);
          if (ackSeq === 0 && deltaAck > TOO_LARGE_SEQ_DELTA) {
            // More likely a broken ack than a huge connection landing on 0.
          } else if (deltaAck > 0) {
            // The peer's ack advances (a lower number means it wrapped). Written out here rather than as an endpoint
            // method: process() is past the compiler's inlining budget, and a call would box the 32-bit number on
            // every ACK. Branch-free for the reason given at TcpEndpoint.updateLastSeq.
            peer.ackWraps += ackSeq < peer.ackSeq ? 1 : 0;
            peer.ackSeq = ackSeq;
          }
        }
      }
    }

    const deltaLast = this.updateLastSeq(endpoint, flags, len);
    this.doClose = this.closeGenEvent = false;
    this.updateStateMachine(endpoint, peer, len, deltaLast, isOrig, flags);

    if (ack) this.ackReceived(peer, relAck);

    // Remember which sides were seen (Zeek does this with the direction the packet arrived in).
    this.firstPacketSeen |= isOrig ? ORIG_SEEN : RESP_SEEN;

    const relDataSeq = syn ? relSeq + 1 : relSeq;
    if (len > 0 && pkt.payloadCapturedLength >= len && !rst && !seqUnderflow) {
      this.dataSent(endpoint, relDataSeq, pkt);
    }
    this.checkEof(endpoint);
    if (this.doClose) this.connectionClosed(endpoint, peer, this.closeGenEvent);

    return originatorBefore === this.orig ? isOrig : !isOrig;
  }

  private setPartialStatus(flags: number, isOrig: boolean): void {
    if (isOrig) {
      if (!(this.firstPacketSeen & ORIG_SEEN)) this.isPartial = !(flags & TCP_SYN) || (flags & TCP_ACK) !== 0;
    } else if (!(this.firstPacketSeen & RESP_SEEN) && !this.isPartial) {
      this.isPartial = !(flags & TCP_SYN);
    }
  }

  private initEndpoint(endpoint: TcpEndpoint, flags: number): void {
    const syn = (flags & TCP_SYN) !== 0;
    const firstSegSeq = seg.start;
    let lastSeq = seg.end;
    switch (endpoint.state) {
      case TcpState.Inactive:
        if (syn) {
          endpoint.ackSeq = firstSegSeq;
          endpoint.initStartSeq(firstSegSeq);
        } else {
          // A partial connection: number bytes as though a SYN had been seen.
          endpoint.ackSeq = (firstSegSeq - 1) >>> 0;
          endpoint.initStartSeq(firstSegSeq - 1);
          lastSeq = firstSegSeq;
        }
        endpoint.lastSeq = lastSeq;
        break;
      case TcpState.SynSent:
      case TcpState.SynAckSent:
        if (syn && firstSegSeq !== endpoint.startSeq) {
          this.conn.weird('SYN_seq_jump');
          this.reinitSeq(endpoint, firstSegSeq, lastSeq);
        }
        break;
      case TcpState.Established:
      case TcpState.Partial:
        if (syn) {
          if (endpoint.size() > 0) this.conn.weird('SYN_inside_connection');
          if (firstSegSeq !== endpoint.startSeq) this.conn.weird('SYN_seq_jump');
          this.reinitSeq(endpoint, firstSegSeq, lastSeq);
        }
        break;
      case TcpState.Reset:
        // A SYN after a RST that initialised the numbers: the RST may have been spoofed, start over.
        if (syn && endpoint.prevState === TcpState.Inactive) this.reinitSeq(endpoint, firstSegSeq, lastSeq);
        break;
      default:
        break;
    }
  }

  private reinitSeq(endpoint: TcpEndpoint, firstSegSeq: number, lastSeq: number): void {
    endpoint.initStartSeq(firstSegSeq);
    endpoint.ackSeq = firstSegSeq;
    endpoint.lastSeq = lastSeq;
  }

  /**
   * The segment's sequence number (`ofAck`: its ack) relative to the endpoint's initial one, widened by the endpoint's
   * wrap count; sets `underflow` when it lies before it. Reads the numbers from fields (see `seg`).
   */
  private relativeSeq(endpoint: TcpEndpoint, ofAck: boolean): number {
    this.underflow = false;
    const curBase = ofAck ? seg.ack : seg.start;
    const last = ofAck ? endpoint.ackSeq : endpoint.lastSeq;
    let wraps = ofAck ? endpoint.ackWraps : endpoint.seqWraps;
    let delta = seqDelta(curBase, last);
    if (delta < 0) {
      if (wraps && curBase > last) wraps--;
    } else if (delta > 0) {
      if (curBase < last) wraps++;
    }
    if (wraps === 0) {
      delta = seqDelta(curBase, endpoint.startSeq);
      if (delta < 0) this.underflow = true;
      return delta;
    }
    return endpoint.toRelative(curBase, wraps);
  }

  private updateHistory(flags: number, endpoint: TcpEndpoint, relSeq: number, len: number): void {
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const bitsSet = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bitsSet > 1) {
      if (fin && rst) this.checkHistory(endpoint, HIST_FIN_RST, 'I');
      else this.checkHistory(endpoint, HIST_MULTI_FLAG, 'Q');
    } else if (bitsSet === 1) {
      if (syn) {
        const code = flags & TCP_ACK ? 'H' : 'S';
        if (this.checkHistory(endpoint, HIST_SYN, code) && relSeq !== endpoint.histLastSyn) this.addHistory(endpoint, code);
        endpoint.histLastSyn = relSeq;
      }
      if (fin) {
        // A FIN's sequence number counts from the end of the data it carries.
        if (this.checkHistory(endpoint, HIST_FIN, 'F') && relSeq + len !== endpoint.histLastFin) this.addHistory(endpoint, 'F');
        endpoint.histLastFin = relSeq + len;
      }
      if (rst) {
        if (this.checkHistory(endpoint, HIST_RST, 'R') && relSeq !== endpoint.histLastRst) this.addHistory(endpoint, 'R');
        endpoint.histLastRst = relSeq;
      }
    } else if (len) {
      this.checkHistory(endpoint, HIST_DATA, 'D');
    } else if (flags & TCP_ACK) {
      this.checkHistory(endpoint, HIST_ACK, 'A');
    }
  }

  /** Zeek's TCP_Endpoint::CheckHistory, including the flip of a connection that began with a SYN-ACK. */
  private checkHistory(endpoint: TcpEndpoint, mask: number, code: string): boolean {
    if ((code === 'A' || code === 'D') && this.conn.history === 'H') {
      // Productive traffic after an initial SYN-ACK: its sender was the responder, flip and pretend the SYN was seen.
      this.conn.flipRoles();
      this.conn.history = '^h';
      this.firstPacketSeen |= ORIG_SEEN;
    }
    const isOrig = endpoint.isOrig;
    const bit = isOrig ? mask : mask << 16;
    // Most packets repeat a letter already seen: answer before making the responder's lower-case letter.
    if ((this.conn.histSeen & bit) !== 0) return true;
    return this.conn.checkHistory(bit, isOrig ? code : code.toLowerCase());
  }

  private addHistory(endpoint: TcpEndpoint, code: string): void {
    this.conn.addHistory(endpoint.isOrig ? code : code.toLowerCase());
  }

  private initPeer(peer: TcpEndpoint, endpoint: TcpEndpoint, flags: number, ackSeq: number): void {
    if (!(flags & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (endpoint.state === TcpState.SynSent || endpoint.state === TcpState.SynAckSent ||
          endpoint.state === TcpState.Established) {
        // We sent a SYN that did not rouse the other side, yet we acknowledge its data.
        if (!this.conn.didWeird) this.conn.weird('possible_split_routing');
      }
    }
    const guessed = (ackSeq - 1) >>> 0;
    peer.initStartSeq(guessed);
    peer.ackSeq = guessed;
    peer.lastSeq = guessed;
  }

  private updateLastSeq(endpoint: TcpEndpoint, flags: number, len: number): number {
    const lastSeq = seg.end;
    const deltaLast = seqDelta(lastSeq, endpoint.lastSeq);
    if ((flags & (TCP_SYN | TCP_RST)) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // Outlandish SYN/RST sequence numbers are not trusted.
    } else if ((flags & TCP_FIN) && endpoint.lastSeq === ((endpoint.startSeq + 1) >>> 0)) {
      // Only SYN and FIN seen: trust the FIN even if it looks old (> 2 GB connections).
      endpoint.updateLastSeq(lastSeq);
    } else if (endpoint.state === TcpState.Reset) {
      // After a RST, later sequence numbers are not trusted.
    } else if (deltaLast > 0) {
      endpoint.updateLastSeq(lastSeq);
    } else if (len > 0) {
      scaledHistoryEntry(this.conn, endpoint.isOrig ? 'T' : 't', ++endpoint.retransmitCount);
    }
    return deltaLast;
  }

  private setState(endpoint: TcpEndpoint, state: TcpState): void {
    if (state === endpoint.state) return;
    // Finishing the handshake switches to the long TCP inactivity timeout.
    if (!isHandshake(state) && isHandshake(endpoint.state) && isHandshake(endpoint.peer.state)) {
      this.conn.setInactivityTimeout(this.opts.tcpInactivity);
    }
    endpoint.prevState = endpoint.state;
    endpoint.state = state;
  }

  private updateStateMachine(endpoint: TcpEndpoint, peer: TcpEndpoint, len: number, deltaLast: number, isOrig: boolean, flags: number): void {
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    switch (endpoint.state) {
      case TcpState.Inactive:
        this.updateInactiveState(endpoint, peer, len, isOrig, flags);
        break;
      case TcpState.SynSent:
      case TcpState.SynAckSent:
        if (syn) {
          if (isOrig) {
            if (ack && !fin && !rst && endpoint.state !== TcpState.SynAckSent) this.conn.weird('repeated_SYN_with_ack', '', 'TCP');
          } else if (!ack && endpoint.state !== TcpState.SynSent) {
            this.conn.weird('repeated_SYN_reply_wo_ack', '', 'TCP');
          }
        }
        if (fin) {
          if (peer.state === TcpState.Inactive || peer.state === TcpState.SynSent) this.conn.weird('inappropriate_FIN', '', 'TCP');
          this.setState(endpoint, TcpState.Closed);
          this.doClose = this.closeGenEvent = true;
        }
        if (rst) {
          this.setState(endpoint, TcpState.Reset);
          this.isActive = false;
          this.doClose = true;
        } else if (len > 0) {
          this.conn.weird('data_before_established', '', 'TCP');
        }
        break;
      case TcpState.Established:
      case TcpState.Partial:
        if (syn && endpoint.state === TcpState.Partial && peer.state === TcpState.Inactive && !ack) {
          this.conn.weird('SYN_after_partial', '', 'TCP');
          this.setState(endpoint, TcpState.SynSent);
        }
        if (fin && !rst) {
          this.setState(endpoint, TcpState.Closed);
          // A FIN followed by a RST from the peer was a normal close after all.
          if (peer.state === TcpState.Reset && peer.prevState === TcpState.Closed) this.setState(peer, TcpState.Closed);
          this.doClose = this.closeGenEvent = true;
        }
        if (rst) {
          this.setState(endpoint, TcpState.Reset);
          this.doClose = true;
          if (peer.state !== TcpState.Reset || peer.prevState !== TcpState.Established) this.isActive = false;
        }
        break;
      case TcpState.Closed:
        if (syn) this.conn.weird('SYN_after_close', '', 'TCP');
        if (fin && deltaLast > 0) this.conn.weird('FIN_advanced_last_seq', '', 'TCP');
        if (rst && endpoint.peer.state !== TcpState.Closed) {
          this.setState(endpoint, TcpState.Reset);
          if (!endpoint.didClose) this.doClose = true;
          this.conn.addTcpTimer(this.conn.networkTime + this.opts.resetDelay, TimerKind.TcpReset);
        }
        break;
      case TcpState.Reset:
        if (syn) this.conn.weird('SYN_after_reset', '', 'TCP');
        if (fin) this.conn.weird('FIN_after_reset', '', 'TCP');
        if (len > 0 && !rst) this.conn.weird('data_after_reset', '', 'TCP');
        break;
    }
  }

  private updateInactiveState(endpoint: TcpEndpoint, peer: TcpEndpoint, len: number, isOrig: boolean, flags: number): void {
    const baseSeq = seg.start;
    const ackSeq = seg.ack;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    if (syn) {
      if (isOrig) {
        if (ack) {
          this.conn.weird('connection_originator_SYN_ack', '', 'TCP');
          this.setState(endpoint, TcpState.SynAckSent);
        } else {
          this.setState(endpoint, TcpState.SynSent);
        }
        this.conn.addTcpTimer(this.conn.networkTime + this.opts.attemptDelay, TimerKind.TcpAttempt);
      } else {
        if (ack) {
          if (peer.state !== TcpState.Inactive && peer.state !== TcpState.Partial &&
              !seqBetween(ackSeq, peer.startSeq, peer.lastSeq)) {
            this.conn.weird('bad_SYN_ack', '', 'TCP');
          }
        } else if (peer.state === TcpState.SynAckSent && baseSeq === endpoint.startSeq) {
          // SYN and SYN-ACK arrived in reverse order: flip and establish.
          this.isPartial = false;
          this.conn.flipRoles();
          this.setState(peer, TcpState.Established);
          this.firstPacketSeen |= ORIG_SEEN;
        } else {
          this.conn.weird('simultaneous_open', '', 'TCP');
        }
        if (peer.state === TcpState.SynSent) this.setState(peer, TcpState.Established);
        else if (peer.state === TcpState.Inactive) this.conn.weird('unsolicited_SYN_response', '', 'TCP');
        this.setState(endpoint, TcpState.Established);
      }
    }
    if (fin) {
      this.setState(endpoint, TcpState.Closed);
      this.doClose = this.closeGenEvent = true;
      if (peer.state !== TcpState.Partial && !syn) this.conn.weird('spontaneous_FIN', '', 'TCP');
    }
    if (rst) {
      this.setState(endpoint, TcpState.Reset);
      let isReject = false;
      if (isOrig) {
        // Our peer is established, so we saw its SYN-ACK but no SYN: a reverse scan answered by a RST.
        if (peer.state === TcpState.Established) isReject = true;
      } else if (peer.state === TcpState.SynSent || peer.state === TcpState.SynAckSent) {
        isReject = true;
      }
      this.doClose = true;
      this.closeGenEvent = !isReject;
      if (!isReject && peer.state === TcpState.Inactive) this.conn.weird('spontaneous_RST', '', 'TCP');
    }
    if (endpoint.state === TcpState.Inactive) {
      if (!isOrig && len === 0 && this.orig.state === TcpState.SynSent) {
        // Some stacks ack a SYN before sending their SYN-ACK; that ack does not make a partial connection.
      } else if (ack && peer.state === TcpState.Established) {
        // We missed the initial SYN but saw the SYN-ACK; this ACK establishes the connection.
        this.setState(endpoint, TcpState.Established);
        this.isPartial = false;
        this.firstPacketSeen |= isOrig ? ORIG_SEEN : RESP_SEEN;
      } else {
        this.setState(endpoint, TcpState.Partial);
      }
    }
  }

  private ackReceived(endpoint: TcpEndpoint, relAck: number): void {
    let seq = relAck;
    if (endpoint.finCount > 0 && seq >= endpoint.finSeq) seq = endpoint.finSeq - 1;
    // A reassembler not made yet has trimmed up to 1 (its start): an ACK of no more has nothing to do.
    if (endpoint.reassembler === undefined && seq <= 1) return;
    if (!this.reassemblerOf(endpoint).trimTo(seq, this.isPartial)) return;
    this.checkEof(endpoint);
  }

  private dataSent(endpoint: TcpEndpoint, relDataSeq: number, pkt: DecodedPacket): void {
    const reassembler = this.reassemblerOf(endpoint);
    const acked = endpoint.relativeAck();
    reassembler.dataSent(relDataSeq, pkt.data, pkt.payloadOffset, pkt.payloadLength, acked);
    if (reassembler.skippingDeliveries) return;
    if (endpoint.noDataAcked() && reassembler.undeliveredBytes() > MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS) {
      this.conn.weird('above_hole_data_without_any_acks', '', 'TCP');
      reassembler.giveUp();
    }
  }

  /** A content gap in one direction: Zeek's TCP_Reassembler::Gap (called by the direction's StreamSink). */
  contentGap(endpoint: TcpEndpoint, length: number): void {
    const clean = isClean(endpoint) && isClean(endpoint.peer);
    if (clean) {
      scaledHistoryEntry(this.conn, endpoint.isOrig ? 'G' : 'g', ++endpoint.gapCount);
    }
    if (this.opts.reportGapsForPartial || clean) this.conn.missedBytes += length;
    if (length > 0) this.conn.analyzerSet()?.deliverGap(endpoint.isOrig, length);
  }

  /** Whether this side still has data the reassembler has not delivered (Zeek's DataPending). */
  private dataPending(endpoint: TcpEndpoint): boolean {
    const reassembler = endpoint.reassembler;
    if (reassembler !== undefined && reassembler.skippingDeliveries) return false;
    // One not made yet has delivered up to its start, relative sequence number 1.
    const delivered = endpoint.startSeq + (reassembler === undefined ? 1 : reassembler.deliveredUpTo);
    const last = endpoint.seqWraps * 4294967296 + endpoint.lastSeq;
    if (last < delivered) return false;
    if (delivered !== last - 1 && delivered !== last) return true;
    return endpoint.state !== TcpState.Reset && (endpoint.peer.reassembler?.hasBlocks ?? false);
  }

  private checkEof(endpoint: TcpEndpoint): void {
    if (endpoint.didEof) return;
    if ((endpoint.finCount > 0 || endpoint.state === TcpState.Closed || endpoint.state === TcpState.Reset) &&
        !this.dataPending(endpoint)) {
      endpoint.didEof = true;
      this.conn.analyzerSet()?.endOfStream(endpoint.isOrig);
      if (this.closeDeferred) {
        this.connectionClosed(endpoint, endpoint.peer, this.deferredGenEvent);
        this.closeDeferred = false;
      }
    }
  }

  private connectionClosed(endpoint: TcpEndpoint, peer: TcpEndpoint, genEvent: boolean): void {
    if (this.dataPending(endpoint)) {
      // Data still to deliver: close once it is (or the connection ends).
      this.closeDeferred = true;
      if (!this.deferredGenEvent) this.deferredGenEvent = genEvent;
      return;
    }
    this.closeDeferred = false;
    if (endpoint.didClose) return;
    endpoint.didClose = true;
    const closeComplete = endpoint.state === TcpState.Reset || peer.didClose || peer.state === TcpState.Inactive;
    if (closeComplete) {
      if (endpoint.prevState !== TcpState.Inactive || peer.state !== TcpState.Inactive) {
        if (this.deferredGenEvent) {
          genEvent = true;
          this.deferredGenEvent = false;
        }
        if (genEvent) this.isActive = false;
      }
      this.conn.cancelTcpTimers();
      this.conn.addTcpTimer(this.conn.lastTime + this.opts.closeDelay, TimerKind.TcpDelete);
    } else if (endpoint.prevState !== TcpState.Inactive) {
      this.conn.addTcpTimer(this.conn.lastTime + this.opts.sessionTimer, TimerKind.TcpExpire);
    }
  }

  /** A TCP timer fired at network time `now`; returns true when the connection should be removed. */
  timerFired(kind: TimerKind, now: number): boolean {
    const t = this.opts;
    switch (kind) {
      case TimerKind.TcpExpire: {
        if (!this.isActive) return false;
        if (this.conn.lastTime + t.connectionLinger < now) {
          const o = this.orig;
          const r = this.resp;
          if (o.didClose || r.didClose) {
            if ((o.didClose && r.didClose) || o.state === TcpState.Reset || r.state === TcpState.Reset ||
                o.state === TcpState.Inactive || r.state === TcpState.Inactive) {
              this.isActive = false;
              return true;
            }
          }
          if (r.state === TcpState.Inactive && o.state === TcpState.Inactive) return true;
        }
        this.conn.addTcpTimer(now + t.sessionTimer, TimerKind.TcpExpire);
        return false;
      }
      case TimerKind.TcpAttempt:
        if (!this.isActive) return false;
        if ((this.orig.state === TcpState.SynSent || this.orig.state === TcpState.SynAckSent) &&
            this.resp.state === TcpState.Inactive) {
          this.isActive = false;
          return true;
        }
        return false;
      case TimerKind.TcpReset:
        return this.isActive;
      case TimerKind.TcpDelete:
        return true;
      default:
        return false;
    }
  }
}

/**
 * Where one direction's reassembled stream goes: the connection's analyzers and the session's gap accounting. One
 * small object per direction instead of a sink literal with two closures (about half a kilobyte per connection).
 */
class StreamSink implements ReassemblySink {
  constructor(
    private readonly session: TcpSession,
    private readonly conn: Connection,
    private readonly endpoint: TcpEndpoint,
  ) {}

  deliver(_seq: number, data: Buffer, offset: number, length: number): void {
    const analyzers = this.conn.analyzerSet();
    if (analyzers !== undefined) analyzers.deliverStream(this.endpoint.isOrig, data, offset, length);
  }

  gap(_seq: number, length: number): void {
    this.session.contentGap(this.endpoint, length);
  }
}

function isClean(endpoint: TcpEndpoint): boolean {
  return endpoint.state === TcpState.Established ||
    (endpoint.state === TcpState.Closed && endpoint.prevState === TcpState.Established);
}

/** Whether seq lies in [low, high] in 32-bit sequence space. */
function seqBetween(seq: number, low: number, high: number): boolean {
  return seqDelta(seq, low) >= 0 && seqDelta(seq, high) <= 0;
}

/** The window-scale option's shift count in a SYN, or -1 when absent (options parsed as Zeek does). */
function windowScaleOption(pkt: DecodedPacket): number {
  const data = pkt.data;
  let i = pkt.l4Offset + 20;
  const end = Math.min(pkt.l4Offset + pkt.tcpHeaderLength, data.length);
  while (i < end) {
    const kind = data[i];
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= end) break;
    const length = data[i + 1];
    if (length === 0 || i + length > end) break;
    if (kind === 3 && length >= 3) return data[i + 2];
    i += length;
  }
  return -1;
}
