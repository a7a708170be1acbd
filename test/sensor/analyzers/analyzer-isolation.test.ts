// Isolation: an analyzer that throws while it is fed (UDP packets, the TCP stream, its end) is removed from that
// connection with an `analyzer_failed` weird; the other analyzers of the connection and the rest of the run go on.
// Written against the original registry API only, so it also runs (and fails) on the code before the guard.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../sensor/flows/likely-server-ports';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog } from '../logs/zeek-log-reader';
import { PCAPS_DIR, ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

/** Four UDP/53 exchanges on four connections (dns-rrsig), and one HTTP exchange on tcp/18080. */
const UDP_PCAP = path.join(ZEEK_CASES_DIR, 'dns-rrsig', 'rrsig.pcap');
const TCP_PCAP = path.join(PCAPS_DIR, 'http-curl.pcap');

async function run(dir: string, pcap: string, registry: AnalyzerRegistry): Promise<void> {
  await new SensorPipeline({
    source: openCaptureFile(pcap),
    logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
    localNets: LocalNetworks.zeekDefault(),
    analyzers: registry,
    ignoreChecksums: true,
  }).run();
}

describe('analyzer isolation', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-isolation-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a throwing UDP analyzer is dropped from its connection with a weird; its neighbour keeps every packet', async () => {
    let thrown = 0;
    let thrownAfter = 0;
    const seen = new Map<string, number>();
    const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
    registry.register({
      name: 'THROWER', ports: [{ proto: 'udp', port: 53 }],
      create: () => {
        let calls = 0;
        return {
          deliverPacket: () => {
            if (calls++ > 0) thrownAfter++;
            thrown++;
            throw new Error('hostile input');
          },
          end: () => { throw new Error('never reached: removed'); },
        };
      },
    });
    registry.register({
      name: 'COUNTER', ports: [{ proto: 'udp', port: 53 }],
      create: (ctx) => ({ deliverPacket: () => { seen.set(ctx.uid, (seen.get(ctx.uid) ?? 0) + 1); } }),
    });
    await run(tmp, UDP_PCAP, registry);
    const conn = readZeekLog(path.join(tmp, 'conn.log'));
    const dnsConns = conn.rows.filter((r) => r.get('id.resp_p') === '53');
    expect(dnsConns.length).to.equal(4);
    const weird = readZeekLog(path.join(tmp, 'weird.log'));
    const failed = weird.rows.filter((r) => r.get('name') === 'analyzer_failed');
    // One weird per connection: the analyzer is gone after its first throw, so it never throws twice on one connection.
    expect(failed.map((r) => r.get('uid')).sort()).to.deep.equal(dnsConns.map((r) => r.get('uid')).sort());
    expect(failed.every((r) => r.get('addl') === 'THROWER: hostile input' && r.get('source') === 'THROWER')).to.equal(true);
    expect(thrown).to.equal(4);
    expect(thrownAfter).to.equal(0);
    for (const c of dnsConns) {
      expect(seen.get(c.get('uid') as string), c.get('uid')).to.equal(Number(c.get('orig_pkts')) + Number(c.get('resp_pkts')));
    }
  });

  it('a throwing TCP stream analyzer is dropped and the run completes with every connection logged', async () => {
    const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
    let streamCalls = 0;
    registry.register({
      name: 'STREAMBOMB', ports: [{ proto: 'tcp', port: 18080 }],
      create: () => ({
        deliverStream: () => {
          streamCalls++;
          throw new RangeError('offset out of range');
        },
        deliverGap: () => { throw new Error('gap'); },
      }),
    });
    await run(tmp, TCP_PCAP, registry);
    const conn = readZeekLog(path.join(tmp, 'conn.log'));
    expect(conn.rows.map((r) => r.get('conn_state'))).to.deep.equal(['SF']);
    expect(conn.meta[conn.meta.length - 1]).to.match(/^#close\t/);
    const weird = readZeekLog(path.join(tmp, 'weird.log'));
    expect(weird.rows.map((r) => [r.get('name'), r.get('addl')])).to.deep.equal([['analyzer_failed', 'STREAMBOMB: offset out of range']]);
    expect(streamCalls).to.equal(1);
  });
});
