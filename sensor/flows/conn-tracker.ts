// The flow table: finds or creates the connection for each decoded packet (Zeek's session manager and
// IP-based analyzers: who is the originator, connection reuse), runs per-protocol bookkeeping, fires
// network-time timers (inactivity, TCP close/attempt/expire) and emits a ConnRecord when a connection ends.
import { DOUBLE_ZERO } from '../decode/double-zero';
import { AnalyzerSet } from '../analyzers/analyzer-set';
import type { Analyzer, AnalyzerRegistry } from '../analyzers/registry';
import type { DecodedPacket } from '../decode/decoded-packet';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN } from '../decode/decoded-packet';

/** IP protocols that are not connections of their own in Zeek 8 (see processPacket). */
const IPPROTO_IGMP = 2;
const IPPROTO_IPIP = 4;
const IPPROTO_IPV6_ENCAP = 41;
const IPPROTO_GRE = 47;
import { be16 } from '../decode/byte-order';
import type { LogSchema } from '../logs/log-schema';
import type { ConnRecord, TransportProto, WeirdRecord } from './conn-record';
import { Connection, ConnectionHost, scaledHistoryEntry, TimerKind } from './connection';
import { icmpPorts, IcmpPorts } from './icmp-pairing';
import type { LocalNetworks } from './local-networks';
import { FlowTable } from './flow-table';
import { TcpOptions, TcpSession } from './tcp-session';
import { TimerQueue } from './timer-queue';
import { ReassemblyBudget } from './tcp-reassembler';
import { FifoQueue } from '../collections/fifo-queue';
import { ConnTimeouts, ZEEK_DEFAULT_TIMEOUTS } from './conn-timeouts';

export { ConnTimeouts, ZEEK_DEFAULT_TIMEOUTS };
import { UidSource } from './uid';
import { formatMac } from './mac-address';

export interface ConnTrackerOptions {
  localNets: LocalNetworks;
  analyzers: AnalyzerRegistry;
  onConnection: (rec: ConnRecord) => void;
  onWeird: (rec: WeirdRecord) => void;
  /**
   * Rows analyzers write to their own logs (the pipeline hands them to its LogWriterSet). Without it they are
   * discarded: for callers that only track connections.
   */
  onLog?: <R>(schema: LogSchema<R>, record: R) => void;
  uidSource?: UidSource;
  timeouts?: Partial<ConnTimeouts>;
  /**
   * Transport checksum verdict for a packet (H5's transportChecksumOk): false drops the packet as Zeek does,
   * undefined means it cannot be verified. Omit it to ignore checksums (zeek -C).
   */
  checksum?: (pkt: DecodedPacket) => boolean | undefined;
  /** Per-direction cap on buffered out-of-order TCP bytes (default 10 MiB, Zeek's excessive-data limit). */
  maxReassemblyBytes?: number;
  /**
   * Cap on buffered out-of-order TCP bytes over all connections (default DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES). A stream
   * that would push the total past it skips ahead over its holes, reported as gaps (missed_bytes, history g/G).
   */
  maxTotalReassemblyBytes?: number;
  /** Keep each connection's MAC addresses for conn.log (Zeek's policy/protocols/conn/mac-logging); off by default. */
  recordL2Addresses?: boolean;
  /** Zeek's report_gaps_for_partial: count gaps in connections whose handshake was not seen. */
  reportGapsForPartial?: boolean;
  /**
   * Most connections tracked at once (default DEFAULT_MAX_CONNECTIONS). A new connection beyond it first ends the
   * least recently active one, which is logged as it stands (Zeek has no such limit; a SYN flood would exhaust memory).
   */
  maxConnections?: number;
}

const DEFAULT_MAX_REASSEMBLY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES = 256 * 1024 * 1024;
/** About 1.1 KB of heap each for SYN-only connections (test/sensor/stress): a full table of them is about 110 MB. */
export const DEFAULT_MAX_CONNECTIONS = 100_000;
/**
 * Removed connections stay reachable from dead timers and eviction-queue entries until those are dropped: both are
 * compacted once this many connections, or a quarter of the live ones if more, were removed since the last time.
 * Memory then stays within 1.25 times what the live connections need (plus this floor).
 */
const MIN_REMOVALS_BEFORE_COMPACTION = 1024;

export interface TrackerStats {
  active: number;
  total: number;
  evicted: number;
  timers: number;
  reassemblyBytes: number;
  reassemblyOverflows: number;
  /** Timer and eviction-queue entries visited by compaction and eviction: O(1) amortised per packet (tests check it). */
  housekeepingWork: number;
}

export class ConnTracker implements ConnectionHost {
  /** Connections by symmetric 5-tuple hash (colliding connections share a hash and are told apart by matches()). */
  private readonly table = new FlowTable<Connection>();
  /**
   * Live connections in creation order (end-of-input flush order): a list linked through the connections themselves
   * (Connection.prevLive/nextLive), which costs two fields each where a Set costs a hash-table entry.
   */
  private liveHead: Connection | undefined = undefined;
  private liveTail: Connection | undefined = undefined;
  private liveCount = 0;
  private readonly timers = new TimerQueue<Connection>(isTimerLive);
  /**
   * Live connections roughly in order of last activity, for eviction at the connection limit (second chance: one
   * active since it was queued goes to the back instead). Removed connections leave lazily.
   */
  private readonly recency = new FifoQueue<Connection>();
  /**
   * The queue is kept only while the table is at least half full (and until it drops below a quarter): ordinary
   * traffic never pays for it.
   */
  private evictionQueueActive = false;
  private readonly maxConnections: number;
  private evicted = 0;
  /** Eviction-queue entries visited (see TrackerStats.housekeepingWork). */
  private queueWork = 0;
  private removedSinceCompaction = 0;
  private flushing = false;
  private readonly reassemblyBudget: ReassemblyBudget;
  private readonly timeouts: ConnTimeouts;
  /** Shared by every TcpSession (read-only there): built once, not per connection. */
  private readonly tcpOptions: TcpOptions;
  private readonly uids: UidSource;
  private readonly icmp: IcmpPorts = { srcPort: 0, dstPort: 0, oneWay: false };
  private now = DOUBLE_ZERO;
  private nowSec = 0;
  private nowUsec = 0;
  private total = 0;
  /** The connection of the previous packet (may since have been removed: check `removed`). */
  private lastConn: Connection | undefined;

  constructor(private readonly opts: ConnTrackerOptions) {
    this.timeouts = { ...ZEEK_DEFAULT_TIMEOUTS, ...opts.timeouts };
    const t = this.timeouts;
    this.reassemblyBudget = new ReassemblyBudget(opts.maxTotalReassemblyBytes ?? DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES);
    // One flat literal (no nested object, no spread): its hidden class is the same for every tracker, so a second
    // tracker in the process keeps using the TCP code compiled for the first instead of recompiling it.
    this.tcpOptions = {
      tcpInactivity: t.tcpInactivity,
      udpInactivity: t.udpInactivity,
      icmpInactivity: t.icmpInactivity,
      unknownIpInactivity: t.unknownIpInactivity,
      synTimeout: t.synTimeout,
      sessionTimer: t.sessionTimer,
      connectionLinger: t.connectionLinger,
      attemptDelay: t.attemptDelay,
      closeDelay: t.closeDelay,
      resetDelay: t.resetDelay,
      maxReassemblyBytes: opts.maxReassemblyBytes ?? DEFAULT_MAX_REASSEMBLY_BYTES,
      reportGapsForPartial: opts.reportGapsForPartial ?? false,
      reassemblyBudget: this.reassemblyBudget,
    };
    this.uids = opts.uidSource ?? new UidSource();
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!(this.maxConnections >= 1)) throw new Error(`maxConnections must be at least 1, not ${this.maxConnections}`);
  }

  /** Tracks one decoded IP packet (the instance is reused by the caller; nothing of it is kept). Never throws on bad input. */
  processPacket(pkt: DecodedPacket): void {
    if (pkt.ipVersion === 0) return;
    let proto: TransportProto;
    let srcPort: number;
    let dstPort: number;
    let oneWay = false;
    switch (pkt.protocol) {
      case IPPROTO_TCP:
        if (pkt.tcpHeaderLength < 20) return;
        proto = 'tcp';
        srcPort = pkt.srcPort;
        dstPort = pkt.dstPort;
        break;
      case IPPROTO_UDP:
        if (pkt.l4CapturedLength < 8) return;
        proto = 'udp';
        srcPort = pkt.srcPort;
        dstPort = pkt.dstPort;
        break;
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6:
        if (pkt.l4CapturedLength < 8) return;
        proto = 'icmp';
        icmpPorts(pkt.icmpType, pkt.icmpCode, pkt.protocol === IPPROTO_ICMPV6, this.icmp);
        srcPort = this.icmp.srcPort;
        dstPort = this.icmp.dstPort;
        oneWay = this.icmp.oneWay;
        break;
      case IPPROTO_IGMP: // Zeek's IGMP packet analyzer: events, no connection
      case IPPROTO_IPIP: // tunnels: the inner packet is the connection (tunnel decoding is not built yet)
      case IPPROTO_IPV6_ENCAP:
      case IPPROTO_GRE:
        return;
      default:
        // Zeek 8's UnknownIPTransport analyzer: one connection per address pair and protocol, ports 0 (conn.log proto
        // unknown_transport, state OTH, packets and IP bytes counted).
        proto = 'unknown_transport';
        srcPort = 0;
        dstPort = 0;
        break;
    }
    // Computed here rather than through DecodedPacket's `time` getter, which V8 did not inline on this path.
    const now = pkt.tsSec + pkt.tsUsec / 1e6;
    // advanceTime() inlined: the time stays an unboxed number in fields (a call would box it on every packet).
    if (now > this.now) this.now = now;
    if (this.timers.hasDue(this.now)) this.fireDueTimers();
    this.nowSec = pkt.tsSec;
    this.nowUsec = pkt.tsUsec;

    // Packets of one flow mostly come back to back: try the previous packet's connection before hashing. At most one
    // live connection matches a packet, so this finds the same connection the table would.
    let conn = this.lastConn;
    let key: number;
    if (conn !== undefined && !conn.removed && isPacketOf(conn, pkt, srcPort, dstPort)) {
      key = conn.bucketKey; // the hash is symmetric: either direction of the flow files under the same key
    } else {
      key = flowHash(pkt, srcPort, dstPort);
      conn = this.find(key, pkt, srcPort, dstPort);
    }
    // Only a SYN can start a new connection on a known 5-tuple: test the flag here, sparing the call on other packets.
    if (conn && conn.tcp && (pkt.tcpFlags & TCP_SYN) !== 0 && conn.tcp.isReuse(pkt, now)) {
      this.removeConnection(conn);
      conn = undefined;
    }
    if (!conn) conn = this.createConnection(key, pkt, proto, srcPort, dstPort, oneWay);
    this.lastConn = conn;
    conn.networkTime = now;
    const isOrig = conn.isFromOrig(pkt.data, pkt.srcAddrOffset, srcPort);
    if (proto === 'tcp') this.processTcp(conn, isOrig, pkt);
    else if (proto === 'udp') this.processUdp(conn, isOrig, pkt);
    else if (proto === 'icmp') this.processIcmp(conn, isOrig, pkt);
    else {
      conn.lastTime = conn.networkTime;
      conn.countPacket(isOrig, pkt.ipTotalLength);
    }
  }

  /** Network time advanced (packet clock): fires due timers, expiring idle connections. */
  advanceTime(tsSec: number): void {
    if (tsSec > this.now) this.now = tsSec;
    this.fireDueTimers();
  }

  private fireDueTimers(): void {
    const timers = this.timers;
    while (timers.popDue(this.now)) {
      const conn = timers.firedTarget as Connection;
      const kind = timers.firedKind;
      const due = timers.firedDue;
      const generation = timers.firedGeneration;
      if (conn.removed) continue;
      if (kind === TimerKind.Inactivity) {
        if (generation !== conn.sessionTimerGeneration) continue;
        const idleUntil = conn.lastTime + conn.inactivityTimeout;
        if (idleUntil <= due) this.removeConnection(conn);
        else this.timers.add(idleUntil, conn, TimerKind.Inactivity, generation);
        continue;
      }
      if (generation !== conn.tcpTimerGeneration || !conn.tcp) continue;
      if (conn.tcp.timerFired(kind, due)) this.removeConnection(conn);
    }
  }

  /** End of input: every open connection ends now (in creation order). */
  flushAll(): void {
    this.flushing = true;
    for (let conn = this.liveHead; conn !== undefined; conn = this.liveHead) this.removeConnection(conn);
    this.flushing = false;
    this.timers.clear();
    this.recency.clear();
    this.evictionQueueActive = false;
    this.removedSinceCompaction = 0;
    // lastConn stays (it is marked removed, so never used again): storing undefined into a field that only ever held a
    // Connection would widen its type and throw away the compiled per-packet code that a later tracker could reuse.
  }

  /**
   * Connections open now and in all; connections ended early at the limit; pending timers; out-of-order bytes
   * buffered over all connections and how often that budget made a stream skip ahead.
   */
  stats(): TrackerStats {
    return {
      active: this.liveCount,
      total: this.total,
      evicted: this.evicted,
      timers: this.timers.size,
      reassemblyBytes: this.reassemblyBudget.used,
      reassemblyOverflows: this.reassemblyBudget.overflows,
      housekeepingWork: this.timers.compactionWork + this.queueWork,
    };
  }

  /** At the connection limit: ends the least recently active connection (its row is written as it stands). */
  private evictOne(): void {
    const queue = this.recency;
    for (;;) {
      const conn = queue.shift();
      if (conn === undefined) return;
      this.queueWork++;
      if (conn.removed) continue;
      if (conn.networkTime > conn.queuedTime) {
        // Seen since it was queued: a second chance at the back.
        conn.queuedTime = this.now;
        queue.push(conn);
        continue;
      }
      this.evicted++;
      this.removeConnection(conn);
      return;
    }
  }

  private find(key: number, pkt: DecodedPacket, srcPort: number, dstPort: number): Connection | undefined {
    const table = this.table;
    for (let slot = table.next(key, -1); slot >= 0; slot = table.next(key, slot)) {
      const conn = table.at(slot);
      if (isPacketOf(conn, pkt, srcPort, dstPort)) return conn;
    }
    return undefined;
  }

  private createConnection(key: number, pkt: DecodedPacket, proto: TransportProto, srcPort: number, dstPort: number,
    oneWay: boolean): Connection {
    if (this.liveCount >= this.maxConnections) this.evictOne();
    const version = pkt.ipVersion as 4 | 6;
    const conn = new Connection(this, this.uids.next(), proto, pkt.protocol, version,
      pkt.data, pkt.srcAddrOffset, pkt.data, pkt.dstAddrOffset, srcPort, dstPort,
      oneWay, pkt.tsSec, pkt.tsUsec, pkt.vlan, pkt.innerVlan);
    if (this.opts.recordL2Addresses === true) {
      conn.origL2Addr = formatMac(pkt.l2Frame, pkt.l2SrcOffset);
      conn.respL2Addr = formatMac(pkt.l2Frame, pkt.l2DstOffset);
    }
    conn.bucketKey = key;
    this.table.insert(key, conn);
    this.linkLive(conn);
    this.total++;
    if (this.evictionQueueActive) {
      conn.queuedTime = this.now;
      this.recency.push(conn);
    } else if (this.liveCount >= this.maxConnections >> 1) {
      this.startEvictionQueue();
    }

    if (this.shouldFlip(proto, pkt, srcPort, dstPort) && !isBroadcast(pkt, version)) conn.flipRoles();
    if (proto === 'tcp') {
      conn.tcp = new TcpSession(conn, this.tcpOptions);
    } else {
      const t = this.timeouts;
      conn.setInactivityTimeout(proto === 'udp' ? t.udpInactivity : proto === 'icmp' ? t.icmpInactivity : t.unknownIpInactivity);
    }
    if (proto === 'tcp' || proto === 'udp') {
      // Chosen now (by the responder port after the role guess above), attached when first used (Connection.analyzerSet).
      const registry = this.opts.analyzers;
      const byPort = registry.forConnection(proto, conn.respPort);
      if (byPort.length > 0 || registry.detectorsFor(proto).length > 0) conn.chooseAnalyzers(byPort.length > 0 ? byPort : NO_ANALYZERS);
    }
    return conn;
  }

  /** Zeek's WantConnection role guess for a connection whose first packet is not a plain SYN (TCP) or any UDP. */
  private shouldFlip(proto: TransportProto, pkt: DecodedPacket, srcPort: number, dstPort: number): boolean {
    const registry = this.opts.analyzers;
    if (proto === 'udp') return registry.isLikelyServerPort('udp', srcPort) && !registry.isLikelyServerPort('udp', dstPort);
    if (proto !== 'tcp') return false;
    const flags = pkt.tcpFlags;
    if ((flags & TCP_SYN) && !(flags & TCP_ACK)) return false;
    if (!registry.isLikelyServerPort('tcp', srcPort)) return false;
    // Both plausible servers: flip only for non-SYN-ACKs (stealth scans) towards the higher port.
    if (registry.isLikelyServerPort('tcp', dstPort)) return !(flags & TCP_SYN) && srcPort < dstPort;
    return true;
  }

  private processTcp(conn: Connection, isOrig: boolean, pkt: DecodedPacket): void {
    const tcp = conn.tcp as TcpSession;
    if (this.opts.checksum && this.opts.checksum(pkt) === false) {
      tcp.badChecksum(isOrig);
      return;
    }
    const direction = tcp.process(isOrig, pkt);
    conn.countPacket(direction, pkt.ipTotalLength);
  }

  private processUdp(conn: Connection, isOrig: boolean, pkt: DecodedPacket): void {
    // Zeek counts UDP packets before it checks the checksum.
    conn.countPacket(isOrig, pkt.ipTotalLength);
    if (this.opts.checksum && this.opts.checksum(pkt) === false) {
      conn.weird('bad_UDP_checksum', '', 'UDP');
      scaledHistoryEntry(conn, isOrig ? 'C' : 'c', isOrig ? ++conn.origChecksumCount : ++conn.respChecksumCount);
      return;
    }
    const len = pkt.l4Length;
    const udpLength = be16(pkt.data, pkt.l4Offset + 4);
    if (udpLength !== len) conn.weird('UDP_datagram_length_mismatch', `${udpLength} != ${len}`, 'UDP');
    conn.lastTime = conn.networkTime;
    conn.checkHistory(isOrig ? 1 : 2, isOrig ? 'D' : 'd');
    const payload = udpLength - 8;
    if (isOrig) conn.origSize = conn.origSize < 0 ? payload : conn.origSize + payload;
    else conn.respSize = conn.respSize < 0 ? payload : conn.respSize + payload;
    // The set guards each analyzer call (one try/catch per delivery, not per byte).
    const analyzers = conn.analyzerSet();
    if (analyzers !== undefined) {
      analyzers.deliverPacket(isOrig, pkt.data, pkt.payloadOffset, Math.min(pkt.payloadCapturedLength, pkt.payloadLength));
    }
  }

  private processIcmp(conn: Connection, isOrig: boolean, pkt: DecodedPacket): void {
    if (this.opts.checksum && this.opts.checksum(pkt) === false) {
      conn.weird('bad_ICMP_checksum', '', 'ICMP');
      return;
    }
    conn.lastTime = conn.networkTime;
    const payload = pkt.l4Length - 8;
    if (isOrig) conn.origSize = conn.origSize < 0 ? payload : conn.origSize + payload;
    else conn.respSize = conn.respSize < 0 ? payload : conn.respSize + payload;
    conn.countPacket(isOrig, pkt.ipTotalLength);
  }

  private removeConnection(conn: Connection): void {
    if (conn.removed) return;
    conn.removed = true;
    this.unlinkLive(conn);
    this.table.delete(conn.bucketKey, conn);
    conn.analyzerSet()?.end();
    this.opts.onConnection(conn.toRecord(this.opts.localNets));
    conn.tcp?.releaseBuffers();
    if (++this.removedSinceCompaction > Math.max(MIN_REMOVALS_BEFORE_COMPACTION, this.liveCount >> 2) && !this.flushing) {
      this.dropRemovedConnections();
    }
  }

  /** Drops the dead timers and queue entries that keep removed connections in memory (O(live), amortised O(1)). */
  private dropRemovedConnections(): void {
    this.removedSinceCompaction = 0;
    this.timers.compact();
    if (!this.evictionQueueActive) return;
    this.queueWork += this.recency.length;
    if (this.liveCount < this.maxConnections >> 2) {
      this.recency.clear();
      this.evictionQueueActive = false;
    } else {
      this.recency.retain(isLiveConnection);
    }
  }

  private linkLive(conn: Connection): void {
    const tail = this.liveTail;
    conn.prevLive = tail;
    if (tail === undefined) this.liveHead = conn;
    else tail.nextLive = conn;
    this.liveTail = conn;
    this.liveCount++;
  }

  private unlinkLive(conn: Connection): void {
    const prev = conn.prevLive;
    const next = conn.nextLive;
    if (prev === undefined) this.liveHead = next;
    else prev.nextLive = next;
    if (next === undefined) this.liveTail = prev;
    else next.prevLive = prev;
    // A removed connection may stay reachable a while (timers, the eviction queue): it must not keep others alive.
    conn.prevLive = conn.nextLive = undefined;
    this.liveCount--;
  }

  /** The table reached half its limit: queue every live connection, oldest first (creation order, O(live) once). */
  private startEvictionQueue(): void {
    this.evictionQueueActive = true;
    for (let conn = this.liveHead; conn !== undefined; conn = conn.nextLive) {
      conn.queuedTime = conn.networkTime;
      this.recency.push(conn);
    }
    this.queueWork += this.liveCount;
  }

  // ConnectionHost, for the connections this tracker owns. Methods rather than closures made per tracker: every tracker
  // then calls the same functions, and a second tracker in the process does not invalidate code compiled for the first.

  /** A connection's weird, stamped with the current packet's time. */
  weird(conn: Connection, name: string, addl: string, source: string): void {
    this.opts.onWeird({
      tsSec: this.nowSec,
      tsUsec: this.nowUsec,
      uid: conn.uid,
      origAddr: conn.origAddr,
      origPort: conn.origPort,
      respAddr: conn.respAddr,
      respPort: conn.respPort,
      name,
      addl: addl === '' ? undefined : addl,
      notice: false,
      peer: 'zeek',
      source,
    });
  }

  log<R>(schema: LogSchema<R>, record: R): void {
    this.opts.onLog?.(schema, record);
  }

  addTimer(due: number, conn: Connection, kind: TimerKind, generation: number): void {
    this.timers.add(due, conn, kind, generation);
  }

  remove(conn: Connection): void {
    this.removeConnection(conn);
  }

  createAnalyzers(conn: Connection, byPort: readonly Analyzer[]): AnalyzerSet | undefined {
    const registry = this.opts.analyzers;
    const set = new AnalyzerSet(conn, registry.shared, byPort, registry.detectorsFor(conn.proto === 'udp' ? 'udp' : 'tcp'));
    return set.isEmpty ? undefined : set;
  }
}

/** The port chose no analyzer (content detectors may still attach one): one shared empty list. */
const NO_ANALYZERS: readonly Analyzer[] = [];

function isLiveConnection(conn: Connection): boolean {
  return !conn.removed;
}

/** Whether a timer would still act when it fired (fireDueTimers' checks): dead ones are dropped from the heap. */
function isTimerLive(conn: Connection, kind: number, generation: number): boolean {
  if (conn.removed) return false;
  if (kind === TimerKind.Inactivity) return generation === conn.sessionTimerGeneration;
  return generation === conn.tcpTimerGeneration && conn.tcp !== undefined;
}

/** A symmetric hash of the two (address, port) endpoints and the protocol: both directions land in one bucket. */
function flowHash(pkt: DecodedPacket, srcPort: number, dstPort: number): number {
  const width = pkt.ipVersion === 4 ? 4 : 16;
  const a = endpointHash(pkt.data, pkt.srcAddrOffset, width, srcPort);
  const b = endpointHash(pkt.data, pkt.dstAddrOffset, width, dstPort);
  return (Math.imul(a ^ b, 0x9e3779b1) ^ ((a + b) | 0) ^ pkt.protocol) | 0;
}

/** Whether `pkt` (with its transport "ports") belongs to `conn`. */
function isPacketOf(conn: Connection, pkt: DecodedPacket, srcPort: number, dstPort: number): boolean {
  return conn.ipVersion === pkt.ipVersion && conn.ipProto === pkt.protocol &&
    conn.matches(pkt.data, pkt.srcAddrOffset, pkt.data, pkt.dstAddrOffset, srcPort, dstPort);
}

function endpointHash(data: Buffer, offset: number, width: number, port: number): number {
  let h = 0x811c9dc5 ^ port;
  for (let i = 0; i < width; i++) h = Math.imul(h ^ data[offset + i], 16777619);
  return h | 0;
}

function isBroadcast(pkt: DecodedPacket, version: 4 | 6): boolean {
  if (version !== 4) return false;
  const d = pkt.data;
  const o = pkt.dstAddrOffset;
  return d[o] === 255 && d[o + 1] === 255 && d[o + 2] === 255 && d[o + 3] === 255;
}
