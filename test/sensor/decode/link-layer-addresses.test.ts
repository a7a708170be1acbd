// The link-layer addresses the decoder leaves for conn.log's mac-logging columns, per link type, as Zeek's packet
// analyzers set l2_src / l2_dst: Ethernet both (after a FabricPath header, the inner frame's), Linux cooked capture v1
// and v2 the sender only, raw IP none.

import { expect } from 'chai';
import { DecodedPacket, WeirdReporter } from '../../../sensor/decode/decoded-packet';
import { findNetworkLayer } from '../../../sensor/decode/link-layer';
import { formatMac } from '../../../sensor/flows/mac-address';

const weirds: string[] = [];
const reporter: WeirdReporter = { weird: (name) => weirds.push(name) };
const IPV4 = Buffer.from('450000140000000040000000c0a80001c0a80002', 'hex'); // 20-byte IPv4 header

function decode(linkType: number, frame: Buffer): { ip: number; src: string | undefined; dst: string | undefined } {
  const pkt = new DecodedPacket();
  pkt.reset();
  const ip = findNetworkLayer(linkType, frame, 0, frame.length, pkt, reporter);
  return { ip, src: formatMac(pkt.l2Frame, pkt.l2SrcOffset), dst: formatMac(pkt.l2Frame, pkt.l2DstOffset) };
}

describe('link-layer addresses (mac-logging)', () => {
  it('Ethernet: destination then source', () => {
    const frame = Buffer.concat([Buffer.from('0a0b0c0d0e0f' + '001122334455' + '0800', 'hex'), IPV4]);
    expect(decode(1, frame)).to.deep.equal({ ip: 14, src: '00:11:22:33:44:55', dst: '0a:0b:0c:0d:0e:0f' });
  });

  it('Cisco FabricPath: the encapsulated frame\'s addresses', () => {
    const outer = Buffer.from('ffffffffffff' + 'eeeeeeeeeeee' + '8903' + '0000', 'hex'); // 16-byte FabricPath header
    const inner = Buffer.from('0a0b0c0d0e0f' + '001122334455' + '0800', 'hex');
    expect(decode(1, Buffer.concat([outer, inner, IPV4]))).to.deep.equal({ ip: 30, src: '00:11:22:33:44:55', dst: '0a:0b:0c:0d:0e:0f' });
  });

  it('Linux cooked capture v1 and v2: the sender only', () => {
    // SLL: packet type, ARPHRD type, address length, 8-byte address, protocol.
    const sll = Buffer.concat([Buffer.from('0000' + '0001' + '0006' + 'a1b2c3d4e5f60000' + '0800', 'hex'), IPV4]);
    expect(decode(113, sll)).to.deep.equal({ ip: 16, src: 'a1:b2:c3:d4:e5:f6', dst: undefined });
    // SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8-byte address.
    const sll2 = Buffer.concat([Buffer.from('0800' + '0000' + '00000002' + '0001' + '00' + '06' + 'a1b2c3d4e5f60000', 'hex'), IPV4]);
    expect(decode(276, sll2)).to.deep.equal({ ip: 20, src: 'a1:b2:c3:d4:e5:f6', dst: undefined });
  });

  it('raw IP has none; an all-zero address (loopback) counts as none', () => {
    expect(decode(101, IPV4)).to.deep.equal({ ip: 0, src: undefined, dst: undefined });
    const lo = Buffer.concat([Buffer.alloc(12), Buffer.from('0800', 'hex'), IPV4]);
    expect(decode(1, lo)).to.deep.equal({ ip: 14, src: undefined, dst: undefined });
    expect(weirds).to.deep.equal([]);
  });
});
