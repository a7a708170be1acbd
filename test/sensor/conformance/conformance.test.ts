// The conformance floor as a test: the sensor on every Zeek case must still match Zeek on each conn.log column the
// committed baseline lists for the default-script cases and on each weird.log column and row ceiling it lists; and the
// comparison itself must notice a wrong value.

import { expect } from 'chai';
import * as path from 'path';
import { readZeekLog, parseZeekLog } from '../logs/zeek-log-reader';
import { BASELINE_COLUMNS, checkBaseline, readBaseline, WEIRD_BASELINE_COLUMNS } from './conformance-baseline';
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

  it('keeps the weird.log rows of the core cases that match Zeek, and writes no more rows than the floor allows', () => {
    const baseline = readBaseline();
    const weirdCases = Object.entries(baseline.cases).filter(([, logs]) => logs['weird.log'] !== undefined);
    // The packet/IP/TCP-level cases whose weird.log matches Zeek today: all three must stay in the floor.
    expect(weirdCases.map(([name]) => name)).to.include.members([
      'core-checksums_ignore_nets_runtime_update',
      'core-ipv6-reassembly-state-leak',
      'core-tcp-window-scale-range',
    ]);
    for (const [name, logs] of weirdCases) {
      for (const c of logs['weird.log']) expect(WEIRD_BASELINE_COLUMNS).to.include(c);
      expect(baseline.maxProducedRows?.[name]?.['weird.log'], name).to.be.a('number');
    }
    expect(checkBaseline(results, baseline)).to.deep.equal([]);
    // The floor notices a flood (the weird policy gone) and a lost row.
    const flooded = results.map((r) => ({ ...r, logs: r.logs.map((l) => (l.log === 'weird.log' ? { ...l, producedRows: l.producedRows + 6 } : l)) }));
    expect(checkBaseline(flooded, baseline).join('\n')).to.match(/core-checksums_ignore_nets_runtime_update weird\.log: 8 rows written, at most 2/);
    const lost = results.map((r) => ({ ...r, logs: r.logs.map((l) => (l.log === 'weird.log' ? { ...l, matchedRows: 0 } : l)) }));
    expect(checkBaseline(lost, baseline).join('\n')).to.match(/core-tcp-window-scale-range weird\.log name: rows matched 0\/1/);
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
