// Turns the decoder's weirds (name + packet) into weird.log records the way Zeek's packet analysis reports them:
// which are net weirds (no id) and which flow weirds (address pair, ports 0), and which analyzer is the `source`.

import { formatAddress } from '../decode/checksum';
import { DecodedPacket, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, WeirdReporter } from '../decode/decoded-packet';
import type { WeirdRecord } from '../flows/conn-record';

/**
 * The packet analyzer that raises each name, by its canonical (upper-case) Zeek component name. Fragment
 * reassembly weirds have no source in Zeek (Frag.cc reports them without one), nor do names Zeek does not have.
 */
const PACKET_WEIRD_SOURCES: ReadonlyMap<string, string> = new Map([
  ['truncated_ethernet_frame', 'ETHERNET'],
  ['truncated_link_header_cfp', 'ETHERNET'],
  ['undefined_ether_type', 'ETHERNET'],
  ['truncated_VLAN_header', 'VLAN'],
  ['undefined_vlan_protocol', 'VLAN'],
  ['truncated_snap_llc_header', 'SNAP'],
  ['truncated_snap_header', 'SNAP'],
  ['truncated_llc_header', 'LLC'],
  ['truncated_PBB_header', 'PBB'],
  ['truncated_vntag_header', 'VNTAG'],
  ['truncated_ARP', 'ARP'],
  ['FDDI_analyzer_failed', 'FDDI'],
  ['truncated_ppp_header', 'PPP'],
  ['truncated_ppp_hdlc_header', 'PPP'],
  ['truncated_ppp_serial_header', 'PPPSERIAL'],
  ['truncated_nflog_header', 'NFLOG'],
  ['unknown_nflog_version', 'NFLOG'],
  ['nflog_no_pcap_payload', 'NFLOG'],
  ['nflog_bad_tlv_len', 'NFLOG'],
  ['truncated_802_11_header', 'IEEE802_11'],
  ['truncated_802_11_amsdu_header', 'IEEE802_11'],
  ['truncated_802_11_amsdu_packet', 'IEEE802_11'],
  ['truncated_802_11_llc_header', 'IEEE802_11'],
  ['truncated_radiotap_header', 'IEEE802_11_RADIO'],
  ['truncated_link_header', 'MPLS'],
  // max_packet_analyzer_depth_exceeded: the decoder names the analyzer that hit the limit.
  ['truncated_pppoe_header', 'PPPOE'],
  ['null_analyzer_failed', 'NULL'],
  ['truncated_Linux_SLL_header', 'LINUXSLL'],
  ['truncated_Linux_SLL2_header', 'LINUXSLL2'],
  ['truncated_IP', 'IP'],
  ['unknown_ip_version', 'IP'],
  ['ip_hdr_len_zero', 'IP'],
  ['truncated_IP_len', 'IP'],
  ['invalid_IP_header_size', 'IP'],
  ['IPv4_min_header_size', 'IP'],
  ['IPv6_min_header_size', 'IP'],
  ['bad_IP_checksum', 'IP'],
  ['incompletely_captured_fragment', 'IP'],
  ['ipv6_no_next', 'IP'],
  ['bad_TCP_header_len', 'TCP'],
]);

/**
 * IP.cc checks these before it accepts the IP header (packet->ip_hdr is still unset), so Zeek raises them as net
 * weirds even though the addresses are readable. The decoder sets l4Offset only once the header is accepted.
 */
const RAISED_BEFORE_IP_HEADER_ACCEPTED: ReadonlySet<string> = new Set([
  'truncated_IP',
  'unknown_ip_version',
  'ip_hdr_len_zero',
  'truncated_IP_len',
  'invalid_IP_header_size',
  'internally_truncated_header',
  'truncated_header',
  'IPv4_min_header_size',
  'IPv6_min_header_size',
]);

/** The decoder's WeirdReporter: each weird becomes a record for `onWeird` (normally WeirdPolicy.report). */
export function packetWeirdReporter(onWeird: (rec: WeirdRecord) => void, peer: string): WeirdReporter {
  return {
    weird(name: string, pkt: DecodedPacket, addl?: string, source?: string): void {
      onWeird(packetWeirdRecord(name, pkt, addl, peer, source));
    },
  };
}

export function packetWeirdRecord(name: string, pkt: DecodedPacket, addl: string | undefined, peer: string, source?: string): WeirdRecord {
  const transportStage = pkt.l4Offset > 0;
  const rec: WeirdRecord = {
    tsSec: pkt.tsSec,
    tsUsec: pkt.tsUsec,
    name,
    addl: addl === '' ? undefined : addl,
    notice: false,
    peer,
    source: source ?? weirdSource(name, pkt, transportStage),
  };
  const v = pkt.ipVersion;
  const len = v === 4 ? 4 : 16;
  const headerAccepted = transportStage || !RAISED_BEFORE_IP_HEADER_ACCEPTED.has(name);
  if (
    v !== 0 &&
    headerAccepted &&
    pkt.srcAddrOffset > 0 &&
    pkt.dstAddrOffset > 0 &&
    pkt.srcAddrOffset + len <= pkt.data.length &&
    pkt.dstAddrOffset + len <= pkt.data.length
  ) {
    rec.origAddr = formatAddress(pkt.data, pkt.srcAddrOffset, v);
    rec.respAddr = formatAddress(pkt.data, pkt.dstAddrOffset, v);
    rec.origPort = 0;
    rec.respPort = 0;
  }
  return rec;
}

/** truncated_header / internally_truncated_header come from IP before the transport header, else from TCP/UDP/ICMP. */
function weirdSource(name: string, pkt: DecodedPacket, transportStage: boolean): string {
  if (name === 'truncated_header' || name === 'internally_truncated_header') {
    if (!transportStage) return 'IP';
    switch (pkt.protocol) {
      case IPPROTO_TCP:
        return 'TCP';
      case IPPROTO_UDP:
        return 'UDP';
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6:
        return 'ICMP';
      default:
        return '';
    }
  }
  return PACKET_WEIRD_SOURCES.get(name) ?? '';
}
