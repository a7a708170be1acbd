// Fuzz: 20,000 seeded mutations of real frames (bit flips, byte stores, length-field edits, fragment flags,
// truncations; every link type the decoder reads, from Zeek's captures of each) must never throw out of decode,
// never hit the last-resort catch, and keep fragment memory bounded.

import { expect } from 'chai';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import { caseCapture, readAll, ReadPacket } from '../capture/capture-test-support';

/** Small, fast, seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

describe('decoder fuzz', () => {
  let corpus: ReadPacket[];
  before(async () => {
    corpus = [];
    for (const c of ['core-q-in-q', 'core-mpls-in-vlan', 'core-vlan-mpls', 'core-ipv6-frag', 'core-pcapng-pktsrc', 'http-http-connect-with-header',
      'ssl-ml-dsa-44-cert', 'http-261-chunked-rest', 'ftp-ftp-ipv6', 'dns-mdns-no-assoc', 'core-tcp-padding', 'ssl-dtls-stun-dpd', 'core-ipv6-reassembly-state-leak',
      // The other link layers: PPP, PBB, VN-Tag, PPPoE over Q-in-Q, NFLOG, 802.11 plain and radiotap.
      'core-ppp', 'core-pbb', 'core-vntag', 'core-vntag-in-vlan', 'core-pppoe-over-qinq', 'core-nflog', 'core-nflog-bad-tlv-len',
      'core-radiotap', 'core-wlanmon']) {
      corpus.push(...(await readAll(caseCapture(c))).packets);
    }
  });

  it('20,000 mutated frames: no throw, no internal error, fragment memory under its cap', function () {
    this.timeout(60000);
    const random = prng(0x5eed);
    const weirdNames = new Set<string>();
    const cap = 256 * 1024;
    const decoder = new PacketDecoder({ weird: (n) => weirdNames.add(n) }, { fragmentMemoryBytes: cap, fragmentTimeoutSec: 5 });
    const out = new DecodedPacket();
    const linkTypes = [0, 1, 9, 10, 12, 50, 101, 104, 105, 108, 113, 119, 127, 163, 228, 229, 239, 276];
    const heapBefore = process.memoryUsage().heapUsed;
    let accepted = 0;
    let maxHeld = 0;
    for (let i = 0; i < 20000; i++) {
      const base = corpus[random(corpus.length)];
      const frame = Buffer.from(base.bytes);
      const mutations = 1 + random(4);
      for (let m = 0; m < mutations; m++) {
        const at = random(frame.length);
        switch (random(6)) {
          case 0: frame[at] ^= 1 << random(8); break;
          case 1: frame[at] = random(256); break;
          case 2: if (at + 1 < frame.length) frame.writeUInt16BE(random(65536), at); break;
          // IPv4 header fields behind a 14-byte Ethernet header: lengths, fragment flags/offset.
          case 3: if (frame.length > 24) frame.writeUInt16BE([0, 1, 20, 0xffff, random(65536)][random(5)], 16); break;
          case 4: if (frame.length > 24) frame.writeUInt16BE(0x2000 | random(0x2000), 20); break;
          default: frame[14 % frame.length] = (random(16) << 4) | random(16); break;
        }
      }
      const capLength = random(4) === 0 ? random(frame.length + 1) : frame.length;
      const wireLength = random(8) === 0 ? random(70000) : base.wireLength;
      const linkType = random(10) === 0 ? linkTypes[random(linkTypes.length)] : base.linkType;
      // Packet time advances slowly so fragments pile up between timeouts.
      if (decoder.decode(linkType, frame, 0, capLength, wireLength, 1000 + Math.floor(i / 100), 0, out)) accepted++;
      maxHeld = Math.max(maxHeld, decoder.fragments.bytesHeld);
      expect(decoder.fragments.bytesHeld).to.be.at.most(cap);
    }
    expect(decoder.internalErrors, [...weirdNames].join(',')).to.equal(0);
    expect(weirdNames.has('internal_decoder_error')).to.equal(false);
    // The fuzz really exercised the paths: many weird kinds, fragments held, and plenty still decoded.
    expect(weirdNames.size).to.be.greaterThan(10);
    // ... the link layers beyond Ethernet too: each of these families raised its truncation weirds.
    for (const name of ['truncated_ppp_header', 'nflog_bad_tlv_len', 'truncated_nflog_header',
      'truncated_radiotap_header', 'truncated_802_11_header', 'truncated_PBB_header', 'truncated_ARP']) {
      expect([...weirdNames], name).to.include(name);
    }
    expect(maxHeld).to.be.greaterThan(0);
    expect(accepted).to.be.greaterThan(2000);
    const growth = process.memoryUsage().heapUsed - heapBefore;
    expect(growth).to.be.lessThan(200 * 1024 * 1024);
  });
});
