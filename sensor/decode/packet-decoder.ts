// Decodes one captured frame into the reused DecodedPacket: link layer, IP (with fragment reassembly) and
// transport header. Malformed input is reported as Zeek-named weirds, never thrown.

import type { DecodedPacket, WeirdReporter } from './decoded-packet';
import { DEFAULT_FRAGMENT_OPTIONS, FragmentDescriptor, FragmentReassembler } from './fragment-reassembler';
import { decodeIpv4, decodeIpv6, IP_FRAGMENT, IP_READY, type IpResult } from './ip-decoder';
import { findNetworkLayer } from './link-layer';
import { decodeTransport } from './transport-decoder';

export interface PacketDecoderOptions {
  /** Cap on bytes held by incomplete fragmented datagrams (default 64 MiB). */
  fragmentMemoryBytes?: number;
  /** Seconds of packet time an incomplete datagram is kept (default 60; 0 = until the memory cap evicts it, Zeek's default). */
  fragmentTimeoutSec?: number;
  /** Zeek's -C: do not drop IPv4 packets with a bad header checksum, and use the captured length when ip_len is 0 (TSO). */
  ignoreChecksums?: boolean;
}

const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
/** How often (packet-time seconds) stale fragments are swept when no new fragment arrives. */
const EXPIRE_INTERVAL_SEC = 1;

export class PacketDecoder {
  readonly fragments: FragmentReassembler;
  private readonly frag = new FragmentDescriptor();
  private lastExpire = 0;
  /** Times the last-resort catch fired (tests assert it stays 0). */
  internalErrors = 0;
  private readonly ignoreChecksums: boolean;

  constructor(private readonly weird: WeirdReporter, opts: PacketDecoderOptions = {}) {
    this.ignoreChecksums = opts.ignoreChecksums ?? false;
    this.fragments = new FragmentReassembler(weird, {
      ...DEFAULT_FRAGMENT_OPTIONS,
      maxBytes: opts.fragmentMemoryBytes ?? DEFAULT_FRAGMENT_OPTIONS.maxBytes,
      timeoutSec: opts.fragmentTimeoutSec ?? DEFAULT_FRAGMENT_OPTIONS.timeoutSec,
    });
  }

  /**
   * Decodes one frame into `out` (reset first). Returns true when `out` holds an IP packet ready for flow tracking
   * (complete or reassembled datagram); false for non-IP, malformed (weird already reported) or a fragment still waiting.
   * Never throws.
   */
  decode(linkType: number, frame: Buffer, offset: number, capLength: number, wireLength: number, tsSec: number, tsUsec: number, out: DecodedPacket): boolean {
    out.reset();
    out.tsSec = tsSec;
    out.tsUsec = tsUsec;
    out.data = frame;
    out.capLength = capLength;
    out.wireLength = wireLength;
    try {
      if (tsSec - this.lastExpire >= EXPIRE_INTERVAL_SEC) {
        this.lastExpire = tsSec;
        this.fragments.expire(out.time);
      }
      const end = Math.min(offset + capLength, frame.length);
      const p = findNetworkLayer(linkType, frame, offset, end, out, this.weird);
      if (p < 0) return false;
      return this.decodeIp(frame, p, end, wireLength - (p - offset), out);
    } catch (e) {
      // Last resort only: every path above checks lengths before reading.
      this.internalErrors++;
      this.weird.weird('internal_decoder_error', out, (e as Error).message);
      return false;
    }
  }

  private decodeIp(d: Buffer, p: number, end: number, wireAvailable: number, out: DecodedPacket): boolean {
    const weird = this.weird;
    if (end - p < 20) {
      weird.weird('truncated_IP', out);
      return false;
    }
    const version = d[p] >> 4;
    let result: IpResult;
    if (version === 4) result = decodeIpv4(d, p, end, wireAvailable, out, weird, this.frag, false, this.ignoreChecksums);
    else if (version === 6) result = decodeIpv6(d, p, end, wireAvailable, out, weird, this.frag);
    else {
      weird.weird('unknown_ip_version', out);
      return false;
    }
    if (result === IP_FRAGMENT) {
      const datagram = this.fragments.add(out.time, this.frag, out);
      if (datagram === undefined) return false;
      out.data = datagram;
      out.reassembled = true;
      result = version === 4
        ? decodeIpv4(datagram, 0, datagram.length, datagram.length, out, weird, this.frag, true, true)
        : decodeIpv6(datagram, 0, datagram.length, datagram.length, out, weird, this.frag);
      if (result === IP_FRAGMENT) return false; // a second fragment header inside: not reassembled twice
    }
    if (result !== IP_READY) return false;
    const proto = out.protocol;
    if (proto === IPPROTO_IPIP || proto === IPPROTO_IPV6 || proto === IPPROTO_GRE) {
      // IP-in-IP / GRE: Zeek logs the tunnel and analyzes the inner packet; we track the outer flow and say so.
      weird.weird('ip_tunnel_not_decoded', out);
    }
    return decodeTransport(out, weird);
  }
}
