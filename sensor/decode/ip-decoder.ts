// IPv4 and IPv6 headers (IPv4 options, IPv6 extension header chain) into the DecodedPacket, with Zeek's IP
// analyzer checks and weird names. Fragments are described for the reassembler instead of decoded further.

import { be16, be32 } from './byte-order';
import { addWords, foldSum } from './internet-checksum';
import type { DecodedPacket, WeirdReporter } from './decoded-packet';
import type { FragmentDescriptor } from './fragment-reassembler';

export const IP_DROP = 0;
/** Header fine and complete: the transport header starts at out.l4Offset. */
export const IP_READY = 1;
/** A fragment: `frag` describes it; reassembly decides what happens. */
export const IP_FRAGMENT = 2;
/** Valid, but nothing to track as a flow (ESP: encrypted; no next header). */
export const IP_NO_FLOW = 3;
export type IpResult = typeof IP_DROP | typeof IP_READY | typeof IP_FRAGMENT | typeof IP_NO_FLOW;

const IPPROTO_HOPOPTS = 0;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_ESP = 50;
const IPPROTO_AH = 51;
const IPPROTO_NONE = 59;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_MOBILITY = 135;
/** More extension headers than this is an attack or garbage, not a real packet. */
const MAX_EXTENSION_HEADERS = 32;

/**
 * Decodes the IPv4 header at `p`. `wireAvailable` is how many bytes the frame had on the wire from `p` on.
 * `whole` marks a reassembled datagram (fragment fields were rewritten: it is not a fragment).
 * `ignoreChecksums` is Zeek's -C: keep packets with a bad header checksum.
 */
export function decodeIpv4(d: Buffer, p: number, end: number, wireAvailable: number, out: DecodedPacket, weird: WeirdReporter, frag: FragmentDescriptor, whole: boolean, ignoreChecksums: boolean): IpResult {
  const captured = end - p;
  const hl = (d[p] & 0x0f) * 4;
  let totalLength = be16(d, p + 2);
  out.ipVersion = 4;
  out.ipOffset = p;
  out.srcAddrOffset = p + 12;
  out.dstAddrOffset = p + 16;
  out.ttl = d[p + 8];
  out.protocol = d[p + 9];
  out.ipHeaderLength = hl;
  out.ipTotalLength = totalLength;
  if (totalLength === 0) {
    // TCP segmentation offload zeroes ip_len; Zeek drops these unless checksums are ignored.
    weird.weird('ip_hdr_len_zero', out);
    if (!ignoreChecksums) return IP_DROP;
    totalLength = Math.min(captured, 0xffff);
    out.ipTotalLength = totalLength;
  }
  if (wireAvailable < totalLength) {
    weird.weird('truncated_IP_len', out);
    return IP_DROP;
  }
  if (hl > totalLength) {
    weird.weird('invalid_IP_header_size', out);
    return IP_DROP;
  }
  if (hl > captured) {
    weird.weird('internally_truncated_header', out);
    return IP_DROP;
  }
  if (hl < 20) {
    weird.weird('IPv4_min_header_size', out);
    return IP_DROP;
  }
  if (!whole && !ignoreChecksums && foldSum(addWords(d, p, hl, 0)) !== 0xffff) {
    weird.weird('bad_IP_checksum', out);
    return IP_DROP;
  }
  setTransportBounds(out, p, end, hl, totalLength);
  const fragField = be16(d, p + 6);
  const more = (fragField & 0x2000) !== 0;
  const fragOffset = (fragField & 0x1fff) * 8;
  if (whole || (!more && fragOffset === 0)) return IP_READY;
  if (captured < totalLength) {
    // Reassembly is doomed; Zeek still analyzes a first fragment (useful in header-only traces).
    weird.weird('incompletely_captured_fragment', out);
    return fragOffset === 0 ? IP_READY : IP_DROP;
  }
  frag.describe(4, d, p, hl, 9, p + hl, totalLength - hl, fragOffset, more, (fragField & 0x4000) !== 0, d[p + 9], be16(d, p + 4));
  return IP_FRAGMENT;
}

/** Decodes the IPv6 header and its extension headers at `p` (see decodeIpv4 for the parameters). */
export function decodeIpv6(d: Buffer, p: number, end: number, wireAvailable: number, out: DecodedPacket, weird: WeirdReporter, frag: FragmentDescriptor): IpResult {
  const captured = end - p;
  if (captured < 40) {
    weird.weird('truncated_IP', out);
    return IP_DROP;
  }
  const totalLength = be16(d, p + 4) + 40;
  out.ipVersion = 6;
  out.ipOffset = p;
  out.srcAddrOffset = p + 8;
  out.dstAddrOffset = p + 24;
  out.ttl = d[p + 7];
  out.ipTotalLength = totalLength;
  if (wireAvailable < totalLength) {
    weird.weird('truncated_IP_len', out);
    return IP_DROP;
  }
  const datagramEnd = p + totalLength;
  const capturedEnd = Math.min(end, datagramEnd);
  let next = d[p + 6];
  let nextFieldOffset = 6;
  let q = p + 40;
  for (let hops = 0; hops < MAX_EXTENSION_HEADERS; hops++) {
    out.protocol = next;
    out.ipHeaderLength = q - p;
    switch (next) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS:
      case IPPROTO_AH: {
        if (!extensionPresent(q, 2, datagramEnd, capturedEnd, out, weird)) return IP_DROP;
        const len = next === IPPROTO_AH ? (d[q + 1] + 2) * 4 : (d[q + 1] + 1) * 8;
        if (!extensionPresent(q, len, datagramEnd, capturedEnd, out, weird)) return IP_DROP;
        next = d[q];
        nextFieldOffset = q - p;
        q += len;
        break;
      }
      case IPPROTO_FRAGMENT: {
        if (!extensionPresent(q, 8, datagramEnd, capturedEnd, out, weird)) return IP_DROP;
        const fragField = be16(d, q + 2);
        const fragOffset = fragField & 0xfff8;
        const more = (fragField & 1) !== 0;
        if (fragOffset === 0 && !more) {
          // Atomic fragment (RFC 6946): a whole datagram that merely carries a fragment header.
          next = d[q];
          nextFieldOffset = q - p;
          q += 8;
          break;
        }
        out.protocol = d[q];
        out.ipHeaderLength = q + 8 - p;
        setTransportBounds(out, p, end, q + 8 - p, totalLength);
        if (end < datagramEnd) {
          weird.weird('incompletely_captured_fragment', out);
          return fragOffset === 0 ? IP_READY : IP_DROP;
        }
        frag.describe(6, d, p, q - p, nextFieldOffset, q + 8, datagramEnd - (q + 8), fragOffset, more, false, d[q], be32(d, q + 4));
        return IP_FRAGMENT;
      }
      case IPPROTO_ESP:
      case IPPROTO_MOBILITY:
        // Encrypted or mobility signalling: Zeek stops the chain here and tracks no connection.
        setTransportBounds(out, p, end, q - p, totalLength);
        return IP_NO_FLOW;
      case IPPROTO_NONE:
        weird.weird('ipv6_no_next', out);
        return IP_DROP;
      default:
        setTransportBounds(out, p, end, q - p, totalLength);
        return IP_READY;
    }
  }
  weird.weird('excessive_IPv6_extension_headers', out);
  return IP_DROP;
}

function extensionPresent(q: number, length: number, datagramEnd: number, capturedEnd: number, out: DecodedPacket, weird: WeirdReporter): boolean {
  if (q + length > datagramEnd) {
    weird.weird('truncated_header', out);
    return false;
  }
  if (q + length > capturedEnd) {
    weird.weird('internally_truncated_header', out);
    return false;
  }
  return true;
}

/** Transport bounds: IP length minus headers; captured part excludes Ethernet padding past the datagram. */
function setTransportBounds(out: DecodedPacket, p: number, end: number, headerLength: number, totalLength: number): void {
  out.l4Offset = p + headerLength;
  out.l4Length = totalLength - headerLength;
  out.l4CapturedLength = Math.max(0, Math.min(end, p + totalLength) - out.l4Offset);
}
