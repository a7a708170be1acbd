// The sensor bench's floors and external peers do the work they claim on a real capture: every packet read and
// decoded, flows found, the peers run to completion. (No timings asserted: those are the bench's to print.)

import { expect } from 'chai';
import * as path from 'path';
import { EXTERNAL_PEERS, runExternalPeer } from '../../bench/sensor/external-peers';
import { runFloor } from '../../bench/sensor/floor-phases';
import * as fs from 'fs';
import { disabledAnalyzers, runBenchPipeline } from '../../bench/sensor/sensor-bench';
import { SHIPPED_ANALYZERS } from '../../sensor/analyzers/shipped-analyzers';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/pcaps');
const HTTP = path.join(FIXTURES, 'http-curl.pcap');
const DNS = path.join(FIXTURES, 'dns-dig.pcap');

describe('sensor bench phases', () => {
  it('the decode floor reads and decodes every packet the pipeline tracks', async () => {
    const pipeline = await runBenchPipeline(HTTP);
    const floor = await runFloor(HTTP, false);
    expect(floor.packets).to.equal(pipeline.packets);
    expect(floor.decoded).to.equal(pipeline.ipPackets);
    expect(floor.flows).to.equal(0);
  });

  it('the lookup floor files both directions of a flow under one entry', async () => {
    // dns-dig: one UDP query/answer exchange per dig run, each answer coming back on the query's 5-tuple.
    const pipeline = await runBenchPipeline(DNS);
    const floor = await runFloor(DNS, true);
    expect(floor.decoded).to.equal(pipeline.ipPackets);
    expect(floor.flows).to.equal(pipeline.connections);
  });

  it('the analyzer phases run what they name: conn-only writes no protocol log, without-NAME all but NAME\'s', async () => {
    // http-curl carries HTTP only; its DNS lookups happened before the capture (curl to 127.0.0.1).
    const logsOf = async (disabled: readonly string[]) => {
      let files: string[] = [];
      const summary = await runBenchPipeline(HTTP, disabled, (dir) => { files = fs.readdirSync(dir).sort(); });
      return { files, connections: summary.connections, packets: summary.packets };
    };
    expect(SHIPPED_ANALYZERS.map((a) => a.name)).to.include.members(['DNS', 'HTTP']);
    expect(disabledAnalyzers('pipeline')).to.deep.equal([]);
    expect(disabledAnalyzers('without-HTTP')).to.deep.equal(['HTTP']);
    expect(disabledAnalyzers('decode')).to.equal(undefined);
    const all = await logsOf(disabledAnalyzers('pipeline') as string[]);
    const connOnly = await logsOf(disabledAnalyzers('conn-only') as string[]);
    const noHttp = await logsOf(disabledAnalyzers('without-HTTP') as string[]);
    const noDns = await logsOf(disabledAnalyzers('without-DNS') as string[]);
    expect(all.files).to.include.members(['conn.log', 'http.log']);
    expect(connOnly.files).to.deep.equal(['conn.log']);
    expect(noHttp.files).to.not.include('http.log');
    expect(noDns.files).to.include('http.log');
    // The same packets and connections whatever runs on them.
    for (const r of [connOnly, noHttp, noDns]) expect([r.packets, r.connections]).to.deep.equal([all.packets, all.connections]);
  });

  for (const peer of EXTERNAL_PEERS) {
    it(`runs ${peer.name} (${peer.label}) over a capture`, () => {
      const r = runExternalPeer(peer, HTTP);
      expect(r.cpuSeconds).to.be.at.least(0);
      expect(r.wallSeconds).to.be.greaterThan(0);
    });
  }

  it('says which package to install when a peer is missing, and reports a peer that fails', () => {
    const missing = { ...EXTERNAL_PEERS[0], command: 'nsm-no-such-program', debianPackage: 'nsm-test-pkg' };
    expect(() => runExternalPeer(missing, HTTP)).to.throw(/nsm-no-such-program not found: .*nsm-test-pkg/);
    expect(() => runExternalPeer(EXTERNAL_PEERS[0], path.join(FIXTURES, 'no-such.pcap'))).to.throw(/exited with/);
  });
});
