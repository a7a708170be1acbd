// The sensor bench's floors and external peers do the work they claim on a real capture: every packet read and
// decoded, flows found, the peers run to completion. (No timings asserted: those are the bench's to print.)

import { expect } from 'chai';
import * as path from 'path';
import { EXTERNAL_PEERS, runExternalPeer } from '../../bench/sensor/external-peers';
import { runFloor } from '../../bench/sensor/floor-phases';
import { runBenchPipeline } from '../../bench/sensor/sensor-bench';

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
