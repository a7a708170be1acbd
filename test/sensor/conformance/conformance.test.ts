// The conformance floor as a test: the sensor on every Zeek case must still match Zeek on each conn.log column the
// committed baseline lists for the default-script cases and on each weird.log column and row ceiling it lists; and the
// comparison itself must notice a wrong value.

import { expect } from 'chai';
import * as path from 'path';
import { readZeekLog, parseZeekLog } from '../logs/zeek-log-reader';
import { BASELINE_COLUMNS, checkBaseline, readBaseline, WEIRD_BASELINE_COLUMNS } from './conformance-baseline';
import { CaseResult, formatReport, runAllCases, ZEEK_CASES_DIR } from './conformance-runner';
import { compareLog, LogComparison } from './log-comparison';

describe('Zeek conformance', () => {
  let results: CaseResult[];
  before(async () => {
    results = await runAllCases();
  });

  it('runs every case in the index', () => {
    expect(results.length).to.equal(141);
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

  it('matches Zeek on every dns.log row and field (23 dns-* cases, 20 with a dns.log, and core-ipv6-frag: 37 rows)', () => {
    expect(results.filter((r) => r.name.startsWith('dns-'))).to.have.length(23);
    const dnsCases = results.filter((r) => r.logs.some((l) => l.log === 'dns.log'));
    expect(dnsCases).to.have.length(21);
    let fields = 0;
    let matched = 0;
    const perCase: Record<string, string> = {};
    for (const r of dnsCases) {
      const c = r.logs.find((l) => l.log === 'dns.log');
      if (!c) continue;
      let m = 0;
      let t = 0;
      for (const s of c.columns.values()) {
        m += s.matched;
        t += s.total;
      }
      fields += t;
      matched += m;
      perCase[r.name] = `rows ${c.matchedRows}/${c.expectedRows}/${c.producedRows} fields ${m}/${t} missing ${c.missingColumns.join(',')}`;
      // Two cases load a policy script adding auth/addl (Zeek's dns_skip_all_* off): those columns are not ours.
      const extraColumns = c.missingColumns.filter((col) => col !== 'auth' && col !== 'addl');
      expect(extraColumns, r.name).to.deep.equal([]);
    }
    expect(Object.keys(perCase)).to.have.length(21);
    for (const [name, line] of Object.entries(perCase)) {
      const rows = /rows (\d+)\/(\d+)\/(\d+) fields (\d+)\/(\d+)/.exec(line) as RegExpExecArray;
      expect(rows[1], `${name}: ${line}`).to.equal(rows[2]);
      expect(rows[3], `${name}: ${line}`).to.equal(rows[2]);
      expect(rows[4], `${name}: ${line}`).to.equal(rows[5]);
    }
    expect(fields).to.equal(37 * 26);
    expect(matched / fields).to.be.at.least(0.95);
    expect(matched).to.equal(fields);
    expect(formatReport(results)).to.match(/default-script cases, dns\.log: 6 cases, rows expected 9, produced 9, matched 9/);
  });

  it('matches Zeek on every http.log row of the 43 cases with one, and on >= 99 % of fields (file columns included)', () => {
    const FILE_COLUMNS = ['orig_fuids', 'orig_filenames', 'orig_mime_types', 'resp_fuids', 'resp_filenames', 'resp_mime_types'];
    let fileFields = 0;
    let fileMatched = 0;
    const httpCases = results.filter((r) => r.logs.some((l) => l.log === 'http.log'));
    expect(httpCases).to.have.length(43);
    let fields = 0;
    let matched = 0;
    let rows = 0;
    const differing: string[] = [];
    const extraRows: string[] = [];
    for (const r of httpCases) {
      const c = r.logs.find((l) => l.log === 'http.log');
      if (!c) continue;
      expect(c.matchedRows, `${r.name}: rows matched`).to.equal(c.expectedRows);
      if (c.producedRows !== c.expectedRows) extraRows.push(`${r.name} ${c.producedRows}/${c.expectedRows}`);
      expect(c.missingColumns, r.name).to.deep.equal([]);
      rows += c.expectedRows;
      for (const [name, s] of c.columns) {
        if (FILE_COLUMNS.includes(name)) {
          fileFields += s.total;
          fileMatched += s.matched;
        }
        fields += s.total;
        matched += s.matched;
        if (s.matched !== s.total) differing.push(`${r.name} ${name} ${s.matched}/${s.total}`);
      }
    }
    expect(rows).to.equal(121);
    // No row more than Zeek: the 400 reply to a garbage line after a finished transaction is not logged, since the
    // violation removed the analyzer (cruft), and a bad request line answered by an HTTP reply is (http-methods: the
    // reply re-attaches HTTP through Zeek's dpd_http_server signature).
    expect(extraRows).to.deep.equal([]);
    // What differs today, named so that a new difference (or a fixed one) shows up here: the password Zeek captures
    // only with a redef the case sets, one HTTP/0.9 reply body Zeek counts two bytes shorter, and for files: range
    // requests (Zeek makes one file of the 206 pieces across connections), a
    // message/rfc822 body (Zeek's MIME analyzer reads the multiparts nested in it: not built), and a reply before its
    // request's end (Zeek has no entity for it, so no file name).
    expect(differing).to.deep.equal([
      'http-concurrent-range-requests resp_fuids 0/3',
      'http-deeply-nested-mime orig_mime_types 0/1',
      'http-deeply-nested-mime orig_fuids 0/1',
      'http-http-basic-auth-colon password 0/1',
      'http-http-methods response_body_len 48/49',
      'http-missing-http-entity resp_filenames 0/1',
    ]);
    expect(matched / fields).to.be.at.least(0.99);
    // File columns (fuids scored by grouping, as uids): 606 of 612 fields.
    expect(fileFields).to.equal(612);
    expect(fileMatched).to.be.at.least(606);
    expect(formatReport(results)).to.match(/default-script cases, http\.log: 8 cases, rows expected 8, produced 8, matched 8/);
  });

  it('writes files.log for the HTTP case that has one: rows paired, source/depth/analyzers/MIME/direction right', () => {
    const r = results.find((x) => x.name === 'http-concurrent-range-requests') as CaseResult;
    const c = r.logs.find((l) => l.log === 'files.log');
    expect(c, 'files.log compared').to.not.equal(undefined);
    if (!c) return;
    expect([c.expectedRows, c.producedRows, c.matchedRows]).to.deep.equal([3, 3, 3]);
    for (const col of ['uid', 'source', 'depth', 'analyzers', 'mime_type', 'filename', 'local_orig', 'is_orig', 'total_bytes', 'overflow_bytes', 'parent_fuid']) {
      expect(c.columns.get(col), col).to.deep.equal({ matched: 3, total: 3 });
    }
    expect(c.missingColumns).to.deep.equal([]);
    // Not matched: Zeek joins the three 206 pieces into one file (one fuid, its offsets and missing bytes).
    expect(c.columns.get('fuid')).to.deep.equal({ matched: 0, total: 3 });
  });

  it("writes analyzer.log as Zeek 8 does: a confirmed HTTP analyzer's violation, every row and field", () => {
    const withAnalyzerLog = results.filter((r) => r.logs.some((l) => l.log === 'analyzer.log'));
    expect(withAnalyzerLog.map((r) => r.name)).to.deep.equal(['http-http-11-request-then-cruft']);
    const c = withAnalyzerLog[0].logs.find((l) => l.log === 'analyzer.log') as LogComparison;
    expect([c.expectedRows, c.producedRows, c.matchedRows]).to.deep.equal([1, 1, 1]);
    expect(c.missingColumns).to.deep.equal([]);
    const fields = [...c.columns.values()];
    expect(fields).to.have.length(12);
    expect(fields.filter((f) => f.matched === f.total && f.total === 1)).to.have.length(12);
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
