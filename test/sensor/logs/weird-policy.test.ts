// Zeek's weird policy in the sensor: which weirds become weird.log rows (actions, per-connection / per-originator /
// 10-minute de-duplication, the core's sampling), how decoder weirds are classed (net / flow, source), that a hostile
// capture's weird.log stays small, and that the policy's memory stays bounded whatever the traffic.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import type { WeirdRecord } from '../../../sensor/flows/conn-record';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { packetWeirdReporter } from '../../../sensor/logs/packet-weirds';
import { WeirdPolicy, WeirdPolicyOptions, ZEEK_WEIRD_DO_NOT_IGNORE_REPEATS } from '../../../sensor/logs/weird-policy';
import { SensorPipeline, SensorRunSummary } from '../../../sensor/pipeline';
import { buildPcap, SyntheticPacket } from '../capture/synthetic-captures';
import { buildFrame, PacketSpec } from '../flows/packet-builder';
import { readZeekLog } from './zeek-log-reader';

interface WeirdSpec {
  t: number;
  name: string;
  /** conn: uid + 4-tuple; flow: addresses, ports 0; net: nothing. */
  kind: 'conn' | 'flow' | 'net';
  uid?: string;
  orig?: string;
  resp?: string;
  origPort?: number;
  respPort?: number;
}

function weird(s: WeirdSpec): WeirdRecord {
  const tsSec = Math.floor(s.t);
  const rec: WeirdRecord = { tsSec, tsUsec: Math.round((s.t - tsSec) * 1e6), name: s.name, notice: false, peer: 'zeek', source: '' };
  if (s.kind !== 'net') {
    rec.origAddr = s.orig ?? '10.0.0.1';
    rec.respAddr = s.resp ?? '10.0.0.2';
    rec.origPort = s.kind === 'conn' ? s.origPort ?? 40000 : 0;
    rec.respPort = s.kind === 'conn' ? s.respPort ?? 80 : 0;
  }
  if (s.kind === 'conn') rec.uid = s.uid ?? 'Cconn1';
  return rec;
}

function policyRun(specs: WeirdSpec[], options: Partial<WeirdPolicyOptions> = {}): { rows: WeirdRecord[]; policy: WeirdPolicy } {
  const rows: WeirdRecord[] = [];
  const policy = new WeirdPolicy((r) => rows.push(r), options);
  for (const s of specs) policy.report(weird(s));
  return { rows, policy };
}

function repeat(n: number, f: (i: number) => WeirdSpec): WeirdSpec[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

describe('WeirdPolicy: weird.zeek actions and de-duplication', () => {
  it('logs an ACTION_LOG weird once per connection for 10 minutes (weird_ignore), then again', () => {
    const { rows } = policyRun([
      { t: 100, name: 'SYN_seq_jump', kind: 'conn' },
      { t: 200, name: 'SYN_seq_jump', kind: 'conn' },
      { t: 200, name: 'SYN_seq_jump', kind: 'conn', uid: 'Cother', origPort: 40001 },
      { t: 200, name: 'data_after_reset', kind: 'conn' },
      { t: 699, name: 'SYN_seq_jump', kind: 'conn' },
      { t: 700, name: 'SYN_seq_jump', kind: 'conn' },
    ]);
    expect(rows.map((r) => `${r.tsSec} ${r.uid} ${r.name}`)).to.deep.equal([
      '100 Cconn1 SYN_seq_jump',
      '200 Cother SYN_seq_jump',
      '200 Cconn1 data_after_reset',
      '700 Cconn1 SYN_seq_jump',
    ]);
  });

  it('keys weird_ignore by the connection tuple as it is at each weird: a role flip within one uid is a new identifier', () => {
    // Back-to-back weirds of one uid reuse the previous identifier; this checks the reuse notices a changed tuple.
    const flipped = { orig: '10.0.0.2', resp: '10.0.0.1', origPort: 80, respPort: 40000 };
    const { rows } = policyRun([
      { t: 100, name: 'data_before_established', kind: 'conn' },
      { t: 101, name: 'data_before_established', kind: 'conn', ...flipped },
      { t: 102, name: 'data_before_established', kind: 'conn', ...flipped },
      { t: 103, name: 'data_before_established', kind: 'conn', respPort: 81 },
      { t: 104, name: 'data_before_established', kind: 'conn' },
      { t: 105, name: 'SYN_seq_jump', kind: 'conn' },
      { t: 106, name: 'data_before_established', kind: 'flow' },
      { t: 107, name: 'data_before_established', kind: 'net' },
    ]);
    expect(rows.map((r) => `${r.tsSec} ${r.origAddr}:${r.origPort} ${r.respAddr}:${r.respPort} ${r.name}`)).to.deep.equal([
      '100 10.0.0.1:40000 10.0.0.2:80 data_before_established',
      '101 10.0.0.2:80 10.0.0.1:40000 data_before_established',
      '103 10.0.0.1:40000 10.0.0.2:81 data_before_established',
      '105 10.0.0.1:40000 10.0.0.2:80 SYN_seq_jump',
      '106 10.0.0.1:0 10.0.0.2:0 data_before_established',
      '107 undefined:undefined undefined:undefined data_before_established',
    ]);
  });

  it('logs ACTION_LOG_PER_ORIG checksum weirds once per originator across connections, for a day', () => {
    const { rows } = policyRun([
      { t: 10, name: 'bad_TCP_checksum', kind: 'conn', uid: 'C1' },
      { t: 11, name: 'bad_TCP_checksum', kind: 'conn', uid: 'C2', origPort: 40001 },
      { t: 12, name: 'bad_TCP_checksum', kind: 'conn', uid: 'C3', orig: '10.0.0.9' },
      { t: 5000, name: 'bad_TCP_checksum', kind: 'conn', uid: 'C4', origPort: 40002 },
      { t: 10 + 86_400, name: 'bad_TCP_checksum', kind: 'conn', uid: 'C5', origPort: 40003 },
    ]);
    expect(rows.map((r) => `${r.uid} ${r.origAddr}`)).to.deep.equal(['C1 10.0.0.1', 'C3 10.0.0.9', 'C5 10.0.0.1']);
    expect(ZEEK_WEIRD_DO_NOT_IGNORE_REPEATS.has('bad_TCP_checksum')).to.equal(true);
  });

  it('drops ACTION_IGNORE weirds and marks notice actions (notice = T), once per originator', () => {
    const { rows } = policyRun([
      { t: 1, name: 'unsolicited_SYN_response', kind: 'conn' },
      { t: 1, name: 'spontaneous_RST', kind: 'conn' },
      { t: 2, name: 'SYN_after_partial', kind: 'conn', uid: 'C1' },
      { t: 3, name: 'SYN_after_partial', kind: 'conn', uid: 'C2', origPort: 5 },
    ]);
    expect(rows.map((r) => `${r.name} ${r.notice}`)).to.deep.equal(['SYN_after_partial true']);
  });

  it('keeps ACTION_LOG_PER_CONN to one row per connection tuple', () => {
    const { rows } = policyRun([
      { t: 1, name: 'simultaneous_open', kind: 'conn', uid: 'C1' },
      { t: 1000, name: 'simultaneous_open', kind: 'conn', uid: 'C1' },
      { t: 1000, name: 'simultaneous_open', kind: 'conn', uid: 'C2', respPort: 81 },
    ]);
    expect(rows.map((r) => r.uid)).to.deep.equal(['C1', 'C2']);
  });

  it('de-duplicates flow weirds per address pair and net weirds by name alone', () => {
    const { rows } = policyRun([
      { t: 45, name: 'excessively_large_fragment', kind: 'flow' },
      { t: 46, name: 'excessively_large_fragment', kind: 'flow' },
      { t: 46, name: 'excessively_large_fragment', kind: 'flow', orig: '10.0.0.3' },
      { t: 46, name: 'truncated_IP', kind: 'net' },
      { t: 47, name: 'truncated_IP', kind: 'net' },
    ]);
    expect(rows.map((r) => `${r.tsSec} ${r.origAddr ?? '-'} ${r.name}`)).to.deep.equal([
      '45 10.0.0.1 excessively_large_fragment',
      '46 10.0.0.3 excessively_large_fragment',
      '46 - truncated_IP',
    ]);
  });
});

describe('WeirdPolicy: the core sampling (Reporter.cc, WeirdState.cc)', () => {
  // weird_ignore off (expires at once) so the script layer lets every sampled event through to the log.
  const samplingOnly: Partial<WeirdPolicyOptions> = { ignoreRepeatsSec: 0 };

  it('lets the first 25 of a net weird through, then one in 1000, and resets 10 minutes after the first', () => {
    expect(policyRun(repeat(2000, () => ({ t: 1, name: 'my_net_weird', kind: 'net' })), samplingOnly).rows).to.have.length(26);
    const again = [
      ...repeat(30, () => ({ t: 1, name: 'my_net_weird', kind: 'net' as const })),
      ...repeat(30, () => ({ t: 601, name: 'my_net_weird', kind: 'net' as const })),
    ];
    expect(policyRun(again, samplingOnly).rows).to.have.length(50);
    expect(policyRun(repeat(2000, () => ({ t: 1, name: 'x', kind: 'net' })), { ...samplingOnly, samplingRate: 0 }).rows).to.have.length(25);
    const white = { ...samplingOnly, samplingWhitelist: new Set(['x']) };
    expect(policyRun(repeat(2000, () => ({ t: 1, name: 'x', kind: 'net' })), white).rows).to.have.length(2000);
  });

  it('samples flow weirds per address pair and name', () => {
    const specs = [
      ...repeat(30, () => ({ t: 1, name: 'my_flow_weird', kind: 'flow' as const })),
      ...repeat(30, () => ({ t: 1, name: 'my_flow_weird', kind: 'flow' as const, orig: '10.9.9.9' })),
      ...repeat(30, () => ({ t: 1, name: 'other_flow_weird', kind: 'flow' as const })),
    ];
    expect(policyRun(specs, samplingOnly).rows).to.have.length(75);
    const global = { ...samplingOnly, samplingGlobalList: new Set(['my_flow_weird']) };
    expect(policyRun(specs, global).rows).to.have.length(50);
  });

  it('samples conn weirds per connection; sampling restarts after the duration and state ends with the connection', () => {
    const specs = [
      ...repeat(30, () => ({ t: 1, name: 'my_conn_weird', kind: 'conn' as const })),
      { t: 300, name: 'my_conn_weird', kind: 'conn' as const },
      { t: 602, name: 'my_conn_weird', kind: 'conn' as const },
    ];
    // 25 through; 26th starts sampling at t=1; t=300 is sampled out; t=602 is past 1 + 600: counter restarts.
    expect(policyRun(specs, samplingOnly).rows).to.have.length(26);
    const rows: WeirdRecord[] = [];
    const policy = new WeirdPolicy((r) => rows.push(r), samplingOnly);
    for (let i = 0; i < 30; i++) policy.report(weird({ t: 1, name: 'my_conn_weird', kind: 'conn' }));
    policy.connectionEnded('Cconn1');
    for (let i = 0; i < 30; i++) policy.report(weird({ t: 2, name: 'my_conn_weird', kind: 'conn' }));
    expect(rows).to.have.length(50);
    expect(policy.stats).to.deep.equal({ reported: 60, sampledOut: 10, suppressed: 0, logged: 50 });
  });

  it('holds at most maxTrackedKeys entries per table, whatever the traffic', () => {
    const max = 500;
    const rows: WeirdRecord[] = [];
    const policy = new WeirdPolicy((r) => rows.push(r), { maxTrackedKeys: max });
    for (let i = 0; i < 50_000; i++) {
      const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      policy.report(weird({ t: 1 + i / 1000, name: 'excessively_small_fragment', kind: 'flow', orig: a }));
      policy.report(weird({ t: 1 + i / 1000, name: 'SYN_seq_jump', kind: 'conn', uid: `C${i}`, orig: a }));
    }
    expect(rows.length).to.equal(100_000); // every one distinct: all logged
    expect(policy.trackedKeys()).to.be.at.most(5 * max);
    expect(policy.trackedKeys()).to.be.at.least(max); // the tables are really in use
  });

  it('property: bounded output, no repeat inside the ignore window, one row per originator for per-orig names', () => {
    const nameArb = fc.constantFrom('SYN_seq_jump', 'bad_TCP_checksum', 'truncated_IP', 'fragment_overlap', 'my_weird');
    const specArb = fc.record({
      dt: fc.integer({ min: 0, max: 400 }),
      name: nameArb,
      kind: fc.constantFrom<'conn' | 'flow' | 'net'>('conn', 'flow', 'net'),
      host: fc.integer({ min: 1, max: 3 }),
      port: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(specArb, { maxLength: 300 }), (items) => {
        let t = 1000;
        const specs: WeirdSpec[] = items.map((it) => {
          t += it.dt;
          return { t, name: it.name, kind: it.kind, orig: `10.0.0.${it.host}`, origPort: it.port, uid: `C${it.host}-${it.port}` };
        });
        const { rows, policy } = policyRun(specs, { maxTrackedKeys: 1000 });
        expect(rows.length).to.be.at.most(specs.length);
        expect(policy.trackedKeys()).to.be.at.most(5000);
        const lastByKey = new Map<string, number>();
        for (const r of rows) {
          const t0 = r.tsSec + r.tsUsec / 1e6;
          const perOrig = r.name === 'bad_TCP_checksum' || r.name === 'fragment_overlap';
          const key = perOrig
            ? `${r.name} ${r.origAddr ?? ''}`
            : `${r.name} ${r.uid ?? ''} ${r.origAddr ?? ''} ${r.origPort ?? ''}`;
          const prev = lastByKey.get(key);
          if (prev !== undefined) expect(t0 - prev).to.be.at.least(perOrig ? 86_400 : 600, key);
          lastByKey.set(key, t0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('packet weirds: net or flow, and the source analyzer, as Zeek reports them', () => {
  function decoderWeirds(frames: { frame: Buffer; wire?: number }[]): WeirdRecord[] {
    const out: WeirdRecord[] = [];
    const decoder = new PacketDecoder(packetWeirdReporter((r) => out.push(r), 'zeek'));
    const pkt = new DecodedPacket();
    frames.forEach(({ frame, wire }, i) => decoder.decode(1, frame, 0, frame.length, wire ?? frame.length, 100 + i, 0, pkt));
    return out;
  }
  const udp: PacketSpec = { t: 1, src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 53, proto: 'udp', payload: 'abcd' };

  it('IP header checks are net weirds from IP; bad_IP_checksum is a flow weird; transport truncation names TCP', () => {
    const longerThanWire = buildFrame(udp);
    longerThanWire.writeUInt16BE(1000, 16); // IPv4 total length past what was on the wire
    const badIpChecksum = buildFrame(udp);
    badIpChecksum[24] ^= 0xff;
    const shortTcp = buildFrame({ t: 1, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, options: Buffer.alloc(8) });
    shortTcp.writeUInt16BE(shortTcp.readUInt16BE(16) - 8, 16); // IP length cuts the TCP options
    const ipCsum = (b: Buffer): void => {
      b.writeUInt16BE(0, 24);
      let s = 0;
      for (let i = 14; i < 34; i += 2) s += b.readUInt16BE(i);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      b.writeUInt16BE(~s & 0xffff, 24);
    };
    ipCsum(shortTcp);
    const rows = decoderWeirds([{ frame: longerThanWire }, { frame: badIpChecksum }, { frame: shortTcp }, { frame: Buffer.alloc(10) }]);
    expect(rows.map((r) => [r.name, r.origAddr ?? '-', r.origPort ?? '-', r.source])).to.deep.equal([
      ['truncated_IP_len', '-', '-', 'IP'],
      ['bad_IP_checksum', '10.0.0.1', 0, 'IP'],
      ['truncated_header', '10.0.0.1', 0, 'TCP'],
      ['truncated_ethernet_frame', '-', '-', 'ETHERNET'],
    ]);
  });
});

describe('weird.log from the sensor pipeline on hostile captures', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-weird-policy-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runCapture(name: string, packets: SyntheticPacket[]): Promise<{ summary: SensorRunSummary; rows: Map<string, string>[] }> {
    const file = path.join(dir, `${name}.pcap`);
    fs.writeFileSync(file, buildPcap(packets, { littleEndian: true, nanoseconds: false, linkType: 1 }));
    const out = path.join(dir, name);
    fs.mkdirSync(out);
    const summary = await new SensorPipeline({
      source: openCaptureFile(file),
      logs: new LogWriterSet({ dir: out, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      uidSource: new UidSource(name),
    }).run();
    const log = path.join(out, 'weird.log');
    return { summary, rows: fs.existsSync(log) ? readZeekLog(log).rows : [] };
  }

  it('100,000 identical truncated packets over 3 hours: one net weird row per 10-minute window', async () => {
    const frame = buildFrame({ t: 0, src: '192.0.2.1', dst: '192.0.2.2', sport: 7, dport: 9, proto: 'udp', payload: 'x' });
    frame.writeUInt16BE(1400, 16); // claims more than the wire carried: truncated_IP_len on every packet
    const start = 1_700_000_000;
    const packets: SyntheticPacket[] = [];
    for (let i = 0; i < 100_000; i++) {
      const us = i * 108_000; // 108 ms apart: 10,799.9 s in all
      packets.push({ tsSec: start + Math.floor(us / 1e6), frac: us % 1e6, bytes: frame, wireLength: frame.length });
    }
    const { summary, rows } = await runCapture('truncated', packets);
    expect(summary.packets).to.equal(100_000);
    // The name's sampling counter and its weird_ignore entry both last 600 s from the row that started them, so
    // the next row comes with the first packet at or past +600 s: windows start at 0, ~600, ... ~10200 s: 18 rows.
    expect(rows).to.have.length(18);
    expect(summary.weirds).to.equal(18);
    let prev = -Infinity;
    for (const r of rows) {
      expect([r.get('name'), r.get('id.orig_h'), r.get('uid'), r.get('source')]).to.deep.equal(['truncated_IP_len', '-', '-', 'IP']);
      const ts = Number(r.get('ts'));
      expect(ts - prev).to.be.at.least(600);
      prev = ts;
    }
  });

  it('100,000 bad-checksum segments of one connection: a single bad_TCP_checksum row with the connection', async () => {
    const packets: SyntheticPacket[] = [];
    const start = 1_700_000_000;
    for (let i = 0; i < 100_000; i++) {
      const bytes = buildFrame({ t: 0, src: '10.1.1.1', dst: '10.2.2.2', sport: 40000, dport: 80, flags: 0x18, seq: 1 + i * 10, ack: 1, payload: '0123456789', badChecksum: true });
      packets.push({ tsSec: start + Math.floor(i / 100), frac: (i % 100) * 10_000, bytes, wireLength: bytes.length });
    }
    const { rows } = await runCapture('badsum', packets);
    expect(rows.map((r) => [r.get('name'), r.get('id.orig_h'), r.get('id.resp_p'), r.get('source')])).to.deep.equal([
      ['bad_TCP_checksum', '10.1.1.1', '80', 'TCP'],
    ]);
    expect(rows[0].get('uid')).to.match(/^C/);
  });
});
