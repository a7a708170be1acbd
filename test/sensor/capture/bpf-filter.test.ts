// Proves `-f BPF` on files: libpcap compiles, our interpreter runs, and the packets kept are exactly the ones
// tcpdump keeps for the same file and expression.

import { expect } from 'chai';
import { BpfProgram } from '../../../sensor/capture/bpf-program';
import { CaptureFileError, openCaptureFile } from '../../../sensor/capture/open-capture';
import { caseCapture, readAll, runTool } from './capture-test-support';

/** How many packets tcpdump keeps. */
function tcpdumpCount(file: string, filter: string): number {
  return runTool('tcpdump', ['-r', file, '-nn', '-q', filter]).split('\n').filter((l) => l !== '').length;
}

describe('BPF filter on capture files', () => {
  const cases: [string, string[]][] = [
    ['core-q-in-q', ['vlan and vlan and udp', 'vlan 13 and vlan 10 and udp port 9875', 'vlan and vlan and arp', 'udp', 'vlan 13']],
    ['core-vlan-mpls', ['mpls', 'vlan', 'tcp', 'mpls and tcp', 'vlan and mpls and ip']],
    ['ftp-ftp-ipv6', ['ip6', 'tcp port 21', 'tcp[tcpflags] & tcp-syn != 0', 'ip6 and tcp and greater 100', 'less 80']],
    ['ftp-cwd-navigation', ['tcp port 21', 'tcp and (port 20 or portrange 1024-65535)', 'tcp[13] & 0x3f = 0x18', 'src host 10.0.0.1 or dst net 10.0.0.0/8']],
    ['http-http-connect-with-header', ['ip6', 'tcp dst port 80', 'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420']],
    ['http-261-chunked-rest', ['tcp', 'tcp src port 80', 'ip[2:2] > 100']],
    ['ssl-ml-dsa-44-cert', ['tcp port 443', 'ip6 or ip', 'tcp[tcpflags] & tcp-push != 0']],
    ['core-pcapng-pktsrc', ['udp port 53', 'udp and udp[8:2] = 0xffff', 'ip and len > 100']],
    ['core-ipv6-frag', ['ip6 and udp', 'ip6[6] = 44', 'ip6 protochain 17']],
  ];
  for (const [c, filters] of cases) {
    it(`keeps what tcpdump keeps: ${c}`, async function () {
      this.timeout(60000);
      const file = caseCapture(c);
      const all = (await readAll(file)).packets.length;
      let someFiltered = false;
      for (const filter of filters) {
        const { packets, error } = await readAll(file, { filter });
        expect(error).to.equal(undefined);
        const expected = tcpdumpCount(file, filter);
        expect(packets.length, `${c}: ${filter}`).to.equal(expected);
        if (expected > 0 && expected < all) someFiltered = true;
      }
      expect(someFiltered, `${c}: some filter should keep a strict subset`).to.equal(true);
    });
  }

  it('rejects a bad expression before reading, with libpcap\'s message', () => {
    expect(() => openCaptureFile(caseCapture('core-q-in-q'), { filter: 'tcp port' })).to.throw(CaptureFileError, /invalid BPF filter "tcp port": .*syntax error/);
    expect(() => openCaptureFile(caseCapture('ssl-ml-dsa-44-cert'), { filter: 'ether host 1:2:3:4:5:6' })).to.throw(CaptureFileError, /invalid BPF filter/);
  });

  it('interpreter refuses programs that jump outside themselves or do not return', () => {
    expect(() => new BpfProgram([{ code: 0x05, jt: 0, jf: 0, k: 5 }, { code: 0x06, jt: 0, jf: 0, k: 1 }])).to.throw(/jump out of range/);
    expect(() => new BpfProgram([{ code: 0x00, jt: 0, jf: 0, k: 5 }])).to.throw(/does not end in a return/);
    const acceptAll = new BpfProgram([{ code: 0x06, jt: 0, jf: 0, k: 262144 }]);
    expect(acceptAll.run(Buffer.alloc(0), 0, 0, 0)).to.equal(262144);
  });
});
