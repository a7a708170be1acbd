// The committed conformance floor: per default-script Zeek case, the conn.log columns the sensor already matches on
// every row; per case (extra scripts included) whose weird.log rows all match Zeek, its weird.log columns and a ceiling
// on the rows the sensor writes (so a broken weird policy that floods the log is caught too). A column listed here that
// stops matching is a regression; `npm run conformance -- --update-baseline` rewrites the floor from the current results.

import * as fs from 'fs';
import * as path from 'path';
import { CaseResult, fullyMatchedColumns } from './conformance-runner';

/** Source file (not the copy under dist/): four levels up from dist/test/sensor/conformance is the project root. */
export const BASELINE_FILE = path.resolve(__dirname, '../../../../test/sensor/conformance/conformance-baseline.json');

/** The conn.log columns the floor tracks. */
export const BASELINE_COLUMNS = [
  'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'conn_state', 'history',
  'orig_bytes', 'resp_bytes', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes',
];

/** The weird.log columns the floor tracks (Zeek's Weird::Info as logged). */
export const WEIRD_BASELINE_COLUMNS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'name', 'addl', 'notice', 'peer', 'source',
];

export interface ConformanceBaseline {
  about: string;
  columns: string[];
  weirdColumns?: string[];
  /** case → log → columns that must match on every row. */
  cases: Record<string, Record<string, string[]>>;
  /** case → log → most rows the sensor may write (weird.log: Zeek's sampling and policy keep it at Zeek's count). */
  maxProducedRows?: Record<string, Record<string, number>>;
}

export function readBaseline(file = BASELINE_FILE): ConformanceBaseline {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ConformanceBaseline;
}

/** The floor the current results reach: default-script cases only, tracked columns only. */
export function baselineFromResults(results: CaseResult[]): ConformanceBaseline {
  const cases: Record<string, Record<string, string[]>> = {};
  const maxProducedRows: Record<string, Record<string, number>> = {};
  for (const r of results) {
    const conn = r.logs.find((l) => l.log === 'conn.log');
    if (conn && !r.extraScript) {
      const full = new Set(fullyMatchedColumns(conn));
      cases[r.name] = { 'conn.log': BASELINE_COLUMNS.filter((c) => full.has(c)) };
    }
    const weird = r.logs.find((l) => l.log === 'weird.log');
    // Extra-script cases count here: the scripts of those tests do not touch which weirds the core raises.
    if (weird && weird.expectedRows > 0 && weird.matchedRows === weird.expectedRows) {
      const full = new Set(fullyMatchedColumns(weird));
      (cases[r.name] ??= {})['weird.log'] = WEIRD_BASELINE_COLUMNS.filter((c) => full.has(c));
      maxProducedRows[r.name] = { 'weird.log': weird.producedRows };
    }
  }
  return {
    about:
      'Per default-script Zeek case: conn.log columns that must match Zeek on every row; per case whose weird.log ' +
      'rows all match Zeek: its weird.log columns and the most rows the sensor may write (test/sensor/conformance). ' +
      'Regenerate with `npm run conformance -- --update-baseline` once flows improve.',
    columns: BASELINE_COLUMNS,
    weirdColumns: WEIRD_BASELINE_COLUMNS,
    cases,
    maxProducedRows,
  };
}

/** Regressions against the floor: one message per case/column that no longer matches on every row. */
export function checkBaseline(results: CaseResult[], baseline: ConformanceBaseline): string[] {
  const problems: string[] = [];
  for (const [name, logs] of Object.entries(baseline.cases)) {
    const r = results.find((x) => x.name === name);
    if (!r) {
      problems.push(`${name}: case was not run`);
      continue;
    }
    for (const [log, cols] of Object.entries(logs)) {
      const c = r.logs.find((l) => l.log === log);
      if (!c) {
        problems.push(`${name} ${log}: no comparison (baseline or output missing)`);
        continue;
      }
      const full = new Set(fullyMatchedColumns(c));
      for (const col of cols) {
        if (full.has(col)) continue;
        const s = c.columns.get(col);
        problems.push(
          `${name} ${log} ${col}: rows matched ${c.matchedRows}/${c.expectedRows}, column equal on ${s?.matched ?? 0}/${s?.total ?? 0}`,
        );
      }
    }
  }
  for (const [name, logs] of Object.entries(baseline.maxProducedRows ?? {})) {
    const r = results.find((x) => x.name === name);
    if (!r) continue; // already reported above when the case has columns, else nothing to compare
    for (const [log, max] of Object.entries(logs)) {
      const c = r.logs.find((l) => l.log === log);
      if (c && c.producedRows > max) problems.push(`${name} ${log}: ${c.producedRows} rows written, at most ${max} expected`);
    }
  }
  return problems;
}
