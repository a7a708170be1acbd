// AnalyzerRegistry: analyzers are found by transport and responder port, count as likely server ports, and a
// registered analyzer receives exactly the TCP byte stream of a real capture (checked against tshark's follow).
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { trackCapture, ZEEK_CASES } from '../flows/zeek-case-runner';

/** tshark's reassembled stream 0: [client→server bytes, server→client bytes]. */
function tsharkStreams(file: string): [Buffer, Buffer] {
  const out = execFileSync('tshark', ['-r', file, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  const parts: [string[], string[]] = [[], []];
  let inBody = false;
  for (const line of out.split('\n')) {
    if (/^Node 1:/.test(line)) { inBody = true; continue; }
    if (!inBody || line.startsWith('=====') || line.trim() === '') continue;
    if (line.startsWith('\t')) parts[1].push(line.trim());
    else parts[0].push(line.trim());
  }
  return [Buffer.from(parts[0].join(''), 'hex'), Buffer.from(parts[1].join(''), 'hex')];
}

describe('AnalyzerRegistry', () => {
  it('chooses analyzers by transport and responder port and treats their ports as likely server ports', () => {
    const registry = new AnalyzerRegistry({ likelyServerPorts: { tcp: [443], udp: [] } });
    const analyzer = { name: 'demo', ports: [{ proto: 'udp' as const, port: 5000 }], create: () => ({}) };
    registry.register(analyzer);
    expect(registry.forConnection('udp', 5000)).to.deep.equal([analyzer]);
    expect(registry.forConnection('tcp', 5000)).to.deep.equal([]);
    expect(registry.isLikelyServerPort('udp', 5000)).to.equal(true);
    expect(registry.isLikelyServerPort('tcp', 443)).to.equal(true);
    expect(registry.isLikelyServerPort('tcp', 5000)).to.equal(false);
    expect(() => registry.register(analyzer)).to.throw(/already registered/);
  });

  for (const [name, file, port] of [
    ['an HTTP exchange with Ethernet padding', `${ZEEK_CASES}/core-tcp-padding/tcp-http-with-padding.pcap`, 27272],
    ['an FTP control channel', `${ZEEK_CASES}/core-tcp-large-file-reassembly/bigtransfer.pcap`, 21],
  ] as const) {
    it(`delivers the exact TCP stream of ${name} (same bytes as tshark follow)`, async () => {
      const chunks: [Buffer[], Buffer[]] = [[], []];
      let gaps = 0;
      let ended = 0;
      const registry = new AnalyzerRegistry();
      registry.register({
        name: 'recorder', ports: [{ proto: 'tcp', port }],
        create: (ctx) => {
          expect(ctx.respPort).to.equal(port);
          return {
            deliverStream: (isOrig, data, offset, length) => chunks[isOrig ? 0 : 1].push(Buffer.from(data.subarray(offset, offset + length))),
            deliverGap: () => { gaps++; },
            end: () => { ended++; },
          };
        },
      });
      const run = await trackCapture(file, { analyzers: registry, ignoreChecksums: true });
      const [toServer, toClient] = tsharkStreams(file);
      expect(toServer.length + toClient.length).to.be.above(0);
      const first = run.conns.find((c) => c.respPort === port);
      expect(first, 'connection on the analyzer port').to.not.equal(undefined);
      expect(Buffer.concat(chunks[0]).equals(toServer)).to.equal(true);
      expect(Buffer.concat(chunks[1]).equals(toClient)).to.equal(true);
      expect(gaps).to.equal(0);
      expect(ended).to.be.at.least(1);
    });
  }
});
