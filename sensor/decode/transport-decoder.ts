// TCP, UDP, ICMP and ICMPv6 headers into the DecodedPacket (ports, flags, sequence numbers, payload bounds),
// with Zeek's checks and weird names for headers cut short by the IP length or by the capture.

import { be16, be32 } from './byte-order';
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP,
  type DecodedPacket, type WeirdReporter,
} from './decoded-packet';

/** Fills the transport fields from out.l4Offset / l4Length / l4CapturedLength; false (weird reported) when malformed. */
export function decodeTransport(out: DecodedPacket, weird: WeirdReporter): boolean {
  const d = out.data;
  const o = out.l4Offset;
  switch (out.protocol) {
    case IPPROTO_TCP: {
      if (!headerPresent(out, 20, weird)) return false;
      const thl = (d[o + 12] >> 4) * 4;
      if (thl < 20) {
        weird.weird('bad_TCP_header_len', out);
        return false;
      }
      if (thl > out.l4Length || thl > out.l4CapturedLength) {
        // Options run past the segment or the capture.
        weird.weird('truncated_header', out);
        return false;
      }
      out.srcPort = be16(d, o);
      out.dstPort = be16(d, o + 2);
      out.tcpSeq = be32(d, o + 4);
      out.tcpAck = be32(d, o + 8);
      out.tcpFlags = d[o + 13];
      out.tcpWindow = be16(d, o + 14);
      out.tcpHeaderLength = thl;
      setPayload(out, thl);
      return true;
    }
    case IPPROTO_UDP: {
      if (!headerPresent(out, 8, weird)) return false;
      out.srcPort = be16(d, o);
      out.dstPort = be16(d, o + 2);
      // A UDP length that disagrees with the IP layer's is Zeek's conn weird UDP_datagram_length_mismatch: the
      // connection tracker reports it with the connection; decoding keeps using the IP layer's length, as Zeek does.
      setPayload(out, 8);
      return true;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if (!headerPresent(out, 8, weird)) return false;
      out.icmpType = d[o];
      out.icmpCode = d[o + 1];
      // conn.log convention: orig_p = type, resp_p = code.
      out.srcPort = out.icmpType;
      out.dstPort = out.icmpCode;
      setPayload(out, 8);
      return true;
    }
    default:
      // Other transports still make flows (conn.log proto unknown_transport); nothing more to decode.
      out.payloadOffset = o;
      out.payloadLength = out.l4Length;
      out.payloadCapturedLength = out.l4CapturedLength;
      return true;
  }
}

/** Zeek's CheckHeaderTrunc: short by the IP length is truncated_header, short in the capture internally_truncated_header. */
function headerPresent(out: DecodedPacket, minLength: number, weird: WeirdReporter): boolean {
  if (out.l4Length < minLength) {
    weird.weird('truncated_header', out);
    return false;
  }
  if (out.l4CapturedLength < minLength) {
    weird.weird('internally_truncated_header', out);
    return false;
  }
  return true;
}

function setPayload(out: DecodedPacket, headerLength: number): void {
  out.payloadOffset = out.l4Offset + headerLength;
  out.payloadLength = out.l4Length - headerLength;
  out.payloadCapturedLength = Math.max(0, out.l4CapturedLength - headerLength);
}
