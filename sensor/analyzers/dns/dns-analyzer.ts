// The DNS analyzer: UDP datagrams and TCP's length-prefixed messages into the parser, and dns.log rows out, matching
// responses to queries by transaction id on the connection the way Zeek's base/protocols/dns/main.zeek does (one
// pending query fast path, per-id queues, replies without a query queued too, everything unmatched logged at the end).

import type { Analyzer, AnalyzerInstance, ConnectionContext } from '../registry';
import { opcodeName, qclassName, qtypeName, rcodeName } from './dns-names';
import { DnsEvents, DnsHeader, DnsParser, DNS_OP_DYNAMIC_UPDATE, DNS_OP_NOTIFY, DNS_OP_QUERY, RrSection } from './dns-parser';
import { DnsInfo, dnsLog } from './dns-log';
import { decodeNetbiosName } from './netbios-name';

/** Zeek's DNS::max_pending_msgs and DNS::max_pending_query_ids. */
const MAX_PENDING_MSGS = 50;
const MAX_PENDING_QUERY_IDS = 50;

type PendingMessages = Map<number, DnsInfo[]>;

/** Zeek's DNS::multicast_subnets (224.0.0.0/4, ff00::/8): mDNS and LLMNR answers come on other connections. */
function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return /^ff[0-9a-f]{2}:/i.test(addr);
  const first = Number(addr.slice(0, addr.indexOf('.')));
  return first >= 224 && first <= 239;
}

function tracked(opcode: number): boolean {
  return opcode === DNS_OP_QUERY || opcode === DNS_OP_DYNAMIC_UPDATE || opcode === DNS_OP_NOTIFY;
}

export class DnsSession implements AnalyzerInstance, DnsEvents {
  private readonly parser: DnsParser;
  /** Zeek's c$dns: the row the current message fills in. */
  private current: DnsInfo | undefined;
  private pendingQuery: DnsInfo | undefined;
  private pendingQueries: PendingMessages | undefined;
  private pendingReplies: PendingMessages | undefined;
  private confirmed = false;
  /** TCP: per direction (0 originator, 1 responder), the message being reassembled (Zeek's Contents_DNS). */
  private readonly tcp: { state: number; size: number; buf: Buffer; filled: number }[] | undefined;

  constructor(private readonly ctx: ConnectionContext) {
    const netbios = ctx.origPort === 137 || ctx.respPort === 137;
    this.parser = new DnsParser(this, netbios, ctx.respPort === 137);
    this.tcp = ctx.proto === 'tcp'
      ? [0, 1].map(() => ({ state: 0, size: 0, buf: Buffer.alloc(0), filled: 0 }))
      : undefined;
  }

  deliverPacket(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    if (this.tcp !== undefined) return; // TCP goes through deliverStream
    this.parser.parseMessage(data, offset, length, isOrig ? 1 : 0);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    const t = (this.tcp as NonNullable<typeof this.tcp>)[isOrig ? 0 : 1];
    let at = offset;
    const end = offset + length;
    // Zeek's Contents_DNS state machine: length high byte, low byte, then the message.
    while (at < end) {
      if (t.state === 0) {
        t.size = data[at++] << 8;
        t.state = 1;
        if (at === end) return;
      }
      if (t.state === 1) {
        t.size += data[at++];
        t.state = 2;
        t.filled = 0;
        if (t.buf.length < t.size) t.buf = Buffer.alloc(t.size);
        if (at === end) return;
      }
      const n = Math.max(0, Math.min(t.size - t.filled, end - at));
      data.copy(t.buf, t.filled, at, at + n);
      t.filled += n;
      at += n;
      if (t.filled < t.size) return;
      t.filled = 0;
      t.state = 0;
      this.parser.parseMessage(t.buf, 0, t.size, isOrig ? 1 : 0);
    }
  }

  /** Zeek flushes both directions' partial messages when a side closes (direction unknown to the parser). */
  endOfStream(): void {
    if (this.tcp === undefined) return;
    for (const t of this.tcp) {
      if (t.filled > 0) {
        t.size = 0;
        this.parser.parseMessage(t.buf, 0, t.filled, 2);
      }
    }
  }

  /** Zeek's finalize_dns: every message still waiting for its partner is logged. */
  end(): void {
    if (this.pendingQuery) this.write(this.pendingQuery);
    if (this.pendingQueries) this.logAll(this.pendingQueries);
    if (this.pendingReplies) this.logAll(this.pendingReplies);
  }

  /** Messages waiting for their partner (bounded by Zeek's max_pending_msgs and max_pending_query_ids). */
  pendingCount(): number {
    let n = this.pendingQuery ? 1 : 0;
    for (const m of [this.pendingQueries, this.pendingReplies]) for (const q of m?.values() ?? []) n += q.length;
    return n;
  }

  // DnsEvents: what main.zeek does with each event.

  weird(name: string, addl?: string): void {
    this.ctx.weird(name, addl);
  }

  limitReached(name: string, limit: number, max?: number): void {
    this.ctx.limitReached(name, limit, max);
  }

  violation(reason: string): void {
    this.ctx.violation(reason);
  }

  confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirmService('dns');
  }

  flip(): void {
    if (!isMulticast(this.ctx.respAddr)) this.ctx.flipRoles();
  }

  message(h: DnsHeader): void {
    if (!tracked(h.opcode)) return;
    this.setSession(h, !h.qr);
  }

  question(h: DnsHeader, kind: 'request' | 'rejected' | 'reply', name: string, qtype: number, qclass: number): void {
    const info = this.current;
    if (info === undefined || !tracked(h.opcode)) return;
    if (kind === 'rejected') {
      info.rejected = true;
      return;
    }
    if (kind !== 'request') return;
    info.RD = h.rd;
    info.TC = h.tc;
    info.qclass = qclass;
    info.qclassName = qclassName(qclass);
    info.qtype = qtype;
    info.qtypeName = qtypeName(qtype);
    info.Z = h.z;
    if (this.ctx.respPort === 137 && this.ctx.proto === 'udp') {
      const decoded = decodeNetbiosName(name);
      if (decoded !== '') name = decoded;
      // The SRV number was NetBIOS's NBSTAT first.
      if (info.qtypeName === 'SRV') info.qtypeName = 'NBSTAT';
    }
    info.query = name;
  }

  record(h: DnsHeader, section: RrSection, query: string, ttl: number, text: string): void {
    const info = this.current;
    if (info === undefined || !tracked(h.opcode) || !h.qr) return;
    if (info.query === undefined) info.query = query;
    info.AA = h.aa;
    info.RA = h.ra;
    if (info.rtt === undefined) {
      const rtt = this.ctx.networkTimeMicros - info.tsMicros;
      // A zero rtt means only the reply was seen.
      if (rtt !== 0) info.rtt = rtt / 1e6;
    }
    if (text === '') return;
    if (h.opcode === DNS_OP_DYNAMIC_UPDATE && section === RrSection.Update && !text.startsWith('del:')) text = `add: ${text}`;
    (info.answers ??= []).push(text);
    (info.TTLs ??= []).push(ttl);
  }

  messageEnd(h: DnsHeader): void {
    const info = this.current;
    if (info === undefined) return;
    if (h.qr) info.sawReply = true;
    else info.sawQuery = true;
    if (info.sawReply && info.sawQuery) {
      this.write(info);
      this.current = undefined;
    }
  }

  private newSession(id: number): DnsInfo {
    const c = this.ctx;
    return {
      tsMicros: c.networkTimeMicros, uid: c.uid, origAddr: c.origAddr, origPort: c.origPort, respAddr: c.respAddr,
      respPort: c.respPort, proto: c.proto, transId: id, AA: false, TC: false, RD: false, RA: false, Z: 0,
      rejected: false, sawQuery: false, sawReply: false,
    };
  }

  /** main.zeek's set_session hook. */
  private setSession(h: DnsHeader, isQuery: boolean): void {
    const id = h.id;
    let info: DnsInfo;
    if (isMulticast(this.ctx.respAddr)) {
      info = this.newSession(id);
      info.sawQuery = info.sawReply = true;
    } else if (isQuery) {
      const replies = this.pendingReplies?.get(id);
      if (replies !== undefined && replies.length > 0) {
        info = pop(this.pendingReplies as PendingMessages, id);
      } else {
        info = this.newSession(id);
        if (this.pendingQuery === undefined) this.pendingQuery = info;
        else this.enqueue((this.pendingQueries ??= new Map()), id, info);
      }
    } else if (this.pendingQuery !== undefined && this.pendingQuery.transId === id) {
      info = this.pendingQuery;
      this.pendingQuery = undefined;
      const queries = this.pendingQueries;
      if (queries !== undefined) {
        if ((queries.get(id)?.length ?? 0) > 0) {
          this.pendingQuery = pop(queries, id);
        } else {
          for (const [tid, q] of queries) {
            if (q.length > 0) {
              this.pendingQuery = pop(queries, tid);
              break;
            }
          }
        }
      }
    } else if ((this.pendingQueries?.get(id)?.length ?? 0) > 0) {
      info = pop(this.pendingQueries as PendingMessages, id);
    } else {
      info = this.newSession(id);
      this.enqueue((this.pendingReplies ??= new Map()), id, info);
    }
    this.current = info;
    if (!isQuery) {
      info.rcode = h.rcode;
      info.rcodeName = rcodeName(h.rcode);
      if (h.rcode !== 0 && h.qdCount === 0) info.rejected = true;
    }
    info.opcode = h.opcode;
    info.opcodeName = opcodeName(h.opcode, h.isNetbios);
  }

  private enqueue(msgs: PendingMessages, id: number, info: DnsInfo): void {
    let q = msgs.get(id);
    if (q === undefined) {
      // Too many ids waiting: Zeek assumes they will never be matched and logs them all.
      if (msgs.size > MAX_PENDING_QUERY_IDS) this.logAll(msgs);
      q = [];
      msgs.set(id, q);
    } else if (q.length > MAX_PENDING_MSGS) {
      for (const m of q) this.write(m);
      q = [];
      msgs.set(id, q);
    }
    q.push(info);
  }

  private logAll(msgs: PendingMessages): void {
    for (const q of msgs.values()) for (const m of q) this.write(m);
    msgs.clear();
  }

  private write(info: DnsInfo): void {
    this.ctx.log(dnsLog, info);
  }
}

function pop(msgs: PendingMessages, id: number): DnsInfo {
  const q = msgs.get(id) as DnsInfo[];
  const info = q.shift() as DnsInfo;
  if (q.length === 0) msgs.delete(id);
  return info;
}

export const dnsAnalyzer: Analyzer = {
  name: 'DNS',
  description: 'DNS over UDP and TCP: dns.log (Zeek attaches DNS by port only; it has no content signature)',
  ports: [
    { proto: 'udp', port: 53 },
    { proto: 'tcp', port: 53 },
    { proto: 'udp', port: 137 },
    { proto: 'udp', port: 5353 },
    { proto: 'udp', port: 5355 },
  ],
  create: (ctx) => new DnsSession(ctx),
};
