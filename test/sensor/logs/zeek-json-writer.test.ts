// The JSON writer: Zeek's use_json line shape (flat `id.orig_h` keys, unset omitted, epoch time), numbers as rapidjson
// prints them, and any byte string yields a line that is valid UTF-8 and valid JSON (property).

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as path from 'path';
import { connLog } from '../../../sensor/logs/conn-log';
import { profileColumns } from '../../../sensor/logs/log-profile';
import { columnsOf, defineLog } from '../../../sensor/logs/log-schema';
import { formatJsonDouble, ZeekJsonFormatter } from '../../../sensor/logs/zeek-json-writer';
import { connRecordFromRow } from './baseline-records';
import { readZeekLog } from './zeek-log-reader';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

interface Sample {
  s: string;
}
const column = columnsOf<Sample>();
const sampleLog = defineLog<Sample>({
  path: 'sample',
  doc: 'test log',
  columns: [column('s', 'string', 'a string', (r) => r.s)],
  profiles: {},
});

describe('Zeek JSON writer', () => {
  it('writes a conn row as Zeek: flat keys in column order, unset omitted, epoch ts', () => {
    const table = readZeekLog(path.join(ZEEK_CASES_DIR, 'core-q-in-q', 'expected-conn.log'));
    const rec = { ...connRecordFromRow(table.rows[0]), tsSec: 1358985600, tsUsec: 123456 };
    const line = new ZeekJsonFormatter(profileColumns(connLog, 'zeek')).row(rec);
    expect(line.endsWith('}\n')).to.equal(true);
    expect(line).to.match(/^\{"ts":1358985600\.123456,"uid":"CHhAvVGS1DHFjwGM9","id\.orig_h":"172\.19\.51\.37",/);
    const obj = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(obj)).to.deep.equal([
      'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_bytes', 'resp_bytes',
      'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts',
      'resp_ip_bytes', 'ip_proto',
    ]);
    expect(obj).to.include({ 'id.orig_p': 47808, proto: 'udp', duration: 0.0001, local_orig: true, conn_state: 'S0' });
  });

  it('prints doubles as rapidjson does', () => {
    expect(formatJsonDouble(2)).to.equal('2.0');
    expect(formatJsonDouble(0.0001)).to.equal('0.0001');
    expect(formatJsonDouble(1e-7)).to.equal('1e-7');
    expect(formatJsonDouble(1e22)).to.equal('1e22');
    expect(formatJsonDouble(Number.NaN)).to.equal('null');
  });

  it('escapes strings as Zeek: bad bytes as \\xNN, quotes and controls JSON-escaped, UTF-8 kept', () => {
    const f = new ZeekJsonFormatter(sampleLog.columns);
    expect(f.row({ s: 'a"b\\c\n' })).to.equal('{"s":"a\\"b\\\\c\\n"}\n');
    expect(f.row({ s: '\u0001' })).to.equal('{"s":"\\\\x01"}\n');
    expect(f.row({ s: 'caf\u00c3\u00a9' })).to.equal('{"s":"caf\u00c3\u00a9"}\n');
    expect(f.row({ s: '\u00ff' })).to.equal('{"s":"\\\\xff"}\n');
  });

  it('yields valid UTF-8 JSON for any bytes (property)', () => {
    const f = new ZeekJsonFormatter(sampleLog.columns);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        const line = f.row({ s: Buffer.from(bytes).toString('latin1') });
        const buf = Buffer.from(line, 'latin1');
        const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
        const obj = JSON.parse(text) as { s: string };
        expect(obj.s).to.be.a('string');
        expect(text.split('\n')).to.have.length(2);
      }),
      { seed: 11, numRuns: 3000 },
    );
  });
});
