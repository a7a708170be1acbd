// Turns rows of Zeek's baseline conn.log / weird.log back into the records our writers take, so writer output can be
// compared line by line with what Zeek wrote. Masked timestamps become 0 (callers re-mask).

import { ConnRecord, TransportProto, WeirdRecord } from '../../../sensor/flows/conn-record';
import { unescapeZeekValue } from './zeek-log-reader';

export const TIME_MASK = 'XXXXXXXXXX.XXXXXX';

function unset(v: string | undefined): boolean {
  return v === undefined || v === '-';
}

function str(v: string | undefined): string | undefined {
  if (unset(v)) return undefined;
  if (v === '(empty)') return '';
  return unescapeZeekValue(v as string);
}

function num(v: string | undefined): number | undefined {
  return unset(v) ? undefined : Number(v);
}

function bool(v: string | undefined): boolean | undefined {
  return unset(v) ? undefined : v === 'T';
}

function time(v: string | undefined): { tsSec: number; tsUsec: number } {
  if (unset(v) || v === TIME_MASK) return { tsSec: 0, tsUsec: 0 };
  const [s, u] = (v as string).split('.');
  return { tsSec: Number(s), tsUsec: Number((u ?? '').padEnd(6, '0')) };
}

function set(v: string | undefined): string[] {
  if (unset(v) || v === '(empty)') return [];
  return (v as string).split(',').map((e) => unescapeZeekValue(e));
}

export function connRecordFromRow(row: Map<string, string>): ConnRecord {
  return {
    ...time(row.get('ts')),
    uid: str(row.get('uid')) ?? '',
    origAddr: str(row.get('id.orig_h')) ?? '',
    origPort: num(row.get('id.orig_p')) ?? 0,
    respAddr: str(row.get('id.resp_h')) ?? '',
    respPort: num(row.get('id.resp_p')) ?? 0,
    proto: (row.get('proto') ?? 'tcp') as TransportProto,
    services: (str(row.get('service')) ?? '') === '' ? [] : (str(row.get('service')) as string).split(','),
    duration: num(row.get('duration')),
    origBytes: num(row.get('orig_bytes')),
    respBytes: num(row.get('resp_bytes')),
    connState: str(row.get('conn_state')) ?? '',
    localOrig: bool(row.get('local_orig')),
    localResp: bool(row.get('local_resp')),
    missedBytes: num(row.get('missed_bytes')) ?? 0,
    history: str(row.get('history')) ?? '',
    origPkts: num(row.get('orig_pkts')) ?? 0,
    origIpBytes: num(row.get('orig_ip_bytes')) ?? 0,
    respPkts: num(row.get('resp_pkts')) ?? 0,
    respIpBytes: num(row.get('resp_ip_bytes')) ?? 0,
    tunnelParents: set(row.get('tunnel_parents')),
    vlan: num(row.get('vlan')),
    innerVlan: num(row.get('inner_vlan')),
    ipProto: num(row.get('ip_proto')) ?? 0,
  };
}

export function weirdRecordFromRow(row: Map<string, string>): WeirdRecord {
  return {
    ...time(row.get('ts')),
    uid: str(row.get('uid')),
    origAddr: str(row.get('id.orig_h')),
    origPort: num(row.get('id.orig_p')),
    respAddr: str(row.get('id.resp_h')),
    respPort: num(row.get('id.resp_p')),
    name: str(row.get('name')) ?? '',
    addl: str(row.get('addl')),
    notice: bool(row.get('notice')) ?? false,
    peer: str(row.get('peer')) ?? '',
    source: str(row.get('source')) ?? '',
  };
}
