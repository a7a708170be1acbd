// One packet after decoding, as offsets and numbers into the captured bytes: a single instance is reused
// for every packet (no per-packet object trees). Consumers must copy what they keep beyond the callback.

import { DOUBLE_ZERO } from './double-zero';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

/** The l2Frame of a packet whose link layer carries no addresses. */
const NO_FRAME = Buffer.alloc(0);

export class DecodedPacket {
  /** Capture time: whole seconds and microseconds (kept apart so logs print exactly 6 decimals). */
  tsSec = 0;
  tsUsec = 0;
  /** Bytes the IP layer starts in: the frame, or a reassembled datagram after fragment reassembly. */
  data: Buffer = Buffer.alloc(0);
  /** Length of the frame on the wire and as captured. */
  wireLength = 0;
  capLength = 0;

  /** 0 when the packet carries no IP (ARP, ...). */
  ipVersion: 0 | 4 | 6 = 0;
  ipOffset = 0;
  /** IPv4 header with options, or IPv6 fixed header plus extension headers up to the transport header. */
  ipHeaderLength = 0;
  /** IP datagram length as the header states it (IPv4 total length; IPv6 payload length + 40): Zeek's ip_bytes. */
  ipTotalLength = 0;
  /** Offsets of the source and destination address in `data` (4 or 16 bytes). */
  srcAddrOffset = 0;
  dstAddrOffset = 0;
  ttl = 0;
  /** Transport protocol number after IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
  protocol = 0;
  /** True when this datagram was rebuilt from fragments (data is then the reassembled datagram). */
  reassembled = false;

  /** Transport header offset in `data` and how many bytes of the transport segment (header + payload) were captured. */
  l4Offset = 0;
  l4CapturedLength = 0;
  /** Transport length from the IP header (header + payload). */
  l4Length = 0;
  /** TCP/UDP ports; for ICMP Zeek's convention: source port = type, destination port = code. */
  srcPort = 0;
  dstPort = 0;

  tcpFlags = 0;
  tcpSeq = DOUBLE_ZERO;
  tcpAck = DOUBLE_ZERO;
  tcpWindow = 0;
  tcpHeaderLength = 0;
  icmpType = 0;
  icmpCode = 0;

  /** Application payload: offset in `data`, length the headers claim, and how much of it was captured. */
  payloadOffset = 0;
  payloadLength = 0;
  payloadCapturedLength = 0;

  /** Outer and inner 802.1Q tags (0 = none), as Zeek's conn.log vlan / inner_vlan. */
  vlan = 0;
  innerVlan = 0;
  /**
   * Link-layer (MAC) source and destination: 6 bytes each at these offsets in `l2Frame`, -1 when the link layer has
   * none (Zeek's Packet l2_src / l2_dst: Ethernet both, Linux cooked capture the source only). The frame of the packet
   * being processed: after fragment reassembly that is the last fragment's, as in Zeek.
   */
  l2Frame: Buffer = NO_FRAME;
  l2SrcOffset = -1;
  l2DstOffset = -1;


  /** Resets every field before the next packet is decoded into this instance. */
  reset(): void {
    this.ipVersion = 0;
    this.ipOffset = this.ipHeaderLength = this.ipTotalLength = 0;
    this.srcAddrOffset = this.dstAddrOffset = this.ttl = this.protocol = 0;
    this.reassembled = false;
    this.l4Offset = this.l4CapturedLength = this.l4Length = 0;
    this.srcPort = this.dstPort = 0;
    this.tcpFlags = this.tcpSeq = this.tcpAck = this.tcpWindow = this.tcpHeaderLength = 0;
    this.icmpType = this.icmpCode = 0;
    this.payloadOffset = this.payloadLength = this.payloadCapturedLength = 0;
    this.vlan = this.innerVlan = 0;
    this.l2SrcOffset = this.l2DstOffset = -1;
  }

  /** Seconds since the epoch as a double (for timers; logs use tsSec/tsUsec). */
  get time(): number {
    return this.tsSec + this.tsUsec / 1e6;
  }
}

/** What a decoder reports instead of throwing: Zeek's weird names (`truncated_header`, `bad_TCP_checksum`, ...). */
export interface WeirdReporter {
  /**
   * A weird not (yet) tied to a connection; `addl` is Zeek's addl column. The packet gives ts and, if decoded that far,
   * addresses. `source` names the raising analyzer where the name alone does not tell (a depth limit any layer can hit).
   */
  weird(name: string, pkt: DecodedPacket, addl?: string, source?: string): void;
}
