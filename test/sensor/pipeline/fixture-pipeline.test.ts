// The whole pipeline on real loopback traffic (test/fixtures/pcaps, recorded by scripts/make-sensor-fixtures.sh):
// conn.log must agree with tshark on the same file (endpoints, packets and IP bytes per direction, payload bytes)
// and carry the connection state the scenario produces.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog } from '../logs/zeek-log-reader';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/pcaps');
/** Linux `lo` captures are Ethernet-framed: tshark's conversation bytes include a 14-byte header per frame. */
const ETHERNET_HEADER = 14;

const SCENARIOS: { file: string; proto: 'tcp' | 'udp'; state: string; history?: string }[] = [
  { file: 'http-curl.pcap', proto: 'tcp', state: 'SF' },
  { file: 'tls-openssl.pcap', proto: 'tcp', state: 'SF' },
  { file: 'tcp-rej.pcap', proto: 'tcp', state: 'REJ', history: 'Sr' },
  { file: 'dns-dig.pcap', proto: 'udp', state: 'SF', history: 'Dd' },
  { file: 'udp-noanswer.pcap', proto: 'udp', state: 'S0', history: 'D' },
];

interface Direction {
  frames: number;
  frameBytes: number;
}
interface Conversation {
  a: [string, number];
  b: [string, number];
  /** Frames/bytes from b to a (tshark's `<-`) and from a to b (`->`). */
  toA: Direction;
  toB: Direction;
}

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** `tshark -q -z conv,tcp|udp`: one entry per conversation line. */
function conversations(file: string, proto: string): Conversation[] {
  const out = tshark(['-r', file, '-q', '-z', `conv,${proto}`]);
  const convs: Conversation[] = [];
  const re = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+(\d+) bytes\s+(\d+)\s+(\d+) bytes/;
  for (const line of out.split('\n')) {
    if (!line.includes('<->')) continue;
    const m = re.exec(line);
    if (!m) throw new Error(`unexpected tshark conversation line: ${line}`);
    convs.push({
      a: [m[1], Number(m[2])],
      b: [m[3], Number(m[4])],
      toA: { frames: Number(m[5]), frameBytes: Number(m[6]) },
      toB: { frames: Number(m[7]), frameBytes: Number(m[8]) },
    });
  }
  return convs;
}

/** Payload bytes per sender `addr:port`, from tshark's per-packet transport lengths. */
function payloadBySender(file: string, proto: 'tcp' | 'udp'): Map<string, number> {
  const lenField = proto === 'tcp' ? 'tcp.len' : 'udp.length';
  const out = tshark(['-r', file, '-T', 'fields', '-e', 'ip.src', '-e', `${proto}.srcport`, '-e', lenField]);
  const sums = new Map<string, number>();
  for (const line of out.trim().split('\n')) {
    const [src, port, len] = line.split('\t');
    const payload = proto === 'tcp' ? Number(len) : Number(len) - 8;
    sums.set(`${src}:${port}`, (sums.get(`${src}:${port}`) ?? 0) + payload);
  }
  return sums;
}

describe('sensor pipeline on recorded loopback traffic (checked with tshark)', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-fixtures-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const sc of SCENARIOS) {
    it(`${sc.file}: one ${sc.proto} connection, ${sc.state}, packets and bytes as tshark counts them`, async () => {
      const pcap = path.join(FIXTURES, sc.file);
      const dir = path.join(tmp, sc.file);
      const summary = await new SensorPipeline({
        source: openCaptureFile(pcap),
        logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
        localNets: LocalNetworks.zeekDefault(),
        uidSource: new UidSource('fixtures'),
        // Loopback packets carry partial (offloaded) TCP/UDP checksums: run as `zeek -C` would be run on them.
        ignoreChecksums: true,
      }).run();
      const conn = readZeekLog(path.join(dir, 'conn.log'));
      const convs = conversations(pcap, sc.proto);
      expect(convs).to.have.length(1);
      expect(conn.rows).to.have.length(1);
      expect(summary.connections).to.equal(1);
      const row = conn.rows[0];
      const c = convs[0];
      // Zeek's originator sent the first packet; tshark's A side is the first packet's source too.
      const origIsA = row.get('id.orig_h') === c.a[0] && Number(row.get('id.orig_p')) === c.a[1];
      const [orig, resp] = origIsA ? [c.a, c.b] : [c.b, c.a];
      const [fromOrig, fromResp] = origIsA ? [c.toB, c.toA] : [c.toA, c.toB];
      expect([row.get('id.orig_h'), Number(row.get('id.orig_p'))]).to.deep.equal(orig);
      expect([row.get('id.resp_h'), Number(row.get('id.resp_p'))]).to.deep.equal(resp);
      expect(row.get('proto')).to.equal(sc.proto);
      expect(Number(row.get('orig_pkts'))).to.equal(fromOrig.frames);
      expect(Number(row.get('resp_pkts'))).to.equal(fromResp.frames);
      expect(Number(row.get('orig_ip_bytes'))).to.equal(fromOrig.frameBytes - ETHERNET_HEADER * fromOrig.frames);
      expect(Number(row.get('resp_ip_bytes'))).to.equal(fromResp.frameBytes - ETHERNET_HEADER * fromResp.frames);
      const payload = payloadBySender(pcap, sc.proto);
      if (fromOrig.frames + fromResp.frames === 1) {
        // Zeek's conn script sets duration and byte counts only when duration > 0.
        expect([row.get('duration'), row.get('orig_bytes'), row.get('resp_bytes')]).to.deep.equal(['-', '-', '-']);
      } else {
        expect(Number(row.get('orig_bytes'))).to.equal(payload.get(`${orig[0]}:${orig[1]}`) ?? 0);
        expect(Number(row.get('resp_bytes'))).to.equal(payload.get(`${resp[0]}:${resp[1]}`) ?? 0);
      }
      expect(row.get('conn_state')).to.equal(sc.state);
      if (sc.history) expect(row.get('history')).to.equal(sc.history);
      expect(row.get('local_orig')).to.equal('T'); // 127.0.0.0/8 is in Zeek's private address space
    });
  }

  it('reports a damaged capture after logging the packets before the damage', async () => {
    const pcap = path.join(FIXTURES, 'http-curl.pcap');
    const cut = path.join(tmp, 'cut.pcap');
    const bytes = fs.readFileSync(pcap);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const dir = path.join(tmp, 'cut');
    const pipeline = new SensorPipeline({
      source: openCaptureFile(cut),
      logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true,
    });
    let error: Error | undefined;
    await pipeline.run().catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.match(/cut\.pcap.*byte \d+/);
    const conn = readZeekLog(path.join(dir, 'conn.log'));
    expect(conn.rows).to.have.length(1);
    expect(Number(conn.rows[0].get('orig_pkts')) + Number(conn.rows[0].get('resp_pkts'))).to.equal(11);
    expect(conn.meta[conn.meta.length - 1]).to.match(/^#close\t/);
  });
});
