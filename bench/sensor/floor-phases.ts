// The sensor bench's floors: how fast any flow pipeline could be on this capture, measured with nsm's own reader and
// decoder. `decode` is read + decode (no flows); `lookup` adds the least a flow pipeline must do per packet: find the
// packet's flow by a symmetric hash and count it. Neither keeps TCP state or writes a log; they bound the full pipeline
// from above, so its ratio to the bare read can be read against what is possible at all.

import { openCaptureFile } from '../../sensor/capture/open-capture';
import { be32 } from '../../sensor/decode/byte-order';
import { DecodedPacket } from '../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../sensor/decode/packet-decoder';

export interface FloorCount {
  packets: number;
  /** Packets the decoder handed on (IP with a transport header). */
  decoded: number;
  /** Distinct flows counted (lookup floor only). */
  flows: number;
}

/** Packets, bytes: what the lookup floor keeps per flow. */
class FlowCounter {
  packets = 0;
  bytes = 0;
}

/** One address folded to 32 bits (IPv4: the address; IPv6: its four words xor-ed). */
function foldAddress(d: Uint8Array, o: number, version: number): number {
  if (version === 4) return be32(d, o);
  return (be32(d, o) ^ be32(d, o + 4) ^ be32(d, o + 8) ^ be32(d, o + 12)) >>> 0;
}

/** Reads `file` and decodes every packet as the pipeline does (zeek -C); with `lookup`, also finds and counts its flow. */
export async function runFloor(file: string, lookup: boolean): Promise<FloorCount> {
  const decoder = new PacketDecoder({ weird: () => undefined }, { ignoreChecksums: true });
  const pkt = new DecodedPacket();
  const flows = new Map<number, FlowCounter>();
  const count: FloorCount = { packets: 0, decoded: 0, flows: 0 };
  await openCaptureFile(file).run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
    count.packets++;
    if (!decoder.decode(linkType, frame, offset, capLength, wireLength, tsSec, tsUsec, pkt)) return;
    count.decoded++;
    if (!lookup) return;
    // Symmetric in the two endpoints, so both directions of a flow share one entry (hash collisions merge flows:
    // harmless for a floor, which only has to do the work of a lookup).
    const a = Math.imul(foldAddress(pkt.data, pkt.srcAddrOffset, pkt.ipVersion) ^ pkt.srcPort, 0x9e3779b1);
    const b = Math.imul(foldAddress(pkt.data, pkt.dstAddrOffset, pkt.ipVersion) ^ pkt.dstPort, 0x9e3779b1);
    const key = ((a ^ b) + pkt.protocol) | 0;
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = new FlowCounter();
      flows.set(key, flow);
    }
    flow.packets++;
    flow.bytes += pkt.ipTotalLength;
  });
  count.flows = flows.size;
  return count;
}
