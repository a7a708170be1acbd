// The committed conformance floor: per default-script Zeek case, the conn.log columns the sensor already matches on
// every row. A column listed here that stops matching is a regression; the lead raises the floor as flows improve
// (`npm run conformance -- --update-baseline` rewrites it from the current results).

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

export interface ConformanceBaseline {
  about: string;
  columns: string[];
  /** case → log → columns that must match on every row. */
  cases: Record<string, Record<string, string[]>>;
}

export function readBaseline(file = BASELINE_FILE): ConformanceBaseline {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ConformanceBaseline;
}

/** The floor the current results reach: default-script cases only, tracked columns only. */
export function baselineFromResults(results: CaseResult[]): ConformanceBaseline {
  const cases: Record<string, Record<string, string[]>> = {};
  for (const r of results) {
    if (r.extraScript) continue;
    const conn = r.logs.find((l) => l.log === 'conn.log');
    if (!conn) continue;
    const full = new Set(fullyMatchedColumns(conn));
    cases[r.name] = { 'conn.log': BASELINE_COLUMNS.filter((c) => full.has(c)) };
  }
  return {
    about:
      'Per default-script Zeek case: conn.log columns that must match Zeek on every row (test/sensor/conformance). ' +
      'Regenerate with `npm run conformance -- --update-baseline` once flows improve.',
    columns: BASELINE_COLUMNS,
    cases,
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
  return problems;
}
