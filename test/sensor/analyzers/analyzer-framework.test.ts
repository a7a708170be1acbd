// The analyzer framework on real captures: per-direction end of stream after the last byte, protocol violations
// detach an analyzer (and take back its service), content signatures attach analyzers on any port (DPD), and the
// cross-connection store expires on network time with hooks at end of input and at rotation.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { SharedState } from '../../../sensor/analyzers/shared-state';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../sensor/flows/likely-server-ports';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { LogRotationOptions, SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog } from '../logs/zeek-log-reader';
import { PCAPS_DIR, ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

const HTTP_PCAP = path.join(PCAPS_DIR, 'http-curl.pcap');
/** Four UDP/53 exchanges, one per connection. */
const UDP_PCAP = path.join(ZEEK_CASES_DIR, 'dns-rrsig', 'rrsig.pcap');
/** One UDP exchange on port 15353 (not a DNS port). */
const ODD_PORT_PCAP = path.join(PCAPS_DIR, 'dns-dig.pcap');

function registry(): AnalyzerRegistry {
  return new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
}

async function run(dir: string, pcap: string, analyzers: AnalyzerRegistry, rotation?: LogRotationOptions): Promise<void> {
  await new SensorPipeline({
    source: openCaptureFile(pcap),
    logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
    localNets: LocalNetworks.zeekDefault(),
    analyzers,
    ignoreChecksums: true,
    rotation,
  }).run();
}

describe('analyzer framework', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-framework-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('tells each direction of a TCP stream that it ended, once, after its last byte', async () => {
    const events: string[] = [];
    const bytes = [0, 0];
    const r = registry();
    r.register({
      name: 'EOS', ports: [{ proto: 'tcp', port: 18080 }],
      create: () => ({
        deliverStream: (isOrig, _d, _o, length) => { bytes[isOrig ? 0 : 1] += length; events.push(isOrig ? 'data-o' : 'data-r'); },
        endOfStream: (isOrig) => events.push(`eos-${isOrig ? 'o' : 'r'}:${bytes[isOrig ? 0 : 1]}`),
        end: () => events.push('end'),
      }),
    });
    await run(tmp, HTTP_PCAP, r);
    const conn = readZeekLog(path.join(tmp, 'conn.log')).rows[0];
    const eos = events.filter((e) => e.startsWith('eos-'));
    expect(eos.sort()).to.deep.equal([`eos-o:${conn.get('orig_bytes')}`, `eos-r:${conn.get('resp_bytes')}`].sort());
    // No data after a direction's end, and end() comes last.
    const lastDataO = events.lastIndexOf('data-o');
    const lastDataR = events.lastIndexOf('data-r');
    expect(events.findIndex((e) => e.startsWith('eos-o'))).to.be.greaterThan(lastDataO);
    expect(events.findIndex((e) => e.startsWith('eos-r'))).to.be.greaterThan(lastDataR);
    expect(events[events.length - 1]).to.equal('end');
  });

  it('a protocol violation detaches the analyzer (no more data, end() still) and removes its confirmed service', async () => {
    let afterViolation = 0;
    let ends = 0;
    const r = registry();
    r.register({
      name: 'PICKY', ports: [{ proto: 'udp', port: 53 }],
      create: (ctx) => {
        let violated = false;
        return {
          deliverPacket: () => {
            if (violated) afterViolation++;
            ctx.confirmService('picky');
            // Only the first connection's traffic is "ours".
            if (ctx.origPort !== 10267) {
              violated = true;
              ctx.violation('not my protocol');
            }
          },
          end: () => { ends++; },
        };
      },
    });
    await run(tmp, UDP_PCAP, r);
    const rows = readZeekLog(path.join(tmp, 'conn.log')).rows.filter((x) => x.get('id.resp_p') === '53');
    expect(rows.map((x) => [x.get('id.orig_p'), x.get('service')]).sort()).to.deep.equal(
      [['10267', 'picky'], ['39975', '-'], ['50056', '-'], ['5386', '-']]);
    expect(afterViolation).to.equal(0);
    expect(ends).to.equal(4);
    expect(fs.existsSync(path.join(tmp, 'weird.log'))).to.equal(false);
  });

  it('attaches an analyzer by a content signature on a port it does not register (DPD), from that payload on', async () => {
    const got: { port: number; isOrig: boolean; first: number }[] = [];
    const r = registry();
    r.register({
      name: 'SNIFFED', ports: [],
      // A DNS header whose flags say "standard query, recursion desired".
      detect: [{ proto: 'udp', matches: (isOrig, d, o, n) => isOrig && n >= 12 && d[o + 2] === 0x01 && d[o + 3] === 0x20 }],
      create: (ctx) => ({ deliverPacket: (isOrig, d, o) => { got.push({ port: ctx.respPort, isOrig, first: d[o + 2] }); } }),
    });
    r.register({
      name: 'NEVER', ports: [],
      detect: [{ proto: 'tcp', matches: () => true }],
      create: () => { throw new Error('a TCP signature must not be tried on UDP'); },
    });
    await run(tmp, ODD_PORT_PCAP, r);
    expect(r.detectorsFor('udp').map((a) => a.name)).to.deep.equal(['SNIFFED']);
    expect(got.map((g) => [g.port, g.isOrig, g.first])).to.deep.equal([[15353, true, 0x01], [15353, false, 0x85]]);
  });

  it('a signature that does not match the first payload of either direction never attaches', async () => {
    let created = 0;
    const r = registry();
    r.register({
      name: 'NOPE', ports: [],
      detect: [{ proto: 'udp', matches: (_i, d, o) => d[o] === 0xff && d[o + 1] === 0xff }],
      create: () => { created++; return {}; },
    });
    await run(tmp, ODD_PORT_PCAP, r);
    expect(created).to.equal(0);
  });

  it('shared tables expire on network time; end-of-input and rotation hooks run with the pipeline', async () => {
    const events: string[] = [];
    const r = registry();
    let connectionsEnded = 0;
    r.register({
      name: 'SHARER', ports: [{ proto: 'udp', port: 53 }],
      create: (ctx) => {
        const seen = ctx.shared.table<string, number>('sharer/clients', 3600, (k) => events.push(`expired ${k}`));
        return {
          deliverPacket: (isOrig) => { if (isOrig) seen.set(ctx.origAddr, (seen.get(ctx.origAddr) ?? 0) + 1); },
          end: () => { connectionsEnded++; },
        };
      },
    });
    r.shared.onEndOfInput(() => events.push(`end after ${connectionsEnded} connections, ${r.shared.table('sharer/clients', 1).size} clients`));
    r.shared.onRotation((boundary) => events.push(`rotation ${boundary}`));
    await run(tmp, UDP_PCAP, r, { intervalSeconds: 3600, onRotated: () => undefined });
    expect(events).to.deep.equal(['end after 4 connections, 1 clients', 'expired 35.184.172.191']);

    // The table itself: expiry counts from the last write, oldest first, on the clock the pipeline advances.
    const state = new SharedState();
    const expired: string[] = [];
    const t = state.table<string, number>('t', 10, (k, v) => expired.push(`${k}=${v}`));
    state.advanceTime(100);
    t.set('a', 1);
    state.advanceTime(105);
    t.set('b', 2);
    t.set('a', 3); // rewritten: now younger than b
    state.advanceTime(114);
    expect(expired).to.deep.equal([]);
    state.advanceTime(115);
    expect(expired).to.deep.equal(['b=2', 'a=3']);
    expect(t.size).to.equal(0);
    expect(state.table('t', 99)).to.equal(t);
    state.advanceTime(50); // time never goes back
    t.set('c', 4);
    state.advanceTime(124);
    expect(t.get('c')).to.equal(4);
  });

  it('runs the rotation hook at each boundary the capture crosses', async () => {
    const boundaries: number[] = [];
    const r = registry();
    r.shared.onRotation((b) => boundaries.push(b));
    // rrsig.pcap spans a few seconds: a 1 s interval crosses at least one boundary.
    await run(tmp, UDP_PCAP, r, { intervalSeconds: 1, onRotated: () => undefined });
    expect(boundaries.length).to.be.greaterThan(0);
    expect(boundaries.every((b) => Number.isInteger(b))).to.equal(true);
  });
});
