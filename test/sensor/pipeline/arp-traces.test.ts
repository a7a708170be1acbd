// ARP over each link layer, on Zeek's ARP test traces (test/fixtures/zeek-arp-traces): as in Zeek, ARP makes no
// connection and no weird (a corrupt ARP header is an event in Zeek, never a weird.log row), and the link-layer
// addresses the decoder keeps are the mac_src / mac_dst Zeek's arp_request / arp_reply events print for each packet.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { findNetworkLayer } from '../../../sensor/decode/link-layer';
import { formatMac } from '../../../sensor/flows/mac-address';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../sensor/pipeline';
import { FIXTURES_DIR } from '../../helpers/fixture-paths';
import { readAll } from '../capture/capture-test-support';

const DIR = path.join(FIXTURES_DIR, 'zeek-arp-traces');
/** Trace → link type, as tcpdump names it. */
const TRACES: Record<string, number> = {
  'arp-who-has.pcap': 1,
  'arp-who-has-radiotap.pcap': 127,
  'arp-who-has-wlanmon.pcap': 105,
  'linuxsll-arp.pcap': 113,
  'snap-arp.pcapng': 1,
  'arp-leak.pcap': 1,
};
const NO_MAC = '00:00:00:00:00:00';

/** Zeek's printed lines for a trace (one per ARP packet), comment lines dropped. */
function zeekLines(trace: string): string[] {
  const file = path.join(DIR, trace.replace(/\.pcap(ng)?$/, '.expected-stdout'));
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('ARP on Zeek\'s ARP traces', () => {
  for (const [trace, linkType] of Object.entries(TRACES)) {
    it(`${trace}: every packet read, no connection, no weird`, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-arp-'));
      try {
        const pipeline = new SensorPipeline({
          source: openCaptureFile(path.join(DIR, trace)),
          logs: new LogWriterSet({ dir: out, profile: 'zeek', format: 'ascii' }),
          localNets: LocalNetworks.zeekDefault(),
          uidSource: new UidSource(trace),
          ignoreChecksums: false,
        });
        const summary = await pipeline.run();
        expect(summary.packets).to.equal(zeekLines(trace).length);
        expect(summary).to.include({ ipPackets: 0, connections: 0, weirds: 0 });
        expect(fs.readdirSync(out).filter((f) => f.startsWith('conn') || f.startsWith('weird'))).to.deep.equal([]);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
      const { packets } = await readAll(path.join(DIR, trace));
      expect(packets.map((p) => p.linkType)).to.satisfy((types: number[]) => types.every((t) => t === linkType));
    });
  }

  it('keeps the link-layer addresses Zeek reports for each ARP packet (Ethernet, SNAP, radiotap, 802.11, Linux cooked)', async () => {
    let compared = 0;
    for (const trace of Object.keys(TRACES).filter((t) => t !== 'arp-leak.pcap')) {
      const { packets } = await readAll(path.join(DIR, trace));
      const lines = zeekLines(trace);
      expect(packets, trace).to.have.length(lines.length);
      packets.forEach((p, i) => {
        const pkt = new DecodedPacket();
        pkt.reset();
        const ip = findNetworkLayer(p.linkType, p.bytes, 0, p.bytes.length, pkt, { weird: (name) => expect.fail(`${trace}: ${name}`) });
        expect(ip).to.equal(-1);
        const [macSrc, macDst] = lines[i].split(', ');
        const got = [formatMac(pkt.l2Frame, pkt.l2SrcOffset) ?? NO_MAC, formatMac(pkt.l2Frame, pkt.l2DstOffset) ?? NO_MAC];
        expect(got, `${trace} packet ${i + 1}`).to.deep.equal([macSrc, macDst]);
        compared++;
      });
    }
    expect(compared).to.equal(2 + 2 + 2 + 12 + 4);
  });
});
