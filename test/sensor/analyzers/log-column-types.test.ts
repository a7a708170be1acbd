// The column types analyzer logs need (vector[string], vector[interval], set[string], count, bool, interval, enum),
// rendered by the ASCII and JSON writers byte for byte as Zeek writes them: checked against rows of Zeek's own
// dns.log baselines (an empty vector is `(empty)`, unset `-`, elements joined by the set separator `,`).

import { expect } from 'chai';
import * as path from 'path';
import { columnsOf, defineLog } from '../../../sensor/logs/log-schema';
import { ZeekAsciiFormatter } from '../../../sensor/logs/zeek-ascii-writer';
import { ZeekJsonFormatter } from '../../../sensor/logs/zeek-json-writer';
import { readZeekLog } from '../logs/zeek-log-reader';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

interface Row {
  uid: string;
  proto: string;
  transId: number;
  rtt?: number;
  query?: string;
  aa: boolean;
  answers?: string[];
  ttls?: number[];
  tags?: string[];
}

const column = columnsOf<Row>();
const testLog = defineLog<Row>({
  path: 'types_test',
  doc: 'Column types test.',
  columns: [
    column('uid', 'string', 'uid.', (r) => r.uid),
    column('proto', 'enum', 'proto.', (r) => r.proto),
    column('trans_id', 'count', 'id.', (r) => r.transId),
    column('rtt', 'interval', 'rtt.', (r) => r.rtt),
    column('query', 'string', 'query.', (r) => r.query),
    column('AA', 'bool', 'AA.', (r) => r.aa),
    column('answers', 'vector[string]', 'answers.', (r) => r.answers),
    column('TTLs', 'vector[interval]', 'TTLs.', (r) => r.ttls),
    column('tags', 'set[string]', 'tags.', (r) => r.tags),
  ],
  profiles: {},
});

describe('log column types', () => {
  const ascii = new ZeekAsciiFormatter(testLog.columns);

  it("renders Zeek's dns.log rows byte for byte (vectors of strings and intervals, unset and set columns)", () => {
    const expected = readZeekLog(path.join(ZEEK_CASES_DIR, 'dns-duplicate-reponses', 'expected-dns.log'));
    for (const row of expected.rows) {
      const answers = (row.get('answers') as string).split(',');
      const rtt = row.get('rtt') as string;
      const rec: Row = {
        uid: row.get('uid') as string, proto: row.get('proto') as string, transId: Number(row.get('trans_id')),
        rtt: rtt === '-' ? undefined : Number(rtt), query: row.get('query'), aa: row.get('AA') === 'T',
        answers, ttls: (row.get('TTLs') as string).split(',').map(Number),
      };
      const want = ['uid', 'proto', 'trans_id', 'rtt', 'query', 'AA', 'answers', 'TTLs'].map((c) => row.get(c)).join('\t') + '\t-\n';
      expect(ascii.row(rec)).to.equal(want);
    }
    // Zeek's nsec baseline: a set[string] column with four elements (auth), another unset (addl).
    const nsec = readZeekLog(path.join(ZEEK_CASES_DIR, 'dns-nsec', 'expected-dns.log'));
    const auth = nsec.rows[0].get('auth') as string;
    expect(ascii.row({ uid: 'u', proto: 'udp', transId: 1, aa: false, tags: auth.split(',') })).to.equal(`u\tudp\t1\t-\t-\tF\t-\t-\t${auth}\n`);
  });

  it('writes an empty vector as (empty), escapes a separator inside an element, and keeps 6 decimals', () => {
    expect(ascii.row({ uid: 'u', proto: 'tcp', transId: 0, aa: true, answers: [], ttls: [], tags: [] }))
      .to.equal('u\ttcp\t0\t-\t-\tT\t(empty)\t(empty)\t(empty)\n');
    expect(ascii.row({ uid: 'u', proto: 'tcp', transId: 65535, rtt: 0.0001, aa: true, answers: ['a,b', ''], ttls: [86400, 0.5] }))
      .to.equal('u\ttcp\t65535\t0.000100\t-\tT\ta\\x2cb,(empty)\t86400.000000,0.500000\t-\n');
  });

  it('writes JSON arrays: strings for vector[string], numbers for vector[interval]; unset columns left out', () => {
    const json = new ZeekJsonFormatter(testLog.columns);
    expect(json.row({ uid: 'u', proto: 'udp', transId: 7, aa: false, answers: ['1.2.3.4', 'x.example'], ttls: [30, 0.25] }))
      .to.equal('{"uid":"u","proto":"udp","trans_id":7,"AA":false,"answers":["1.2.3.4","x.example"],"TTLs":[30.0,0.25]}\n');
  });
});
