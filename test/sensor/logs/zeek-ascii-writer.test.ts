// The ASCII writer against Zeek's own output: every full-format conn.log and weird.log baseline in the shared Zeek cases
// re-written from its parsed rows must come out byte-identical, plus Zeek's escaping rules and a round-trip property.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { connLog } from '../../../sensor/logs/conn-log';
import { profileColumns } from '../../../sensor/logs/log-profile';
import { columnsOf, defineLog } from '../../../sensor/logs/log-schema';
import { weirdLog } from '../../../sensor/logs/weird-log';
import {
  formatDouble,
  formatInterval,
  formatTime,
  ZeekAsciiFormatter,
} from '../../../sensor/logs/zeek-ascii-writer';
import { connRecordFromRow, TIME_MASK, weirdRecordFromRow } from './baseline-records';
import { readZeekLog, unescapeZeekValue } from './zeek-log-reader';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

const CASES = ZEEK_CASES_DIR;

function baselineFiles(log: string): string[] {
  const out: string[] = [];
  for (const dir of fs.readdirSync(CASES)) {
    const f = path.join(CASES, dir, `expected-${log}.log`);
    if (fs.existsSync(f) && fs.readFileSync(f, 'latin1').includes('\n#fields\t')) out.push(f);
  }
  return out;
}

interface Sample {
  s: string;
  items: string[];
}
const column = columnsOf<Sample>();
const sampleLog = defineLog<Sample>({
  path: 'sample',
  doc: 'test log',
  columns: [column('s', 'string', 'a string', (r) => r.s), column('set', 'set[string]', 'a set', (r) => r.items)],
  profiles: {},
});
const sampleFormatter = new ZeekAsciiFormatter(sampleLog.columns);
const fieldOf = (s: string): string => sampleFormatter.row({ s, items: [] }).split('\t')[0];

describe('Zeek ASCII writer', () => {
  it('finds the shared baselines (conn.log and weird.log in full format)', () => {
    expect(baselineFiles('conn').length).to.be.greaterThan(20);
    expect(baselineFiles('weird').length).to.be.greaterThan(15);
  });

  it("writes conn.log's header exactly as Zeek (zeek profile), #open aside", () => {
    const expected = readZeekLog(path.join(CASES, 'core-q-in-q', 'expected-conn.log')).meta;
    const header = new ZeekAsciiFormatter(profileColumns(connLog, 'zeek'))
      .header('conn', new Date(2024, 0, 2, 3, 4, 5))
      .trimEnd()
      .split('\n');
    expect(header[5]).to.equal('#open\t2024-01-02-03-04-05');
    const mask = (l: string): string => (l.startsWith('#open') || l.startsWith('#close') ? l.slice(0, 5) : l);
    expect(header.map(mask)).to.deep.equal(expected.filter((l) => !l.startsWith('#close')).map(mask));
  });

  for (const [log, schema, toRecord] of [
    ['conn', connLog, connRecordFromRow],
    ['weird', weirdLog, weirdRecordFromRow],
  ] as const) {
    it(`re-writes every ${log}.log baseline row byte-identical to Zeek`, () => {
      let rows = 0;
      for (const file of baselineFiles(log)) {
        const table = readZeekLog(file);
        const formatter = new ZeekAsciiFormatter(profileColumns(schema as typeof connLog, 'zeek'));
        expect(table.fields, file).to.deep.equal(profileColumns(schema as typeof connLog, 'zeek').map((c) => c.name));
        table.rows.forEach((row, i) => {
          const rec = (toRecord as typeof connRecordFromRow)(row);
          let line = formatter.row(rec).replace(/\n$/, '');
          if (row.get('ts') === TIME_MASK) line = TIME_MASK + line.slice(line.indexOf('\t'));
          expect(line, `${file} row ${i + 1}`).to.equal(table.lines[i]);
          rows++;
        });
      }
      expect(rows).to.be.greaterThan(10);
    });
  }

  it('formats time, interval and double as Zeek', () => {
    expect(formatTime(1358985600_123456)).to.equal('1358985600.123456');
    expect(formatTime(1358985600_000007)).to.equal('1358985600.000007');
    expect(formatTime(0)).to.equal('0.000000');
    expect(formatInterval(0.0001)).to.equal('0.000100');
    expect(formatInterval(3.9700394)).to.equal('3.970039');
    expect(formatDouble(2)).to.equal('2.0');
    expect(formatDouble(0.5)).to.equal('0.5');
    expect(formatDouble(1.25e-7)).to.equal('0'); // Zeek: "0.000000" stripped, and not within 1e-9 of 0
    expect(formatDouble(2.0000004)).to.equal('2');
    expect(formatDouble(-3.14159265)).to.equal('-3.141593');
  });

  it('escapes like Zeek: separators, backslash, reserved markers, controls, bad UTF-8, leading #', () => {
    expect(fieldOf('a\tb')).to.equal('a\\x09b');
    expect(fieldOf('a\\b')).to.equal('a\\\\b');
    expect(fieldOf('-')).to.equal('\\x2d');
    expect(fieldOf('(empty)')).to.equal('\\x28empty)');
    expect(fieldOf('')).to.equal('(empty)');
    expect(fieldOf('line\nbreak')).to.equal('line\\x0abreak');
    expect(fieldOf('caf\u00c3\u00a9')).to.equal('caf\u00c3\u00a9'); // valid UTF-8 bytes pass through
    expect(fieldOf('\u00c3\u00a9\u00ff')).to.equal('\\xc3\\xa9\\xff'); // a bad byte escapes the whole chunk
    expect(fieldOf('a,b')).to.equal('a,b');
    expect(sampleFormatter.row({ s: 'x', items: ['a,b', '-', ''] })).to.equal('x\ta\\x2cb,\\x2d,(empty)\n');
    expect(sampleFormatter.row({ s: 'x', items: [] })).to.equal('x\t(empty)\n');
    expect(sampleFormatter.row({ s: '#x', items: [] })).to.equal('\\x23x\t(empty)\n');
    expect(sampleFormatter.row({ s: undefined as unknown as string, items: undefined as unknown as string[] })).to.equal(
      '-\t-\n',
    );
  });

  it('round-trips any byte string through escape and Zeek-style unescape (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 4 }), (bytes, set) => {
        const s = Buffer.from(bytes).toString('latin1');
        const items = set.map((b) => Buffer.from(b).toString('latin1'));
        // Zeek prints a set holding one empty string as (empty), like the empty set: not recoverable by design.
        fc.pre(!(items.length === 1 && items[0] === ''));
        const line = sampleFormatter.row({ s, items });
        // One line, two fields, nothing outside printable ASCII except valid UTF-8.
        expect(line.endsWith('\n')).to.equal(true);
        const fields = line.slice(0, -1).split('\t');
        expect(fields).to.have.length(2);
        expect(line.slice(0, -1)).to.not.match(/[\x00-\x08\x0a-\x1f\x7f]/);
        const back = fields[0] === '(empty)' ? '' : unescapeZeekValue(fields[0].replace(/^\\x23/, '#'));
        expect(back).to.equal(s);
        const backSet =
          fields[1] === '(empty)' ? [] : fields[1].split(',').map((e) => (e === '(empty)' ? '' : unescapeZeekValue(e)));
        expect(backSet).to.deep.equal(items);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
