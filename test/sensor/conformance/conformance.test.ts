// The conformance floor as a test: the sensor on every Zeek case must still match Zeek on each conn.log column the
// committed baseline lists for the default-script cases; and the comparison itself must notice a wrong value.

import { expect } from 'chai';
import * as path from 'path';
import { readZeekLog, parseZeekLog } from '../logs/zeek-log-reader';
import { BASELINE_COLUMNS, checkBaseline, readBaseline } from './conformance-baseline';
import { CaseResult, formatReport, runAllCases, ZEEK_CASES_DIR } from './conformance-runner';
import { compareLog } from './log-comparison';

describe('Zeek conformance', () => {
  let results: CaseResult[];
  before(async () => {
    results = await runAllCases();
  });

  it('runs every case in the index', () => {
    expect(results.length).to.equal(128);
    expect(formatReport(results)).to.match(/default-script cases, conn\.log: \d+ cases/);
  });

  it('keeps every conn.log column the committed baseline lists (default-script cases)', () => {
    const baseline = readBaseline();
    expect(Object.keys(baseline.cases).length).to.be.greaterThan(0);
    for (const cols of Object.values(baseline.cases)) {
      for (const c of cols['conn.log'] ?? []) expect(BASELINE_COLUMNS).to.include(c);
    }
    expect(checkBaseline(results, baseline)).to.deep.equal([]);
  });

  it('the comparison catches a changed value, a missing row and masked timestamps', () => {
    const expected = readZeekLog(path.join(ZEEK_CASES_DIR, 'core-q-in-q', 'expected-conn.log'));
    const same = compareLog('conn.log', expected, expected);
    expect(same.matchedRows).to.equal(2);
    expect(same.columns.get('history')).to.deep.equal({ matched: 2, total: 2 });
    const text = expected.meta.join('\n') + '\n' + expected.lines.map((l) => l.replace(/^XXXXXXXXXX\.XXXXXX/, '1.000000')).join('\n');
    const altered = parseZeekLog(text.replace('\tS0\tT\tT\t0\tD\t2\t92', '\tSF\tT\tT\t0\tD\t2\t92'));
    const cmp = compareLog('conn.log', expected, altered);
    expect(cmp.matchedRows).to.equal(2); // masked ts pairs with any ts
    expect(cmp.columns.get('conn_state')).to.deep.equal({ matched: 1, total: 2 });
    const oneRow = parseZeekLog(expected.meta.join('\n') + '\n' + expected.lines[1]);
    expect(compareLog('conn.log', expected, oneRow).matchedRows).to.equal(1);
  });
});
