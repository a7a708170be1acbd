// Transport checksums (TCP, UDP, ICMP, ICMPv6 with the IPv4/IPv6 pseudo-header) for the flow tracker, which
// decides when a bad one matters (Zeek: bad_TCP_checksum on the connection, packet ignored).

import { addWords, foldSum } from './internet-checksum';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, type DecodedPacket } from './decoded-packet';

export { formatAddress } from './address-format';

/**
 * True when the transport checksum is right, false when wrong, undefined when it cannot be checked:
 * the segment was not captured whole, IPv4 UDP without a checksum (0), or a protocol without one.
 */
export function transportChecksumOk(pkt: DecodedPacket): boolean | undefined {
  if (pkt.ipVersion === 0 || pkt.l4CapturedLength < pkt.l4Length) return undefined;
  const data = pkt.data;
  const proto = pkt.protocol;
  let sum: number;
  if (proto === IPPROTO_ICMP) {
    if (pkt.ipVersion !== 4) return undefined;
    sum = 0; // ICMPv4 has no pseudo-header
  } else if (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_ICMPV6) {
    if (proto === IPPROTO_UDP && pkt.ipVersion === 4 && pkt.l4Length >= 8 && data.readUInt16BE(pkt.l4Offset + 6) === 0) return undefined;
    const addrLen = pkt.ipVersion === 4 ? 4 : 16;
    sum = addWords(data, pkt.srcAddrOffset, addrLen, 0);
    sum = addWords(data, pkt.dstAddrOffset, addrLen, sum);
    // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zeros, next header: same sum either way.
    sum += proto + (pkt.l4Length & 0xffff) + Math.floor(pkt.l4Length / 65536);
  } else {
    return undefined;
  }
  sum = addWords(data, pkt.l4Offset, pkt.l4Length, sum);
  return foldSum(sum) === 0xffff;
}
