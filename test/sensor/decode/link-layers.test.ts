// The link layers decoded after Zeek's packet analyzers, on crafted frames: where the IP header is found, which
// link-layer addresses are kept, and the weird (Zeek's name and addl) a truncated or malformed header raises instead
// of a throw. PPP (bare, HDLC-framed, MPLS), PPP serial, Cisco HDLC, NFLOG TLVs, 802.11 (plain and radiotap),
// 802.1ah PBB, VN-Tag, 802.3 LLC/SNAP and ARP.

import { expect } from 'chai';
import { DecodedPacket, WeirdReporter } from '../../../sensor/decode/decoded-packet';
import { findNetworkLayer } from '../../../sensor/decode/link-layer';
import { formatMac } from '../../../sensor/flows/mac-address';

const IPV4 = '450000140000000040000000c0a80001c0a80002'; // 20-byte IPv4 header
const MAC_A = '0a0b0c0d0e0f';
const MAC_B = '001122334455';
const MAC_C = 'a1a2a3a4a5a6';
const MAC_D = 'd1d2d3d4d5d6';

interface Decoded {
  ip: number;
  weirds: string[];
  src?: string;
  dst?: string;
  vlan?: number;
}

function decode(linkType: number, hex: string): Decoded {
  const frame = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const weirds: string[] = [];
  const reporter: WeirdReporter = { weird: (name, _pkt, addl) => weirds.push(addl === undefined ? name : `${name} ${addl}`) };
  const pkt = new DecodedPacket();
  pkt.reset();
  const ip = findNetworkLayer(linkType, frame, 0, frame.length, pkt, reporter);
  const out: Decoded = { ip, weirds };
  const src = formatMac(pkt.l2Frame, pkt.l2SrcOffset);
  const dst = formatMac(pkt.l2Frame, pkt.l2DstOffset);
  if (src !== undefined) out.src = src;
  if (dst !== undefined) out.dst = dst;
  if (pkt.vlan !== 0) out.vlan = pkt.vlan;
  return out;
}

const mac = (hex: string): string => (hex.match(/../g) ?? []).join(':');

describe('link layers (Zeek packet analyzers)', () => {
  describe('PPP (DLT_PPP 9), PPP serial (50), Cisco HDLC (104)', () => {
    it('finds IP after a bare PPP protocol field, after HDLC-like framing, and after an MPLS label', () => {
      expect(decode(9, '0021' + IPV4)).to.deep.equal({ ip: 2, weirds: [] });
      expect(decode(9, 'ff03 0057' + IPV4)).to.deep.equal({ ip: 4, weirds: [] });
      expect(decode(9, 'ff03 0281 00001140' + IPV4)).to.deep.equal({ ip: 8, weirds: [] });
      expect(decode(50, '0f00 0021' + IPV4)).to.deep.equal({ ip: 4, weirds: [] });
      expect(decode(104, '0f00 0800' + IPV4)).to.deep.equal({ ip: 4, weirds: [] });
    });

    it('skips other PPP protocols (LCP) without a weird, and names a truncated header as Zeek does', () => {
      expect(decode(9, 'c021 0101000a')).to.deep.equal({ ip: -1, weirds: [] });
      expect(decode(9, '00')).to.deep.equal({ ip: -1, weirds: ['truncated_ppp_header'] });
      expect(decode(9, 'ff0300')).to.deep.equal({ ip: -1, weirds: ['truncated_ppp_hdlc_header'] });
      expect(decode(50, 'ff030021')).to.deep.equal({ ip: -1, weirds: ['truncated_ppp_serial_header'] });
      expect(decode(104, '0f00')).to.deep.equal({ ip: -1, weirds: ['truncated_c_hdlc_header'] });
    });
  });

  describe('FDDI (10)', () => {
    it('skips the FDDI and LLC/SNAP headers to IP as Zeek does, keeping no addresses; a short frame is weird', () => {
      const fddi = '50' + MAC_B + MAC_A + 'aaaa03000000 0800';
      expect(decode(10, fddi + IPV4)).to.deep.equal({ ip: 21, weirds: [] });
      expect(decode(10, fddi)).to.deep.equal({ ip: -1, weirds: ['FDDI_analyzer_failed'] });
    });
  });

  describe('NFLOG (239)', () => {
    const header = '02 00 0000'; // AF_INET, version 0, resource id
    it('skips TLVs (padded to 32 bits) to the payload TLV; IPv6 family too; other families carry no IP', () => {
      // TLV length 5 (type 1) is padded to 8; TLV length 8 (type 10); then the payload TLV (type 9).
      const tlvs = '0500 0100 0800aa00' + '0800 0a00 00000000' + '1800 0900';
      expect(decode(239, header + tlvs + IPV4)).to.deep.equal({ ip: 24, weirds: [] });
      expect(decode(239, '0a00 0000' + '1800 0900' + IPV4)).to.deep.equal({ ip: 8, weirds: [] });
      expect(decode(239, '0700 0000' + '1800 0900' + IPV4)).to.deep.equal({ ip: -1, weirds: [] });
    });

    it('reports a TLV running past the packet with its sizes, and the other malformations by name', () => {
      // The trace of Zeek's core.nflog-bad-tlv-len: a 256-byte TLV in 8 remaining bytes.
      expect(decode(239, header + '0001 0100 00000000')).to.deep.equal({ ip: -1, weirds: ['nflog_bad_tlv_len (256 > 8)'] });
      expect(decode(239, header + '0200 0100 00000000')).to.deep.equal({ ip: -1, weirds: ['nflog_bad_tlv_len'] });
      expect(decode(239, header + '0800 0100 00000000')).to.deep.equal({ ip: -1, weirds: ['nflog_no_pcap_payload'] });
      expect(decode(239, '02 01 0000 0800 0900')).to.deep.equal({ ip: -1, weirds: ['unknown_nflog_version'] });
      expect(decode(239, '02000000')).to.deep.equal({ ip: -1, weirds: ['truncated_nflog_header'] });
    });
  });

  describe('802.11 (105) and radiotap (127)', () => {
    const snapIp = 'aaaa03000000 0800' + IPV4;
    const seqCtl = '0000';
    it('a data frame: addresses by To DS / From DS, LLC/SNAP to IP', () => {
      // To DS: addr1 = BSSID, addr2 = source, addr3 = destination.
      const toDs = '0801 0000' + MAC_C + MAC_A + MAC_B + seqCtl;
      expect(decode(105, toDs + snapIp)).to.deep.equal({ ip: 32, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      // From DS: addr1 = destination, addr2 = BSSID, addr3 = source.
      const fromDs = '0802 0000' + MAC_B + MAC_C + MAC_A + seqCtl;
      expect(decode(105, fromDs + snapIp)).to.deep.equal({ ip: 32, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      // WDS (both bits): a fourth address is the source, the third the destination.
      const wds = '0803 0000' + MAC_C + MAC_D + MAC_B + seqCtl + MAC_A;
      expect(decode(105, wds + snapIp)).to.deep.equal({ ip: 38, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      // QoS data: two more header bytes.
      const qos = '8800 0000' + MAC_B + MAC_A + MAC_C + seqCtl + '0000';
      expect(decode(105, qos + snapIp)).to.deep.equal({ ip: 34, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
    });

    it('radiotap: skips its little-endian length, then the 802.11 frame', () => {
      const radiotap = '00 00 0c00 04800000 02000000'; // version, pad, length 12, present flags, fields
      const frame = '0800 0000' + MAC_B + MAC_A + MAC_C + seqCtl;
      expect(decode(127, radiotap + frame + snapIp)).to.deep.equal({ ip: 44, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      expect(decode(127, '000008')).to.deep.equal({ ip: -1, weirds: ['truncated_radiotap_header'] });
      expect(decode(127, '00004000 00000000')).to.deep.equal({ ip: -1, weirds: ['truncated_radiotap_header'] });
    });

    it('Prism (119) and AVS (163) headers, which Zeek does not read: skipped to the 802.11 frame', () => {
      const frame = '0800 0000' + MAC_B + MAC_A + MAC_C + seqCtl + snapIp;
      const prism = '44000000' + '90000000' + '00'.repeat(136); // msgcode, msglen 144 (host order), device name, items
      expect(decode(119, prism + frame)).to.deep.equal({ ip: 144 + 32, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      const avs = '80211001' + '00000040' + '00'.repeat(56); // magic/version, header length 64 (big-endian)
      expect(decode(163, avs + frame)).to.deep.equal({ ip: 64 + 32, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      // Some drivers write AVS under the Prism link type: the magic tells.
      expect(decode(119, avs + frame)).to.deep.equal({ ip: 64 + 32, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      expect(decode(119, prism.slice(0, 200))).to.deep.equal({ ip: -1, weirds: ['truncated_prism_header'] });
      expect(decode(163, '80211001 00000400 00000000')).to.deep.equal({ ip: -1, weirds: ['truncated_avs_header'] });
    });

    it('management, null-data and encrypted QoS frames carry no IP and nothing weird; short headers are named', () => {
      const beacon = '8000 0000' + 'ffffffffffff' + MAC_A + MAC_A + seqCtl + '00'.repeat(12);
      expect(decode(105, beacon)).to.deep.equal({ ip: -1, weirds: [] });
      const nullData = '4801 0000' + MAC_C + MAC_A + MAC_B + seqCtl + '00'.repeat(8);
      expect(decode(105, nullData)).to.deep.equal({ ip: -1, weirds: [] });
      const protectedQos = '8841 0000' + MAC_C + MAC_A + MAC_B + seqCtl + '0000' + '00'.repeat(16);
      expect(decode(105, protectedQos)).to.deep.equal({ ip: -1, weirds: [] });
      expect(decode(105, '0801 0000' + MAC_C + MAC_A + MAC_B)).to.deep.equal({ ip: -1, weirds: ['truncated_802_11_header'] });
      const shortLlc = '0801 0000' + MAC_C + MAC_A + MAC_B + seqCtl + 'aaaa03';
      expect(decode(105, shortLlc)).to.deep.equal({ ip: -1, weirds: ['truncated_802_11_llc_header'], src: mac(MAC_A), dst: mac(MAC_B) });
    });

    it('an A-MSDU: the first subframe, and a subframe longer than the frame is named', () => {
      const qosAmsdu = '8801 0000' + MAC_C + MAC_A + MAC_B + seqCtl + '8000';
      const subframe = MAC_B + MAC_A + (8 + 20).toString(16).padStart(4, '0') + snapIp;
      expect(decode(105, qosAmsdu + subframe)).to.deep.equal({ ip: 48, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      const tooLong = MAC_B + MAC_A + '0100' + snapIp;
      expect(decode(105, qosAmsdu + tooLong).weirds).to.deep.equal(['truncated_802_11_amsdu_packet']);
    });
  });

  describe('inside Ethernet: PBB, VN-Tag, LLC/SNAP, ARP', () => {
    it('802.1ah PBB: the customer frame after the I-TAG, with its addresses', () => {
      const outer = 'ffffffffffff' + 'eeeeeeeeeeee' + '88a8 0064 88e7';
      const iTag = '00010000';
      const inner = MAC_B + MAC_A + '0800';
      expect(decode(1, outer + iTag + inner + IPV4)).to.deep.equal({ ip: 36, weirds: [], src: mac(MAC_A), dst: mac(MAC_B), vlan: 100 });
      expect(decode(1, outer + iTag + inner)).to.deep.equal({ ip: -1, weirds: ['truncated_PBB_header'], src: 'ee:ee:ee:ee:ee:ee', dst: 'ff:ff:ff:ff:ff:ff', vlan: 100 });
    });

    it('VN-Tag: a VLAN tag after it is followed (as Zeek, nothing else), a short tag is named', () => {
      const eth = MAC_B + MAC_A + '8926';
      expect(decode(1, eth + '00000000 8100' + '00fa 0800' + IPV4)).to.deep.equal({ ip: 24, weirds: [], src: mac(MAC_A), dst: mac(MAC_B), vlan: 250 });
      expect(decode(1, eth + '00000000 0800' + IPV4)).to.deep.equal({ ip: -1, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      expect(decode(1, MAC_B + MAC_A + '8100 00fa 8926 0000')).to.deep.equal({ ip: -1, weirds: ['truncated_vntag_header'], src: mac(MAC_A), dst: mac(MAC_B), vlan: 250 });
    });

    it('802.3 with LLC/SNAP: OUI 0 carries an EtherType; the 802.3 length ends the frame', () => {
      const snap = 'aaaa03 000000 0800';
      const len = (8 + 20).toString(16).padStart(4, '0');
      expect(decode(1, MAC_B + MAC_A + len + snap + IPV4)).to.deep.equal({ ip: 22, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      // Inside a VLAN tag, too.
      expect(decode(1, MAC_B + MAC_A + '8100 0005' + len + snap + IPV4)).to.deep.equal({ ip: 26, weirds: [], src: mac(MAC_A), dst: mac(MAC_B), vlan: 5 });
      // A length of 5 leaves no room for the SNAP header, however many bytes follow.
      expect(decode(1, MAC_B + MAC_A + '0005' + snap + IPV4).weirds).to.deep.equal(['truncated_snap_header']);
      // Spanning tree (LLC 42/42) is not IP and not weird; an 802.3 length in 1501..1535 after a VLAN tag is.
      expect(decode(1, MAC_B + MAC_A + '0026' + '424203' + '00'.repeat(35)).weirds).to.deep.equal([]);
      expect(decode(1, MAC_B + MAC_A + '8100 0005 05ff' + '00'.repeat(8)).weirds).to.deep.equal(['undefined_vlan_protocol']);
    });

    it('stops at Zeek\'s packet analyzer depth (25) with the weird from the analyzer that hit it', () => {
      const tagged = (n: number): Buffer => Buffer.from(MAC_B + MAC_A + '8100' + '00058100'.repeat(n - 1) + '00050800' + IPV4, 'hex');
      const run = (frame: Buffer): { ip: number; weirds: string[] } => {
        const weirds: string[] = [];
        const pkt = new DecodedPacket();
        pkt.reset();
        const ip = findNetworkLayer(1, frame, 0, frame.length, pkt, { weird: (name, _p, _a, source) => weirds.push(`${name} ${source}`) });
        return { ip, weirds };
      };
      // Ethernet is analyzer 1, each tag one more: 23 tags put IP at 25, a 24th tag at 25 may not hand on.
      expect(run(tagged(23))).to.deep.equal({ ip: 14 + 23 * 4, weirds: [] });
      expect(run(tagged(24))).to.deep.equal({ ip: -1, weirds: ['max_packet_analyzer_depth_exceeded VLAN'] });
      expect(run(tagged(200))).to.deep.equal({ ip: -1, weirds: ['max_packet_analyzer_depth_exceeded VLAN'] });
    });

    it('ARP makes no packet to decode and no weird; a truncated one is truncated_ARP', () => {
      const arp = '0001 0800 06 04 0001' + MAC_A + 'c0a80001' + '000000000000' + 'c0a80002';
      expect(decode(1, MAC_B + MAC_A + '0806' + arp)).to.deep.equal({ ip: -1, weirds: [], src: mac(MAC_A), dst: mac(MAC_B) });
      expect(decode(1, MAC_B + MAC_A + '0806' + arp.slice(0, 40)).weirds).to.deep.equal(['truncated_ARP']);
    });
  });
});
