// One tracked connection: identity (addresses, ports, who is the originator), Zeek's history string,
// packet/byte counters, timers and attached analyzers; UDP and ICMP bookkeeping live here, TCP's state
// machine in TcpSession. Builds the ConnRecord when the connection is removed.
import { DOUBLE_ZERO } from '../decode/double-zero';
import { formatAddress } from '../decode/address-format';
import type { AnalyzerSet } from '../analyzers/analyzer-set';
import type { Analyzer } from '../analyzers/registry';
import type { LogSchema } from '../logs/log-schema';
import type { ConnRecord, TransportProto } from './conn-record';
import { tcpConnState, udpConnState } from './conn-state';
import type { LocalNetworks } from './local-networks';
import type { TcpSession } from './tcp-session';

export const enum TimerKind {
  /** Session inactivity (tcp/udp/icmp_inactivity_timeout). */
  Inactivity = 0,
  /** TCP: look for an idle half-closed or dead connection (tcp_SYN_timeout, then tcp_session_timer). */
  TcpExpire = 1,
  /** TCP: a SYN never answered (tcp_attempt_delay). */
  TcpAttempt = 2,
  /** TCP: remove after a full close (tcp_close_delay). */
  TcpDelete = 3,
  /** TCP: remove after a RST following a FIN (tcp_reset_delay). */
  TcpReset = 4,
}

/** What a connection needs from the table that owns it. */
export interface ConnectionHost {
  weird(conn: Connection, name: string, addl: string, source: string): void;
  /** A row an analyzer of this connection writes to its own log. */
  log<R>(schema: LogSchema<R>, record: R): void;
  addTimer(due: number, conn: Connection, kind: TimerKind, generation: number): void;
  remove(conn: Connection): void;
  /** The analyzer set for `conn` with the analyzers its port chose (and the content detectors); undefined when empty. */
  createAnalyzers(conn: Connection, byPort: readonly Analyzer[]): AnalyzerSet | undefined;
}

/**
 * History letters Zeek logs at 1, 10, 100, ... repeats (Zeek's ScaledHistoryEntry, whose threshold starts at 1 and is
 * multiplied by 10 each time it is reached): adds `code` when `count`, the repeat count just reached, is a power of 10.
 */
export function scaledHistoryEntry(conn: Connection, code: string, count: number): void {
  let threshold = 1;
  while (threshold < count) threshold *= 10;
  if (threshold === count) conn.addHistory(code);
}

/** Scratch for an address's bytes while it is formatted or looked up (one at a time: JavaScript is single-threaded). */
const addressScratch = Buffer.alloc(16);

/** The big-endian 32-bit word at data[offset] as a signed 32-bit number (a small integer to V8: no heap number). */
function word(data: Uint8Array, offset: number): number {
  return (data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];
}

export class Connection {
  // The two addresses as 32-bit words (IPv4: the first word only, the others 0): plain small-integer fields, not an
  // array or strings, so a connection carries no separate objects for them. Their text (origAddr, respAddr) is made
  // when a log row asks for it.
  private orig0 = 0;
  private orig1 = 0;
  private orig2 = 0;
  private orig3 = 0;
  private resp0 = 0;
  private resp1 = 0;
  private resp2 = 0;
  private resp3 = 0;
  origPort: number;
  respPort: number;
  history = '';
  /** Which once-only history letters were seen (Zeek's hist_seen; not flipped with the roles, as in Zeek). */
  histSeen = 0;
  // Time fields written on every packet start as doubles (DOUBLE_ZERO; not undefined, as a declared-only field would
  // under ES2022 class fields): V8 then keeps them as in-place doubles instead of allocating a heap number on each write.
  lastTime = DOUBLE_ZERO;
  origPkts = 0;
  origIpBytes = 0;
  respPkts = 0;
  respIpBytes = 0;
  /** A small integer until a stream misses more than 2 GB (a double field would cost a heap number per connection). */
  missedBytes = 0;
  /** conn.log's service column; made on first use (see `services`). */
  private serviceList: string[] | undefined = undefined;
  didWeird = false;
  /** UDP/ICMP payload bytes per side; -1 until the side sent something (inactive). */
  origSize = -1;
  respSize = -1;
  /** UDP bad checksums from the side that was originator / responder when each was seen (scaledHistoryEntry). */
  origChecksumCount = 0;
  respChecksumCount = 0;
  tcp: TcpSession | undefined;
  /**
   * The protocol analyzers on this connection (every call to them goes through analyzerSet()). Made when first needed:
   * until then `pendingAnalyzers` holds the analyzers the responder port chose when the connection was created.
   */
  private analyzers: AnalyzerSet | undefined = undefined;
  private pendingAnalyzers: readonly Analyzer[] | undefined = undefined;
  inactivityTimeout = 0;
  /** Timer generations: bumping one cancels every pending timer of that family (lazy cancel). */
  sessionTimerGeneration = 0;
  tcpTimerGeneration = 0;
  removed = false;
  /** Network time of the packet being processed (for analyzers and weirds). */
  networkTime = DOUBLE_ZERO;
  /** Neighbours in the tracker's list of live connections (creation order). */
  prevLive: Connection | undefined = undefined;
  nextLive: Connection | undefined = undefined;
  /** Flow table bucket this connection is filed under. */
  bucketKey = 0;
  /** Network time it last joined the tracker's eviction queue (it had packets since when networkTime is later). */
  queuedTime = DOUBLE_ZERO;
  /**
   * MAC addresses of the first packet's source and destination (Zeek's orig/resp l2_addr), set only when the tracker
   * records them (the conn.log columns of Zeek's mac-logging policy); undefined when absent or all zero.
   */
  origL2Addr: string | undefined = undefined;
  respL2Addr: string | undefined = undefined;

  constructor(
    readonly host: ConnectionHost,
    readonly uid: string,
    readonly proto: TransportProto,
    readonly ipProto: number,
    readonly ipVersion: 4 | 6,
    srcData: Uint8Array,
    srcOffset: number,
    dstData: Uint8Array,
    dstOffset: number,
    srcPort: number,
    dstPort: number,
    /** ICMP messages without a reply type match only in the direction first seen. */
    readonly oneWay: boolean,
    readonly tsSec: number,
    readonly tsUsec: number,
    readonly vlan: number,
    readonly innerVlan: number,
  ) {
    this.orig0 = word(srcData, srcOffset);
    this.resp0 = word(dstData, dstOffset);
    if (ipVersion === 6) {
      this.orig1 = word(srcData, srcOffset + 4);
      this.orig2 = word(srcData, srcOffset + 8);
      this.orig3 = word(srcData, srcOffset + 12);
      this.resp1 = word(dstData, dstOffset + 4);
      this.resp2 = word(dstData, dstOffset + 8);
      this.resp3 = word(dstData, dstOffset + 12);
    }
    this.origPort = srcPort;
    this.respPort = dstPort;
    this.lastTime = this.startTime;
    this.networkTime = this.startTime;
  }

  /** The originator's address as Zeek prints it (made on each call: for log rows, not for the packet path). */
  get origAddr(): string {
    return formatAddress(this.addressBytes(true), 0, this.ipVersion);
  }

  get respAddr(): string {
    return formatAddress(this.addressBytes(false), 0, this.ipVersion);
  }

  /** One address's bytes, in a scratch buffer valid until the next call. */
  private addressBytes(orig: boolean): Buffer {
    const b = addressScratch;
    b.writeInt32BE(orig ? this.orig0 : this.resp0, 0);
    if (this.ipVersion === 6) {
      b.writeInt32BE(orig ? this.orig1 : this.resp1, 4);
      b.writeInt32BE(orig ? this.orig2 : this.resp2, 8);
      b.writeInt32BE(orig ? this.orig3 : this.resp3, 12);
    }
    return b;
  }

  /** Whether the address at data[offset] is the originator's. */
  private isOrigAddress(data: Uint8Array, offset: number): boolean {
    if (word(data, offset) !== this.orig0) return false;
    return this.ipVersion === 4 ||
      (word(data, offset + 4) === this.orig1 && word(data, offset + 8) === this.orig2 && word(data, offset + 12) === this.orig3);
  }

  private isRespAddress(data: Uint8Array, offset: number): boolean {
    if (word(data, offset) !== this.resp0) return false;
    return this.ipVersion === 4 ||
      (word(data, offset + 4) === this.resp1 && word(data, offset + 8) === this.resp2 && word(data, offset + 12) === this.resp3);
  }

  /** conn.log's service column (analyzers add what they confirm). */
  get services(): string[] {
    if (this.serviceList === undefined) this.serviceList = [];
    return this.serviceList;
  }

  /**
   * Analyzers to attach when the connection first has something for them (its first payload, a gap, the end of a
   * stream, or its own end): chosen now, by the responder port as it is now, so a later role flip does not change them.
   */
  chooseAnalyzers(byPort: readonly Analyzer[]): void {
    this.pendingAnalyzers = byPort;
  }

  /** The connection's analyzer set, attached now if it was only chosen so far; undefined when there are none. */
  analyzerSet(): AnalyzerSet | undefined {
    const pending = this.pendingAnalyzers;
    if (pending !== undefined) {
      this.pendingAnalyzers = undefined;
      this.analyzers = this.host.createAnalyzers(this, pending);
    }
    return this.analyzers;
  }

  get startTime(): number {
    return this.tsSec + this.tsUsec / 1e6;
  }

  /** Whether a packet from (data[offset], port) comes from the originator. */
  isFromOrig(data: Uint8Array, offset: number, port: number): boolean {
    return port === this.origPort && this.isOrigAddress(data, offset);
  }

  /** Whether this connection is the one for a packet src -> dst (either direction unless one-way). */
  matches(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, srcPort: number, dstPort: number): boolean {
    if (srcPort === this.origPort && dstPort === this.respPort && this.isOrigAddress(src, srcOffset) && this.isRespAddress(dst, dstOffset)) {
      return true;
    }
    return !this.oneWay && srcPort === this.respPort && dstPort === this.origPort &&
      this.isRespAddress(src, srcOffset) && this.isOrigAddress(dst, dstOffset);
  }

  addHistory(code: string): void {
    this.history += code;
  }

  /** Adds `code` the first time `mask` is seen; returns true when it was seen before (Zeek's CheckHistory). */
  checkHistory(mask: number, code: string): boolean {
    if ((this.histSeen & mask) === 0) {
      this.histSeen |= mask;
      this.addHistory(code);
      return false;
    }
    return true;
  }

  weird(name: string, addl = '', source = ''): void {
    this.didWeird = true;
    this.host.weird(this, name, addl, source);
  }

  /** Payload bytes `isOrig`'s side sent so far, as conn.log's orig_bytes/resp_bytes count them (TCP: by sequence). */
  payloadBytes(isOrig: boolean): number {
    if (this.tcp) return isOrig ? this.tcp.orig.size() : this.tcp.resp.size();
    return Math.max(isOrig ? this.origSize : this.respSize, 0);
  }

  /** Swaps originator and responder (Zeek's Connection::FlipRoles) and logs `^`. */
  flipRoles(): void {
    [this.orig0, this.resp0] = [this.resp0, this.orig0];
    [this.orig1, this.resp1] = [this.resp1, this.orig1];
    [this.orig2, this.resp2] = [this.resp2, this.orig2];
    [this.orig3, this.resp3] = [this.resp3, this.orig3];
    [this.origPort, this.respPort] = [this.respPort, this.origPort];
    [this.origPkts, this.respPkts] = [this.respPkts, this.origPkts];
    [this.origIpBytes, this.respIpBytes] = [this.respIpBytes, this.origIpBytes];
    [this.origSize, this.respSize] = [this.respSize, this.origSize];
    [this.origL2Addr, this.respL2Addr] = [this.respL2Addr, this.origL2Addr];
    this.tcp?.flipRoles();
    this.addHistory('^');
  }

  setInactivityTimeout(timeout: number): void {
    if (timeout === this.inactivityTimeout) return;
    this.sessionTimerGeneration++;
    this.inactivityTimeout = timeout;
    if (timeout > 0) this.host.addTimer(this.lastTime + timeout, this, TimerKind.Inactivity, this.sessionTimerGeneration);
  }

  addTcpTimer(due: number, kind: TimerKind): void {
    this.host.addTimer(due, this, kind, this.tcpTimerGeneration);
  }

  cancelTcpTimers(): void {
    this.tcpTimerGeneration++;
  }

  /** Counts one packet for conn.log's *_pkts and *_ip_bytes (Zeek's ConnSize analyzer). */
  countPacket(isOrig: boolean, ipTotalLength: number): void {
    if (isOrig) {
      this.origPkts++;
      this.origIpBytes += ipTotalLength;
    } else {
      this.respPkts++;
      this.respIpBytes += ipTotalLength;
    }
  }

  /** The conn.log record for this connection as it stands now (local_orig/local_resp from `localNets`). */
  toRecord(localNets: LocalNetworks): ConnRecord {
    const duration = this.lastTime - this.startTime;
    let origBytes: number;
    let respBytes: number;
    let connState: string;
    if (this.tcp) {
      origBytes = this.tcp.orig.size();
      respBytes = this.tcp.resp.size();
      connState = tcpConnState(this.tcp.orig.state, this.tcp.resp.state, origBytes, respBytes, this.history);
    } else {
      origBytes = Math.max(this.origSize, 0);
      respBytes = Math.max(this.respSize, 0);
      connState = this.proto === 'udp' ? udpConnState(this.origSize >= 0, this.respSize >= 0) : 'OTH';
    }
    // Zeek logs duration and the byte counts only for connections that lasted longer than zero.
    const lasted = duration > 0;
    return {
      tsSec: this.tsSec,
      tsUsec: this.tsUsec,
      uid: this.uid,
      origAddr: this.origAddr,
      origPort: this.origPort,
      respAddr: this.respAddr,
      respPort: this.respPort,
      proto: this.proto,
      services: this.serviceList === undefined ? [] : this.serviceList.slice(),
      duration: lasted ? Math.round(duration * 1e6) / 1e6 : undefined,
      origBytes: lasted ? origBytes : undefined,
      respBytes: lasted ? respBytes : undefined,
      connState,
      localOrig: localNets.configured ? localNets.isLocal(this.addressBytes(true), 0, this.ipVersion) : undefined,
      localResp: localNets.configured ? localNets.isLocal(this.addressBytes(false), 0, this.ipVersion) : undefined,
      missedBytes: this.missedBytes + 0, // + 0 turns the field's starting -0 (DOUBLE_ZERO) into 0 for consumers
      history: this.history,
      origPkts: this.origPkts,
      origIpBytes: this.origIpBytes,
      respPkts: this.respPkts,
      respIpBytes: this.respIpBytes,
      tunnelParents: [],
      vlan: this.vlan === 0 ? undefined : this.vlan,
      innerVlan: this.innerVlan === 0 ? undefined : this.innerVlan,
      ipProto: this.ipProto,
      origL2Addr: this.origL2Addr,
      respL2Addr: this.respL2Addr,
    };
  }

}
