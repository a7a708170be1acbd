// Link layers down to the IP header, with the rules and weird names of Zeek's packet analyzers: Ethernet (802.1Q/Q-in-Q,
// MPLS, PPPoE session, 802.1ah PBB, VN-Tag, FabricPath, 802.3 LLC/SNAP), FDDI, PPP (DLT_PPP, PPP serial, Cisco HDLC), NFLOG,
// 802.11 data frames (plain, radiotap, Prism, AVS), Linux cooked SLL/SLL2, BSD null/loopback and raw IP. Fills vlan/innerVlan
// and the link-layer addresses like Zeek; returns where the IP header starts, or -1.

import { be16 } from './byte-order';
import type { DecodedPacket, WeirdReporter } from './decoded-packet';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_MPLS_UNICAST = 0x8847;
const ETH_MPLS_MULTICAST = 0x8848;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_PBB = 0x88e7;
const ETH_VNTAG = 0x8926;
const ETH_ARP = 0x0806;
const ETH_RARP = 0x8035;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;
/** NFLOG's address families that carry IP (Zeek's nflog packet protocol script). */
const AF_INET = 2;
const AF_INET6 = 10;
/** 802.11 capture headers Zeek has no analyzer for (nsm's own weird names): Prism's fixed length, AVS's magic. */
const PRISM_HEADER_LENGTH = 144;
const AVS_MAGIC = 0x80211000;
/** The NFLOG TLV type whose value is the packet. */
const NFULA_PAYLOAD = 9;
/**
 * Zeek's PacketAnalyzer::max_depth: an analyzer at this position of the chain (the link layer's first analyzer is 1)
 * may not hand the packet on; max_packet_analyzer_depth_exceeded instead. Also bounds a crafted frame's nesting.
 */
const MAX_ANALYZER_DEPTH = 25;
const DEPTH_EXCEEDED = 'max_packet_analyzer_depth_exceeded';

/** Returns the offset of the IP header after the link layer of `linkType`, or -1 (weird reported if malformed). */
export function findNetworkLayer(linkType: number, frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  const len = end - offset;
  switch (linkType) {
    case 1: // Ethernet
      return ethernet(frame, offset, end, out, weird, 1);
    case 10: // FDDI: as Zeek, a 13-byte FDDI header and an 8-byte LLC/SNAP header skipped to IP; no addresses kept
      if (len <= 21) {
        weird.weird('FDDI_analyzer_failed', out);
        return -1;
      }
      return offset + 21;
    case 9: // DLT_PPP: with HDLC-like framing when it starts ff 03, else the bare PPP protocol field
      if (len <= 2) {
        weird.weird('truncated_ppp_header', out);
        return -1;
      }
      if (frame[offset] === 0xff && frame[offset + 1] === 0x03) {
        if (len <= 4) {
          weird.weird('truncated_ppp_hdlc_header', out);
          return -1;
        }
        return pppProtocol(be16(frame, offset + 2), frame, offset + 4, end, out, weird);
      }
      return pppProtocol(be16(frame, offset), frame, offset + 2, end, out, weird);
    case 50: // DLT_PPP_SERIAL: address, control, protocol
      if (len <= 4) {
        weird.weird('truncated_ppp_serial_header', out);
        return -1;
      }
      return pppProtocol(be16(frame, offset + 2), frame, offset + 4, end, out, weird);
    case 104: // DLT_C_HDLC (Cisco HDLC): address, control, EtherType. Zeek has no analyzer for it; nsm's own weird name.
      if (len <= 4) {
        weird.weird('truncated_c_hdlc_header', out);
        return -1;
      }
      return etherType(be16(frame, offset + 2), frame, offset + 4, end, out, weird, 1, 'C_HDLC');
    case 239: // DLT_NFLOG
      return nflog(frame, offset, end, out, weird);
    case 105: // DLT_IEEE802_11
      return ieee80211(frame, offset, end, out, weird);
    case 119: // DLT_PRISM_HEADER: a fixed 144-byte Prism header (some drivers write an AVS header here instead)
      if (len < 4) {
        weird.weird('truncated_prism_header', out);
        return -1;
      }
      if (((frame.readUInt32BE(offset) & 0xfffff000) >>> 0) === AVS_MAGIC) return avs(frame, offset, end, out, weird);
      if (len <= PRISM_HEADER_LENGTH) {
        weird.weird('truncated_prism_header', out);
        return -1;
      }
      return ieee80211(frame, offset + PRISM_HEADER_LENGTH, end, out, weird);
    case 163: // DLT_IEEE802_11_RADIO_AVS
      return avs(frame, offset, end, out, weird);
    case 127: { // DLT_IEEE802_11_RADIO: radiotap header (little-endian length at 2), then the 802.11 frame
      if (len <= 3) {
        weird.weird('truncated_radiotap_header', out);
        return -1;
      }
      const headerLength = frame.readUInt16LE(offset + 2);
      if (headerLength >= len) {
        weird.weird('truncated_radiotap_header', out);
        return -1;
      }
      return ieee80211(frame, offset + headerLength, end, out, weird);
    }
    case 0: // BSD null: address family in the capturing host's byte order
    case 108: { // OpenBSD loop: address family in network byte order
      if (len <= 4) {
        weird.weird('null_analyzer_failed', out);
        return -1;
      }
      let family = linkType === 0 ? frame.readUInt32LE(offset) : frame.readUInt32BE(offset);
      if (family > 0xffff) family = linkType === 0 ? frame.readUInt32BE(offset) : frame.readUInt32LE(offset);
      // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
      if (family === 2 || family === 24 || family === 28 || family === 30 || family === 10) return offset + 4;
      return -1;
    }
    case 12: case 14: case 101: case 228: case 229: // raw IP: the version nibble tells IPv4 from IPv6
      return offset;
    case 113: { // Linux cooked capture v1: 16 bytes, protocol last
      if (len <= 16) {
        weird.weird('truncated_Linux_SLL_header', out);
        return -1;
      }
      // Its 8-byte address field holds the sender's link-layer address (Zeek takes the first 6 bytes); no destination.
      out.l2Frame = frame;
      out.l2SrcOffset = offset + 6;
      return etherType(be16(frame, offset + 14), frame, offset + 16, end, out, weird, 1, 'LINUXSLL');
    }
    case 276: { // Linux cooked capture v2: 20 bytes, protocol first
      if (len <= 20) {
        weird.weird('truncated_Linux_SLL2_header', out);
        return -1;
      }
      out.l2Frame = frame;
      out.l2SrcOffset = offset + 12;
      return etherType(be16(frame, offset), frame, offset + 20, end, out, weird, 1, 'LINUXSLL2');
    }
    default:
      return -1;
  }
}

/** An Ethernet header at `offset` (also the inner frame of PBB), the analyzer at position `depth` of Zeek's chain. */
function ethernet(frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter, depth: number): number {
  if (end - offset <= 16) {
    weird.weird('truncated_ethernet_frame', out);
    return -1;
  }
  let p = offset;
  // Cisco FabricPath wraps a whole Ethernet frame after a 16-byte header.
  if (frame[p + 12] === 0x89 && frame[p + 13] === 0x03) {
    if (end - p <= 16 + 14) {
      weird.weird('truncated_link_header_cfp', out);
      return -1;
    }
    p += 16;
  }
  // As Zeek: the addresses of the (inner, after FabricPath or PBB) Ethernet header.
  out.l2Frame = frame;
  out.l2DstOffset = p;
  out.l2SrcOffset = p + 6;
  const type = be16(frame, p + 12);
  if (type >= 1536) return etherType(type, frame, p + 14, end, out, weird, depth, 'ETHERNET');
  if (type <= 1500) {
    if (end - (p + 14) < 2) {
      weird.weird('truncated_ethernet_frame', out);
      return -1;
    }
    if (depth >= MAX_ANALYZER_DEPTH) {
      weird.weird(DEPTH_EXCEEDED, out, undefined, 'ETHERNET');
      return -1;
    }
    // As Zeek: the 802.3 length field ends the frame (trailing padding dropped).
    return llcFrame(frame, p + 14, Math.min(end, p + 14 + type), out, weird);
  }
  weird.weird('undefined_ether_type', out);
  return -1;
}

/**
 * An 802.3 frame's payload (after Ethernet or a VLAN tag whose type field is a length): SNAP with OUI 0 carries an
 * EtherType; plain LLC and Novell raw 802.3 carry nothing Zeek decodes.
 */
function llcFrame(frame: Buffer, q: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  const len = end - q;
  if (frame[q] === 0xaa && frame[q + 1] === 0xaa) {
    if (len < 3) {
      weird.weird('truncated_snap_llc_header', out);
      return -1;
    }
    // An LLC control field that is not an unnumbered PDU makes the header 4 bytes long.
    const llcLength = (frame[q + 2] & 0x03) === 0x03 ? 3 : 4;
    if (len < llcLength + 5) {
      weird.weird('truncated_snap_header', out);
      return -1;
    }
    const s = q + llcLength;
    if (frame[s] !== 0 || frame[s + 1] !== 0 || frame[s + 2] !== 0) return -1;
    const type = be16(frame, s + 3);
    if (type === ETH_IPV4 || type === ETH_IPV6) return s + 5;
    if (type === ETH_ARP || type === ETH_RARP) arp(frame, s + 5, end, out, weird);
    return -1;
  }
  if (frame[q] === 0xff && frame[q + 1] === 0xff) return -1; // Novell raw 802.3 (IPX)
  if (len < 3) weird.weird('truncated_llc_header', out);
  return -1;
}

/**
 * Follows one EtherType (and any tags or labels after it) to the IP header. `depth` is the chain position of the
 * analyzer handing on `type` (Zeek's component name `source`): each tag is one more analyzer, as in Zeek.
 */
function etherType(type: number, frame: Buffer, p: number, end: number, out: DecodedPacket, weird: WeirdReporter, depth: number, source: string): number {
  for (;;) {
    if (depth >= MAX_ANALYZER_DEPTH) {
      weird.weird(DEPTH_EXCEEDED, out, undefined, source);
      return -1;
    }
    depth++;
    switch (type) {
      case ETH_IPV4:
      case ETH_IPV6:
        return p;
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD: {
        if (end - p <= 4) {
          weird.weird('truncated_VLAN_header', out);
          return -1;
        }
        const vlan = be16(frame, p) & 0x0fff;
        // As Zeek: fill vlan while it is still 0 (a priority tag leaves it 0), else inner_vlan; later tags overwrite inner_vlan.
        if (out.vlan === 0) out.vlan = vlan;
        else out.innerVlan = vlan;
        type = be16(frame, p + 2);
        p += 4;
        source = 'VLAN';
        if (type < 1536) {
          if (type > 1500) {
            weird.weird('undefined_vlan_protocol', out);
            return -1;
          }
          // An 802.3 length inside the tag: LLC/SNAP follows.
          if (end - p < 2) {
            weird.weird('truncated_VLAN_header', out);
            return -1;
          }
          if (depth >= MAX_ANALYZER_DEPTH) {
            weird.weird(DEPTH_EXCEEDED, out, undefined, 'VLAN');
            return -1;
          }
          return llcFrame(frame, p, Math.min(end, p + type), out, weird);
        }
        break;
      }
      case ETH_PBB: // 802.1ah MAC-in-MAC: a 4-byte I-TAG, then a whole customer Ethernet frame
        if (end - p <= 18) {
          weird.weird('truncated_PBB_header', out);
          return -1;
        }
        if (depth >= MAX_ANALYZER_DEPTH) {
          weird.weird(DEPTH_EXCEEDED, out, undefined, 'PBB');
          return -1;
        }
        return ethernet(frame, p + 4, end, out, weird, depth + 1);
      case ETH_VNTAG: {
        if (end - p <= 6) {
          weird.weird('truncated_vntag_header', out);
          return -1;
        }
        // As Zeek: only a VLAN tag may follow a VN-Tag.
        type = be16(frame, p + 4);
        p += 6;
        if (type !== ETH_VLAN && type !== ETH_QINQ && type !== ETH_QINQ_OLD) return -1;
        source = 'VNTAG';
        break;
      }
      case ETH_ARP:
      case ETH_RARP:
        arp(frame, p, end, out, weird);
        return -1;
      case ETH_MPLS_UNICAST:
      case ETH_MPLS_MULTICAST: {
        const ip = mplsStack(frame, p, end, out, weird);
        if (ip >= 0 && depth >= MAX_ANALYZER_DEPTH) {
          weird.weird(DEPTH_EXCEEDED, out, undefined, 'MPLS');
          return -1;
        }
        return ip;
      }
      case ETH_PPPOE_SESSION: {
        if (end - p <= 8) {
          weird.weird('truncated_pppoe_header', out);
          return -1;
        }
        const ppp = be16(frame, p + 6);
        if (ppp !== PPP_IPV4 && ppp !== PPP_IPV6) return -1;
        if (depth >= MAX_ANALYZER_DEPTH) {
          weird.weird(DEPTH_EXCEEDED, out, undefined, 'PPPOE');
          return -1;
        }
        return p + 8;
      }
      default:
        return -1; // LLDP, ...: not IP, nothing weird about it
    }
  }
}

/** Skips the MPLS label stack; the payload's protocol is not encoded, so the IP decoder guesses from the version nibble (as Zeek does). */
function mplsStack(frame: Buffer, p: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  for (;;) {
    if (end - p <= 4) {
      weird.weird('truncated_link_header', out);
      return -1;
    }
    const bottom = frame[p + 2] & 0x01;
    p += 4;
    if (bottom) return p;
  }
}

/** After a PPP protocol field: IPv4, IPv6 or an MPLS label stack (Zeek's PPP and PPP serial dispatch). */
function pppProtocol(protocol: number, frame: Buffer, p: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  if (protocol === PPP_IPV4 || protocol === PPP_IPV6) return p;
  if (protocol === PPP_MPLS) return mplsStack(frame, p, end, out, weird);
  return -1;
}

/**
 * NFLOG: family, version, resource id, then TLVs up to the payload TLV. TLV length and type are in the byte order of
 * the host that wrote the capture (libpcap leaves them so); nsm reads them little-endian, as every common capture host is.
 */
function nflog(frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  if (end - offset <= 4) {
    weird.weird('truncated_nflog_header', out);
    return -1;
  }
  const family = frame[offset];
  if (frame[offset + 1] !== 0) {
    weird.weird('unknown_nflog_version', out);
    return -1;
  }
  let p = offset + 4;
  for (;;) {
    const len = end - p;
    if (len <= 4) {
      weird.weird('nflog_no_pcap_payload', out);
      return -1;
    }
    const tlvLength = frame.readUInt16LE(p);
    if (frame.readUInt16LE(p + 2) === NFULA_PAYLOAD) {
      p += 4;
      break;
    }
    if (tlvLength < 4) {
      weird.weird('nflog_bad_tlv_len', out);
      return -1;
    }
    // TLVs are padded to 32 bits; the padding may be missing from the length.
    const skip = (tlvLength + 3) & ~3;
    if (skip > len) {
      weird.weird('nflog_bad_tlv_len', out, `(${skip} > ${len})`);
      return -1;
    }
    p += skip;
  }
  return family === AF_INET || family === AF_INET6 ? p : -1;
}

/**
 * An 802.11 frame: data frames only (management, control and null-data frames carry no IP), then LLC/SNAP with OUI 0.
 * Link-layer addresses as Zeek picks them from the To DS / From DS bits. Encrypted QoS data is skipped; of an A-MSDU
 * only the first subframe is decoded.
 */
function ieee80211(frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  const len = end - offset;
  let headerLength = 24;
  if (headerLength >= len) {
    weird.weird('truncated_802_11_header', out);
    return -1;
  }
  const fc = frame[offset];
  if (((fc >> 2) & 0x02) === 0) return -1; // management or control
  if (((fc >> 4) & 0x04) !== 0) return -1; // a subtype without data
  const ds = frame[offset + 1] & 0x03;
  if (ds === 0x03) headerLength += 6;
  if (headerLength >= len) {
    weird.weird('truncated_802_11_header', out);
    return -1;
  }
  let amsdu = false;
  if (((fc >> 4) & 0x08) !== 0) { // QoS data: a 2-byte QoS control field
    amsdu = (frame[offset + headerLength] & 0x80) !== 0;
    if ((frame[offset + 1] & 0x40) !== 0) return -1; // protected: encrypted payload
    headerLength += 2;
  }
  if (headerLength >= len) {
    weird.weird('truncated_802_11_header', out);
    return -1;
  }
  out.l2Frame = frame;
  switch (ds) {
    case 0x00:
      out.l2SrcOffset = offset + 10;
      out.l2DstOffset = offset + 4;
      break;
    case 0x01:
      out.l2SrcOffset = offset + 10;
      out.l2DstOffset = offset + 16;
      break;
    case 0x02:
      out.l2SrcOffset = offset + 16;
      out.l2DstOffset = offset + 4;
      break;
    default:
      out.l2SrcOffset = offset + 24;
      out.l2DstOffset = offset + 16;
      break;
  }
  let p = offset + headerLength;
  let innerEnd = end;
  if (amsdu) {
    if (end - p < 14) {
      weird.weird('truncated_802_11_amsdu_header', out);
      return -1;
    }
    const subframeLength = be16(frame, p + 12);
    if (end - p < subframeLength + 14) {
      weird.weird('truncated_802_11_amsdu_packet', out);
      return -1;
    }
    p += 14;
    innerEnd = p + subframeLength;
  }
  if (innerEnd - p < 8) {
    weird.weird('truncated_802_11_llc_header', out);
    return -1;
  }
  if (frame[p] !== 0xaa || frame[p + 1] !== 0xaa || frame[p + 2] !== 0x03 || frame[p + 3] !== 0 || frame[p + 4] !== 0 || frame[p + 5] !== 0) {
    return -1;
  }
  const type = be16(frame, p + 6);
  if (type === ETH_IPV4 || type === ETH_IPV6) return p + 8;
  if (type === ETH_ARP || type === ETH_RARP) arp(frame, p + 8, innerEnd, out, weird);
  return -1;
}

/** AVS header: magic and version, then its own length (big-endian), then the 802.11 frame. */
function avs(frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  const len = end - offset;
  if (len < 8) {
    weird.weird('truncated_avs_header', out);
    return -1;
  }
  const headerLength = frame.readUInt32BE(offset + 4);
  if (headerLength >= len) {
    weird.weird('truncated_avs_header', out);
    return -1;
  }
  return ieee80211(frame, offset + headerLength, end, out, weird);
}

/** ARP makes no connection (as Zeek); only a header too short for its own address lengths is weird. */
function arp(frame: Buffer, p: number, end: number, out: DecodedPacket, weird: WeirdReporter): void {
  const len = end - p;
  if (len < 8 || 8 + 2 * frame[p + 4] + 2 * frame[p + 5] > len) weird.weird('truncated_ARP', out);
}
