// Proves transportChecksumOk and the IPv4 header check against tshark's own checksum validation on real
// captures, and formatAddress against glibc's inet_ntop (via python3) on random addresses.

import { expect } from 'chai';
import * as fc from 'fast-check';
import { formatAddress, transportChecksumOk } from '../../../sensor/decode/checksum';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import { caseCapture, readAll, runTool, tsharkFields } from '../capture/capture-test-support';

const CHECK = ['-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];

describe('checksums', () => {
  for (const c of ['core-checksums_ignore_nets_runtime_update', 'core-tcp-bad-checksum-syn', 'ftp-ftp-ipv6', 'dns-mdns-no-assoc', 'ssl-dtls-stun-dpd', 'core-ipv6-frag', 'core-mpls-in-vlan', 'http-http-connect-with-header']) {
    it(`agree with tshark: ${c}`, async function () {
      this.timeout(60000);
      const file = caseCapture(c);
      const rows = tsharkFields(file, ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status'], CHECK);
      const { packets } = await readAll(file);
      const strictWeirds: string[] = [];
      const strict = new PacketDecoder({ weird: (n) => strictWeirds.push(n) });
      const lenient = new PacketDecoder({ weird: () => undefined }, { ignoreChecksums: true });
      const out = new DecodedPacket();
      let compared = 0;
      packets.forEach((p, i) => {
        const [ipStatus, ...l4] = rows[i].map((v) => v.split(',').pop() ?? '');
        // Header check: tshark's 0 (bad) is exactly where the strict decoder drops with bad_IP_checksum.
        strictWeirds.length = 0;
        strict.decode(p.linkType, p.bytes, 0, p.bytes.length, p.wireLength, p.tsSec, p.tsUsec, out);
        expect(strictWeirds.includes('bad_IP_checksum'), `packet ${i + 1} IP header`).to.equal(ipStatus === '0');
        if (!lenient.decode(p.linkType, p.bytes, 0, p.bytes.length, p.wireLength, p.tsSec, p.tsUsec, out)) return;
        const theirs = l4.find((v) => v !== '');
        const ours = transportChecksumOk(out);
        if (theirs === '0' || theirs === '1') {
          expect(ours, `packet ${i + 1} transport`).to.equal(theirs === '1');
          compared++;
        } else {
          expect(ours, `packet ${i + 1}: tshark could not verify`).to.not.equal(false);
        }
      });
      expect(compared).to.be.greaterThan(0);
    });
  }

  it('formatAddress matches inet_ntop for IPv4 and IPv6 (zero runs, mapped and compatible forms)', () => {
    const word = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    const samples = fc.sample(fc.array(word, { minLength: 8, maxLength: 8 }), { numRuns: 400, seed: 77 });
    const fixed = [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304], [0, 0, 0, 0, 0, 0, 0x0102, 0x0304],
      [1, 0, 0, 1, 0, 0, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0], [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], [0xfe80, 0, 0, 0, 0, 0, 0, 0]];
    const all = [...fixed, ...samples];
    const hex = all.map((ws) => ws.map((w) => w.toString(16).padStart(4, '0')).join(''));
    const script = 'import socket,sys\nfor l in sys.stdin.read().split():\n  print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l)))';
    const expected = require('child_process').execFileSync('python3', ['-c', script], { input: hex.join('\n'), encoding: 'utf8' }).trim().split('\n');
    hex.forEach((h, i) => expect(formatAddress(Buffer.from(h, 'hex'), 0, 6), h).to.equal(expected[i]));
    expect(formatAddress(Buffer.from([10, 0, 255, 1]), 0, 4)).to.equal('10.0.255.1');
    expect(runTool('python3', ['-c', 'print(1)']).trim()).to.equal('1');
  });
});
