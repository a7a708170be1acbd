// Proves the decoder against tshark on real captures: for every packet, the addresses, ports (ICMP type/code),
// transport and VLAN tags we produce are what tshark shows; plus link layers the Zeek cases lack (SLL, SLL2,
// OpenBSD loop, PPPoE, big-endian null), built from real frames and checked with tshark the same way.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatAddress } from '../../../sensor/decode/checksum';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import { caseCapture, readAll, tsharkFields } from '../capture/capture-test-support';
import { buildPcap } from '../capture/synthetic-captures';

const FIELDS = [
  'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst',
  'tcp.srcport', 'udp.srcport', 'icmp.type', 'icmpv6.type',
  'tcp.dstport', 'udp.dstport', 'icmp.code', 'icmpv6.code', 'vlan.id',
];

/** One packet as `src sport dst dport proto vlans`, from tshark's fields (innermost IP layer ignored: no tunnels here). */
function tsharkTuple(row: string[]): string | undefined {
  const first = (s: string | undefined): string => (s ?? '').split(',')[0];
  const [ip4s, ip6s, ip4d, ip6d, tsp, usp, it, i6t, tdp, udp, ic, i6c, vlan] = row;
  const src = first(ip4s) || first(ip6s);
  const dst = first(ip4d) || first(ip6d);
  const proto = tsp ? 'tcp' : usp ? 'udp' : it ? 'icmp' : i6t ? 'icmp6' : '';
  if (!src || !proto) return undefined;
  const sport = first(tsp || usp || it || i6t);
  const dport = first(tdp || udp || ic || i6c);
  // A priority tag (VLAN id 0) is no VLAN for Zeek's conn.log: only non-zero ids are logged.
  const vlans = vlan.split(',').filter((v) => v !== '' && v !== '0').join(',');
  return `${src} ${sport} ${dst} ${dport} ${proto} vlan=${vlans || '-'}`;
}

function ourTuple(p: DecodedPacket): string {
  const proto = p.protocol === 6 ? 'tcp' : p.protocol === 17 ? 'udp' : p.protocol === 1 ? 'icmp' : p.protocol === 58 ? 'icmp6' : `proto${p.protocol}`;
  const vlans = [p.vlan, p.innerVlan].filter((v) => v !== 0).join(',');
  return `${formatAddress(p.data, p.srcAddrOffset, p.ipVersion as 4 | 6)} ${p.srcPort} ${formatAddress(p.data, p.dstAddrOffset, p.ipVersion as 4 | 6)} ${p.dstPort} ${proto} vlan=${vlans || '-'}`;
}

async function compareWithTshark(file: string): Promise<{ decoded: number; weirds: string[] }> {
  const rows = tsharkFields(file, FIELDS);
  const { packets, error } = await readAll(file);
  expect(error).to.equal(undefined);
  expect(packets.length).to.equal(rows.length);
  const weirds: string[] = [];
  // Checksums ignored (Zeek's -C): tshark shows packets whatever their checksum.
  const decoder = new PacketDecoder({ weird: (name) => weirds.push(name) }, { ignoreChecksums: true });
  const out = new DecodedPacket();
  let decoded = 0;
  packets.forEach((p, i) => {
    const ok = decoder.decode(p.linkType, p.bytes, 0, p.bytes.length, p.wireLength, p.tsSec, p.tsUsec, out);
    const expected = tsharkTuple(rows[i]);
    if (ok) {
      decoded++;
      expect(ourTuple(out), `${path.basename(file)} packet ${i + 1}`).to.equal(expected);
    } else {
      // Not decoded: tshark must not show a transport either (non-IP, or a fragment still waiting).
      expect(expected, `${path.basename(file)} packet ${i + 1} (weirds ${weirds.join(',')})`).to.equal(undefined);
    }
  });
  expect(decoder.internalErrors).to.equal(0);
  return { decoded, weirds };
}

describe('decoder agrees with tshark', () => {
  const cases = [
    'core-q-in-q', 'core-mpls-in-vlan', 'core-vlan-mpls', 'core-ipv6-frag', 'core-pcapng-pktsrc',
    'http-http-connect-with-header', 'ssl-ml-dsa-44-cert', 'http-261-chunked-rest', 'ftp-ftp-ipv6',
    'dns-mdns-no-assoc', 'core-checksums_ignore_nets_runtime_update', 'core-tcp-padding', 'ftp-cwd-navigation',
    'core-tcp-flip-without-syn', 'ssl-dtls-stun-dpd',
  ];
  for (const c of cases) {
    it(`every packet of ${c}`, async function () {
      this.timeout(60000);
      const { decoded } = await compareWithTshark(caseCapture(c));
      expect(decoded).to.be.greaterThan(0);
    });
  }

  it('reassembles the IPv6-fragmented DNS answer (core-ipv6-frag) into one 3230-byte UDP payload', async () => {
    const { packets } = await readAll(caseCapture('core-ipv6-frag'));
    const decoder = new PacketDecoder({ weird: () => undefined });
    const out = new DecodedPacket();
    const results = packets.map((p) => {
      const ok = decoder.decode(p.linkType, p.bytes, 0, p.bytes.length, p.wireLength, p.tsSec, p.tsUsec, out);
      return ok ? `${out.reassembled ? 'R' : 'P'}${out.payloadLength}` : '-';
    });
    expect(results[results.length - 1]).to.equal('R3230');
    expect(results.filter((r) => r === '-').length).to.be.greaterThan(0);
    // Packet 4 is the last fragment (offset 2896) of an answer whose other fragments were never captured:
    // it waits, then times out.
    expect(decoder.fragments.pendingDatagrams).to.equal(1);
    expect(decoder.fragments.bytesHeld).to.be.greaterThan(300);
    const last = packets[packets.length - 1];
    decoder.fragments.expire(last.tsSec + 61); // default timeout 60 s
    expect(decoder.fragments.pendingDatagrams).to.equal(0);
    expect(decoder.fragments.bytesHeld).to.equal(0);
  });

  describe('link layers built from real frames', () => {
    let tmp: string;
    let ethFrames: Buffer[];
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-decode-'));
      const ipv4 = (await readAll(caseCapture('ftp-ftp-ipv4'))).packets.slice(0, 20).map((p) => p.bytes);
      const ipv6 = (await readAll(caseCapture('ftp-ftp-ipv6'))).packets.slice(0, 20).map((p) => p.bytes);
      ethFrames = [...ipv4, ...ipv6];
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const wrap: [string, number, (eth: Buffer) => Buffer][] = [
      ['Linux SLL', 113, (e) => Buffer.concat([Buffer.from('0000000100060011223344550000', 'hex'), e.subarray(12)])],
      ['Linux SLL2', 276, (e) => Buffer.concat([e.subarray(12, 14), Buffer.from('0000000000000002000106001122334455660000', 'hex').subarray(0, 18)])],
      ['OpenBSD loop', 108, (e) => Buffer.concat([Buffer.from([0, 0, 0, e.readUInt16BE(12) === 0x0800 ? 2 : 24]), e.subarray(14)])],
      ['BSD null, big-endian writer', 0, (e) => Buffer.concat([Buffer.from([0, 0, 0, e.readUInt16BE(12) === 0x0800 ? 2 : 30]), e.subarray(14)])],
      ['PPPoE session', 1, (e) => {
        const payload = e.subarray(14);
        const hdr = Buffer.from('1100000100000000', 'hex');
        hdr.writeUInt16BE(payload.length + 2, 4);
        hdr.writeUInt16BE(e.readUInt16BE(12) === 0x0800 ? 0x0021 : 0x0057, 6);
        return Buffer.concat([e.subarray(0, 12), Buffer.from([0x88, 0x64]), hdr, payload]);
      }],
    ];
    for (const [name, linkType, fn] of wrap) {
      it(name, async () => {
        const file = path.join(tmp, `${linkType}-${name.replace(/\W/g, '')}.pcap`);
        const frames = ethFrames.map((e) => {
          let f = fn(e);
          if (linkType === 276) f = Buffer.concat([f, e.subarray(14)]);
          return f;
        });
        fs.writeFileSync(file, buildPcap(frames.map((bytes, i) => ({ tsSec: 1700000000 + i, frac: 0, bytes, wireLength: bytes.length })), { littleEndian: true, nanoseconds: false, linkType }));
        const { decoded } = await compareWithTshark(file);
        expect(decoded).to.equal(frames.length);
      });
    }
  });
});
