// Link layers down to the IP header: Ethernet (802.1Q/Q-in-Q, MPLS, PPPoE session), Linux cooked SLL/SLL2,
// BSD null/loopback and raw IP. Fills vlan/innerVlan like Zeek; returns where the IP header starts, or -1.

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
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
/** Nested tags beyond this are garbage, not a real frame: stops a crafted frame from looping long. */
const MAX_LINK_HEADERS = 16;

/** Returns the offset of the IP header after the link layer of `linkType`, or -1 (weird reported if malformed). */
export function findNetworkLayer(linkType: number, frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  const len = end - offset;
  switch (linkType) {
    case 1: // Ethernet
      return ethernet(frame, offset, end, out, weird);
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
      return etherType(be16(frame, offset + 14), frame, offset + 16, end, out, weird);
    }
    case 276: { // Linux cooked capture v2: 20 bytes, protocol first
      if (len <= 20) {
        weird.weird('truncated_Linux_SLL2_header', out);
        return -1;
      }
      out.l2Frame = frame;
      out.l2SrcOffset = offset + 12;
      return etherType(be16(frame, offset), frame, offset + 20, end, out, weird);
    }
    default:
      return -1;
  }
}

function ethernet(frame: Buffer, offset: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
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
  // As Zeek: the addresses of the (inner, after FabricPath) Ethernet header.
  out.l2Frame = frame;
  out.l2DstOffset = p;
  out.l2SrcOffset = p + 6;
  const type = be16(frame, p + 12);
  if (type >= 1536) return etherType(type, frame, p + 14, end, out, weird);
  if (type <= 1500) {
    // 802.3 with LLC/SNAP: only SNAP can carry IP; the rest (STP, IPX, ...) is not for us.
    const q = p + 14;
    if (end - q < type) {
      weird.weird('truncated_ethernet_frame', out);
      return -1;
    }
    if (end - q >= 8 && frame[q] === 0xaa && frame[q + 1] === 0xaa && frame[q + 2] === 0x03) {
      return etherType(be16(frame, q + 6), frame, q + 8, end, out, weird);
    }
    return -1;
  }
  weird.weird('undefined_ether_type', out);
  return -1;
}

/** Follows one EtherType (and any tags or labels after it) to the IP header. */
function etherType(type: number, frame: Buffer, p: number, end: number, out: DecodedPacket, weird: WeirdReporter): number {
  for (let hops = 0; hops < MAX_LINK_HEADERS; hops++) {
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
        if (type < 1536) return -1; // 802.3 length inside a VLAN tag: LLC, not IP
        break;
      }
      case ETH_MPLS_UNICAST:
      case ETH_MPLS_MULTICAST:
        return mplsStack(frame, p, end, out, weird);
      case ETH_PPPOE_SESSION: {
        if (end - p <= 8) {
          weird.weird('truncated_pppoe_header', out);
          return -1;
        }
        const ppp = be16(frame, p + 6);
        if (ppp === PPP_IPV4 || ppp === PPP_IPV6) return p + 8;
        return -1;
      }
      default:
        return -1; // ARP, LLDP, ...: not IP, nothing weird about it
    }
  }
  weird.weird('truncated_link_header', out);
  return -1;
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
