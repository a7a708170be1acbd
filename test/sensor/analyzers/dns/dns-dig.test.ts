// Real traffic: dig against dnsmasq on 127.0.0.1:53, over UDP and TCP (test/fixtures/pcaps/dns-dig-types.pcap, recorded
// by record-dns-fixture.sh beside this file). Every dns.log row must say what tshark reads in the same capture: id,
// ports, query, type, class, rcode, flags, answers in order with their TTLs, rtt from the query to the answer.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { readZeekLog } from '../../logs/zeek-log-reader';
import { PCAPS_DIR } from '../../../helpers/fixture-paths';

const PCAP = path.join(PCAPS_DIR, 'dns-dig-types.pcap');
const FIELDS = ['frame.time_epoch', 'udp.srcport', 'tcp.srcport', 'udp.dstport', 'tcp.dstport', 'dns.id', 'dns.flags.response',
  'dns.qry.name', 'dns.qry.type', 'dns.qry.class', 'dns.flags.rcode', 'dns.flags.authoritative', 'dns.flags.truncated',
  'dns.flags.recdesired', 'dns.flags.recavail', 'dns.flags.z', 'dns.flags.authenticated', 'dns.flags.checkdisable',
  'dns.count.answers', 'dns.resp.type', 'dns.resp.ttl', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.mx.mail_exchange',
  'dns.srv.target', 'dns.txt', 'dns.ptr.domain_name'] as const;
type Field = typeof FIELDS[number];

function tsharkMessages(): Map<Field, string>[] {
  const out = execFileSync('tshark', ['-r', PCAP, '-Y', 'dns', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
    '-E', 'aggregator=|', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trimEnd().split('\n').map((line) => new Map(line.split('\t').map((v, i) => [FIELDS[i], v] as const)));
}

/** `1796328841.237485000` → `1796328841.237485` and its microseconds. */
function micros(epoch: string): number {
  const [s, f] = epoch.split('.');
  return Number(s) * 1e6 + Number(f.slice(0, 6));
}

function zeekTime(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

function list(m: Map<Field, string>, f: Field): string[] {
  const v = m.get(f) ?? '';
  return v === '' ? [] : v.split('|');
}

/** The answers tshark reads, written as Zeek writes them. */
function answersOf(resp: Map<Field, string>): { answers: string[]; ttls: string[] } {
  const n = Number(resp.get('dns.count.answers'));
  const values: Record<string, string[]> = {
    1: list(resp, 'dns.a'), 28: list(resp, 'dns.aaaa'), 5: list(resp, 'dns.cname'), 15: list(resp, 'dns.mx.mail_exchange'),
    33: list(resp, 'dns.srv.target'), 12: list(resp, 'dns.ptr.domain_name'),
  };
  const answers = list(resp, 'dns.resp.type').slice(0, n).map((t) => {
    if (t === '16') return list(resp, 'dns.txt').map((s) => `TXT ${s.length} ${s}`).join(' ');
    return (values[t] as string[]).shift() as string;
  });
  return { answers, ttls: list(resp, 'dns.resp.ttl').slice(0, n).map((t) => Number(t).toFixed(6)) };
}

describe('dns.log on real dig traffic (UDP and TCP) against tshark', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-dns-dig-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes one row per query with what tshark reads in the query and its response', async () => {
    await new SensorPipeline({
      source: openCaptureFile(PCAP),
      logs: new LogWriterSet({ dir: tmp, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true, // loopback: checksums offloaded
    }).run();
    const rows = readZeekLog(path.join(tmp, 'dns.log')).rows;
    const msgs = tsharkMessages();
    const queries = msgs.filter((m) => m.get('dns.flags.response') === '0');
    expect(queries.length).to.equal(12);
    const expected = queries.map((q) => {
      const port = q.get('udp.srcport') || q.get('tcp.srcport');
      const resp = msgs.find((m) => m.get('dns.flags.response') === '1' && m.get('dns.id') === q.get('dns.id') &&
        (m.get('udp.dstport') || m.get('tcp.dstport')) === port) as Map<Field, string>;
      const { answers, ttls } = answersOf(resp);
      const bit = (m: Map<Field, string>, f: Field): string => (m.get(f) === '1' ? 'T' : 'F');
      const z = Number(q.get('dns.flags.z')) * 4 + Number(q.get('dns.flags.authenticated')) * 2 + Number(q.get('dns.flags.checkdisable'));
      const rtt = (micros(resp.get('frame.time_epoch') as string) - micros(q.get('frame.time_epoch') as string)) / 1e6;
      const rcode = Number(resp.get('dns.flags.rcode'));
      return [
        zeekTime(micros(q.get('frame.time_epoch') as string)), port, q.get('udp.srcport') ? 'udp' : 'tcp',
        String(Number(q.get('dns.id'))), answers.length > 0 ? rtt.toFixed(6) : '-', (q.get('dns.qry.name') as string).toLowerCase(),
        String(Number(q.get('dns.qry.class'))), q.get('dns.qry.type'), String(rcode), rcode === 0 ? 'NOERROR' : 'REFUSED',
        answers.length > 0 ? bit(resp, 'dns.flags.authoritative') : 'F', bit(q, 'dns.flags.truncated'),
        bit(q, 'dns.flags.recdesired'), answers.length > 0 ? bit(resp, 'dns.flags.recavail') : 'F', String(z),
        answers.length > 0 ? answers.join(',') : '-', answers.length > 0 ? ttls.join(',') : '-',
      ];
    });
    const cols = ['ts', 'id.orig_p', 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qtype', 'rcode', 'rcode_name', 'AA', 'TC',
      'RD', 'RA', 'Z', 'answers', 'TTLs'];
    const produced = rows.map((r) => cols.map((c) => r.get(c)));
    const sortKey = (r: (string | undefined)[]): string => `${r[0]} ${r[3]}`;
    expect(produced.sort((a, b) => sortKey(a).localeCompare(sortKey(b))))
      .to.deep.equal(expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
    // Every kind dig asked for is there, over both transports, and the keep-open TCP connection carried two queries.
    expect(new Set(rows.map((r) => r.get('qtype_name')))).to.deep.equal(new Set(['A', 'AAAA', 'MX', 'SRV', 'TXT', 'PTR']));
    expect(rows.filter((r) => r.get('proto') === 'tcp')).to.have.length(4);
    const conn = readZeekLog(path.join(tmp, 'conn.log')).rows;
    expect(conn.every((c) => c.get('service') === 'dns')).to.equal(true);
    const tcpUids = rows.filter((r) => r.get('proto') === 'tcp').map((r) => r.get('uid'));
    expect(new Set(tcpUids).size).to.equal(3);
    expect(fs.existsSync(path.join(tmp, 'weird.log'))).to.equal(false);
  });
});
