// Test support: runs one Zeek case's capture through H5's reader and decoder into a ConnTracker and compares
// the resulting conn records with Zeek's expected-conn.log on the columns the flows stage owns.
import * as fs from 'fs';
import * as path from 'path';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { transportChecksumOk } from '../../../sensor/decode/checksum';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import type { ConnRecord, WeirdRecord } from '../../../sensor/flows/conn-record';
import { ConnTracker } from '../../../sensor/flows/conn-tracker';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../sensor/flows/likely-server-ports';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { readZeekLog } from '../logs/zeek-log-reader';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

export const ZEEK_CASES = ZEEK_CASES_DIR;

export interface CaseInfo {
  name: string;
  dir: string;
  trace: string;
  extraScript: boolean;
  ignoreChecksums: boolean;
  reportGapsForPartial: boolean;
}

export function conformanceCases(): CaseInfo[] {
  const names = fs.readdirSync(ZEEK_CASES).filter((n) => fs.existsSync(path.join(ZEEK_CASES, n, 'expected-conn.log'))).sort();
  return names.map((name) => {
    const dir = path.join(ZEEK_CASES, name);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as
      { trace: string; zeek_args: string; extra_script: boolean; redefs: string[] };
    return {
      name,
      dir,
      trace: path.join(dir, info.trace),
      extraScript: info.extra_script,
      ignoreChecksums: /(^|\s)-C(\s|$)/.test(info.zeek_args),
      reportGapsForPartial: info.redefs.some((r) => /report_gaps_for_partial\s*=\s*T/.test(r)),
    };
  });
}

export interface TrackerRun {
  conns: ConnRecord[];
  weirds: WeirdRecord[];
}

/** Reads the capture, decodes and tracks every packet, flushes at the end. */
export async function trackCapture(file: string, opts: { ignoreChecksums?: boolean; reportGapsForPartial?: boolean;
  analyzers?: AnalyzerRegistry } = {}): Promise<TrackerRun> {
  const conns: ConnRecord[] = [];
  const weirds: WeirdRecord[] = [];
  const tracker = new ConnTracker({
    localNets: LocalNetworks.zeekDefault(),
    analyzers: opts.analyzers ?? new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS }),
    onConnection: (rec) => conns.push(rec),
    onWeird: (rec) => weirds.push(rec),
    uidSource: new UidSource('test'),
    checksum: opts.ignoreChecksums ? undefined : transportChecksumOk,
    reportGapsForPartial: opts.reportGapsForPartial,
  });
  const decoder = new PacketDecoder({ weird: () => undefined }, { ignoreChecksums: opts.ignoreChecksums });
  const pkt = new DecodedPacket();
  await openCaptureFile(file).run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
    if (decoder.decode(linkType, frame, offset, capLength, wireLength, tsSec, tsUsec, pkt)) tracker.processPacket(pkt);
  });
  tracker.flushAll();
  return { conns, weirds };
}

/** The conn.log columns the flows stage decides, as Zeek prints them. */
export const FLOW_COLUMNS = ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_bytes',
  'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes',
  'resp_pkts', 'resp_ip_bytes'] as const;

function optional(v: number | boolean | undefined, fmt: (x: number | boolean) => string = String): string {
  return v === undefined ? '-' : fmt(v);
}

export function recordColumns(rec: ConnRecord): Record<string, string> {
  return {
    'id.orig_h': rec.origAddr,
    'id.orig_p': String(rec.origPort),
    'id.resp_h': rec.respAddr,
    'id.resp_p': String(rec.respPort),
    proto: rec.proto,
    duration: optional(rec.duration, (d) => (d as number).toFixed(6)),
    orig_bytes: optional(rec.origBytes),
    resp_bytes: optional(rec.respBytes),
    conn_state: rec.connState,
    local_orig: optional(rec.localOrig, (b) => (b ? 'T' : 'F')),
    local_resp: optional(rec.localResp, (b) => (b ? 'T' : 'F')),
    missed_bytes: String(rec.missedBytes),
    history: rec.history === '' ? '-' : rec.history,
    orig_pkts: String(rec.origPkts),
    orig_ip_bytes: String(rec.origIpBytes),
    resp_pkts: String(rec.respPkts),
    resp_ip_bytes: String(rec.respIpBytes),
    ip_proto: String(rec.ipProto),
  };
}

export interface RowDiff {
  key: string;
  diffs: string[];
}

export interface CaseComparison {
  expectedRows: number;
  matchedRows: number;
  diffs: RowDiff[];
}

/** Pairs rows by 5-tuple (in order) and lists every differing flow column. */
export function compareWithBaseline(caseInfo: CaseInfo, run: TrackerRun): CaseComparison {
  const table = readZeekLog(path.join(caseInfo.dir, 'expected-conn.log'));
  const columns = FLOW_COLUMNS.filter((c) => table.fields.includes(c));
  // ip_proto (where the baseline has it) tells apart unknown_transport connections of one address pair (ports 0).
  const withProto = table.fields.includes('ip_proto');
  const keyOf = (get: (c: string) => string): string =>
    `${get('id.orig_h')}:${get('id.orig_p')} > ${get('id.resp_h')}:${get('id.resp_p')} ${get('proto')}` +
    (withProto && get('proto') === 'unknown_transport' ? ` ip_proto ${get('ip_proto')}` : '');
  const ours = new Map<string, Record<string, string>[]>();
  for (const rec of [...run.conns].sort((a, b) => a.tsSec - b.tsSec || a.tsUsec - b.tsUsec)) {
    const cols = recordColumns(rec);
    const key = keyOf((c) => cols[c]);
    const list = ours.get(key) ?? [];
    list.push(cols);
    ours.set(key, list);
  }
  const result: CaseComparison = { expectedRows: table.rows.length, matchedRows: 0, diffs: [] };
  // Baselines cut down to a few columns have no connection ids: pair rows in creation order instead.
  const byOrder = !table.fields.includes('id.orig_h');
  const inOrder = byOrder ? [...ours.values()].flat() : [];
  if (byOrder) ours.clear();
  for (const row of table.rows) {
    const key = byOrder ? `row ${result.diffs.length + result.matchedRows + 1}` : keyOf((c) => row.get(c) ?? '');
    const mine = byOrder ? inOrder.shift() : ours.get(key)?.shift();
    if (!mine) {
      result.diffs.push({ key, diffs: ['missing: no such connection'] });
      continue;
    }
    const diffs = columns.filter((c) => (row.get(c) ?? '-') !== mine[c]).map((c) => `${c}: zeek ${row.get(c)} nsm ${mine[c]}`);
    if (diffs.length === 0) result.matchedRows++;
    else result.diffs.push({ key, diffs });
  }
  for (const [key, rest] of ours) for (let i = 0; i < rest.length; i++) result.diffs.push({ key, diffs: ['extra: Zeek has no such connection'] });
  for (const extra of inOrder) result.diffs.push({ key: keyOf((c) => extra[c]), diffs: ['extra: Zeek has no such connection'] });
  return result;
}
