// Test support: writes real Ethernet/IPv4/IPv6 + TCP/UDP/ICMP frames (with correct checksums unless asked
// otherwise), decodes them with H5's PacketDecoder and feeds a ConnTracker, collecting what it reports.
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { transportChecksumOk } from '../../../sensor/decode/checksum';
import { DecodedPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import type { ConnRecord, WeirdRecord } from '../../../sensor/flows/conn-record';
import { ConnTracker, ConnTrackerOptions } from '../../../sensor/flows/conn-tracker';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../sensor/flows/likely-server-ports';
import { LocalNetworks, parseIPv4, parseIPv6 } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';

export const F = { FIN: TCP_FIN, SYN: TCP_SYN, RST: TCP_RST, PSH: TCP_PSH, ACK: TCP_ACK };

export interface PacketSpec {
  t: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto?: 'tcp' | 'udp' | 'icmp';
  flags?: number;
  seq?: number;
  ack?: number;
  win?: number;
  payload?: Buffer | string;
  /** TCP options bytes (length multiple of 4). */
  options?: Buffer;
  icmpType?: number;
  icmpCode?: number;
  badChecksum?: boolean;
}

function checksum(buf: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet frame for the spec. */
export function buildFrame(spec: PacketSpec): Buffer {
  const v6 = spec.src.includes(':');
  const src = (v6 ? parseIPv6(spec.src) : parseIPv4(spec.src)) as Buffer;
  const dst = (v6 ? parseIPv6(spec.dst) : parseIPv4(spec.dst)) as Buffer;
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : spec.payload ?? Buffer.alloc(0);
  const proto = spec.proto ?? 'tcp';
  let l4: Buffer;
  let protoNumber: number;
  if (proto === 'tcp') {
    const options = spec.options ?? Buffer.alloc(0);
    const headerLength = 20 + options.length;
    l4 = Buffer.alloc(headerLength + payload.length);
    l4.writeUInt16BE(spec.sport, 0);
    l4.writeUInt16BE(spec.dport, 2);
    l4.writeUInt32BE((spec.seq ?? 0) >>> 0, 4);
    l4.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
    l4[12] = (headerLength / 4) << 4;
    l4[13] = spec.flags ?? 0;
    l4.writeUInt16BE(spec.win ?? 65535, 14);
    options.copy(l4, 20);
    payload.copy(l4, headerLength);
    protoNumber = 6;
  } else if (proto === 'udp') {
    l4 = Buffer.alloc(8 + payload.length);
    l4.writeUInt16BE(spec.sport, 0);
    l4.writeUInt16BE(spec.dport, 2);
    l4.writeUInt16BE(l4.length, 4);
    payload.copy(l4, 8);
    protoNumber = 17;
  } else {
    l4 = Buffer.alloc(8 + payload.length);
    l4[0] = spec.icmpType ?? 8;
    l4[1] = spec.icmpCode ?? 0;
    payload.copy(l4, 8);
    protoNumber = v6 ? 58 : 1;
  }
  const checksumOffset = proto === 'tcp' ? 16 : proto === 'udp' ? 6 : 2;
  const pseudo = Buffer.alloc(v6 ? 40 : 12);
  src.copy(pseudo, 0);
  dst.copy(pseudo, v6 ? 16 : 4);
  if (v6) { pseudo.writeUInt32BE(l4.length, 32); pseudo[39] = protoNumber; } else { pseudo[9] = protoNumber; pseudo.writeUInt16BE(l4.length, 10); }
  const usesPseudo = proto !== 'icmp' || v6;
  let sum = checksum(Buffer.concat(usesPseudo ? [pseudo, l4] : [l4]));
  if (proto === 'udp' && sum === 0) sum = 0xffff;
  if (spec.badChecksum) sum ^= 0x5a5a;
  l4.writeUInt16BE(sum, checksumOffset);

  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(l4.length, 4);
    ip[6] = protoNumber;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + l4.length, 2);
    ip[8] = 64;
    ip[9] = protoNumber;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
  }
  const eth = Buffer.alloc(14);
  eth.fill(0x02, 0, 12);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip, l4]);
}

export interface TrackResult {
  conns: ConnRecord[];
  weirds: WeirdRecord[];
  tracker: ConnTracker;
}

/** Feeds the packets through decoder and tracker (then flushes unless `flush` is false). */
export function track(specs: PacketSpec[], opts: Partial<ConnTrackerOptions> & { flush?: boolean } = {}): TrackResult {
  const conns: ConnRecord[] = [];
  const weirds: WeirdRecord[] = [];
  const tracker = new ConnTracker({
    localNets: LocalNetworks.zeekDefault(),
    analyzers: new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS }),
    onConnection: (rec) => conns.push(rec),
    onWeird: (rec) => weirds.push(rec),
    uidSource: new UidSource('builder'),
    checksum: transportChecksumOk,
    ...opts,
  });
  const decoder = new PacketDecoder({ weird: () => undefined });
  const pkt = new DecodedPacket();
  for (const spec of specs) {
    const frame = buildFrame(spec);
    const tsSec = Math.floor(spec.t);
    const tsUsec = Math.round((spec.t - tsSec) * 1e6);
    if (!decoder.decode(1, frame, 0, frame.length, frame.length, tsSec, tsUsec, pkt)) throw new Error(`test frame did not decode: ${JSON.stringify(spec)}`);
    tracker.processPacket(pkt);
  }
  if (opts.flush !== false) tracker.flushAll();
  return { conns, weirds, tracker };
}

/** A client/server pair with helpers for the usual packets (client 10.1.1.1:40000, server 10.2.2.2:80). */
export class TcpDialog {
  readonly packets: PacketSpec[] = [];
  t = 1000;
  clientSeq = 1000;
  serverSeq = 5000;

  constructor(readonly clientAddr = '10.1.1.1', readonly serverAddr = '10.2.2.2', readonly cport = 40000, readonly sport = 80) {}

  private push(fromClient: boolean, flags: number, payload = '', extra: Partial<PacketSpec> = {}): this {
    this.t += 0.01;
    const seq = fromClient ? this.clientSeq : this.serverSeq;
    const ack = fromClient ? this.serverSeq : this.clientSeq;
    this.packets.push({
      t: this.t, src: fromClient ? this.clientAddr : this.serverAddr, dst: fromClient ? this.serverAddr : this.clientAddr,
      sport: fromClient ? this.cport : this.sport, dport: fromClient ? this.sport : this.cport,
      flags, seq, ack: flags & F.ACK ? ack : 0, payload, ...extra,
    });
    const advance = payload.length + (flags & F.SYN ? 1 : 0) + (flags & F.FIN ? 1 : 0);
    if (fromClient) this.clientSeq += advance;
    else this.serverSeq += advance;
    return this;
  }

  client(flags: number, payload = '', extra: Partial<PacketSpec> = {}): this { return this.push(true, flags, payload, extra); }
  serverSends(flags: number, payload = '', extra: Partial<PacketSpec> = {}): this { return this.push(false, flags, payload, extra); }
  handshake(): this { return this.client(F.SYN).serverSends(F.SYN | F.ACK).client(F.ACK); }
}
