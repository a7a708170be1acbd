// Runs the sensor pipeline on every Zeek case (test/fixtures/zeek-cases) in-process and compares its conn.log and
// weird.log with Zeek's, giving per-case and per-column scores; the table printer for `npm run conformance`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog, ZeekLogTable } from '../logs/zeek-log-reader';
import { compareLog, LogComparison, scoreFuidGroups, scoreUidGroups } from './log-comparison';
import { shippedRegistry } from '../../../sensor/analyzers/shipped-analyzers';
import { fileAnalysisOf } from '../../../sensor/analyzers/files/file-analysis';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

export { ZEEK_CASES_DIR };
export const COMPARED_LOGS = ['conn.log', 'weird.log', 'dns.log', 'http.log', 'files.log', 'software.log', 'notice.log', 'analyzer.log'];

interface CaseIndexEntry {
  case: string;
  trace: string;
  logs: string[];
  extra_script: boolean;
}

export interface CaseResult {
  name: string;
  extraScript: boolean;
  /** Set when the pipeline failed (message only); the logs up to the failure are still compared. */
  error?: string;
  logs: LogComparison[];
}

export function loadCaseIndex(dir = ZEEK_CASES_DIR): CaseIndexEntry[] {
  return JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as CaseIndexEntry[];
}

/** Zeek ran the case with -C (ignore checksums), alone or in a flag group such as `-Cr`? */
function ignoresChecksums(caseDir: string): boolean {
  const info = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8')) as { zeek_args?: string };
  return /(^|\s)-[A-Za-z]*C[A-Za-z]*(\s|$)/.test(info.zeek_args ?? '');
}

export async function runCase(entry: CaseIndexEntry, dir = ZEEK_CASES_DIR): Promise<CaseResult> {
  const caseDir = path.join(dir, entry.case);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-conformance-'));
  const result: CaseResult = { name: entry.case, extraScript: entry.extra_script, logs: [] };
  try {
    try {
      // The cases ran Zeek without hash-all-files: no file hashes (files.log analyzers stays empty).
      const analyzers = shippedRegistry();
      fileAnalysisOf(analyzers.shared).hashes = [];
      const pipeline = new SensorPipeline({
        analyzers,
        source: openCaptureFile(path.join(caseDir, entry.trace)),
        logs: new LogWriterSet({ dir: out, profile: 'zeek', format: 'ascii' }),
        localNets: LocalNetworks.zeekDefault(),
        uidSource: new UidSource(entry.case),
        ignoreChecksums: ignoresChecksums(caseDir),
      });
      await pipeline.run();
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
    }
    const tables: { comparison: LogComparison; expected: ZeekLogTable; produced: ZeekLogTable | undefined }[] = [];
    for (const log of COMPARED_LOGS) {
      const expectedFile = path.join(caseDir, `expected-${log}`);
      if (!fs.existsSync(expectedFile)) continue;
      const producedFile = path.join(out, log);
      const expected = readZeekLog(expectedFile);
      const produced = fs.existsSync(producedFile) ? readZeekLog(producedFile) : undefined;
      tables.push({ comparison: compareLog(log, expected, produced), expected, produced });
    }
    scoreUidGroups(tables);
    scoreFuidGroups(tables);
    result.logs = tables.map((t) => t.comparison);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return result;
}

export async function runAllCases(filter?: (name: string) => boolean): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const entry of loadCaseIndex()) {
    if (filter && !filter(entry.case)) continue;
    results.push(await runCase(entry));
  }
  return results;
}

/** A column is fully matched when every expected row was paired and the column agrees on each. */
export function fullyMatchedColumns(c: LogComparison): string[] {
  if (c.matchedRows !== c.expectedRows) return [];
  return [...c.columns].filter(([, s]) => s.matched === s.total).map(([name]) => name);
}

function pad(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : t + ' '.repeat(n - t.length);
}

/** The report: one table row per case and log, then per-column totals for default-script and other cases. */
export function formatReport(results: CaseResult[], verbose = false): string {
  const lines: string[] = [];
  lines.push(`${pad('case', 48)} ${pad('script', 7)} ${pad('log', 10)} ${pad('rows exp/prod/match', 20)} fields matched`);
  for (const r of results) {
    if (r.logs.length === 0 && !r.error) continue;
    for (const c of r.logs) {
      let fm = 0;
      let ft = 0;
      for (const s of c.columns.values()) {
        fm += s.matched;
        ft += s.total;
      }
      const rows = `${c.expectedRows}/${c.producedRows}/${c.matchedRows}`;
      lines.push(
        `${pad(r.name, 48)} ${pad(r.extraScript ? 'extra' : 'default', 7)} ${pad(c.log, 10)} ${pad(rows, 20)} ${fm}/${ft}`,
      );
      if (verbose) {
        const bad = [...c.columns].filter(([, s]) => s.matched !== s.total).map(([n, s]) => `${n} ${s.matched}/${s.total}`);
        if (bad.length > 0) lines.push(`    differing: ${bad.join(', ')}`);
      }
    }
    if (r.error) lines.push(`    error: ${r.error}`);
  }
  for (const extra of [false, true]) {
    const group = results.filter((r) => r.extraScript === extra);
    for (const log of COMPARED_LOGS) {
      const comps = group.flatMap((r) => r.logs.filter((c) => c.log === log));
      if (comps.length === 0) continue;
      const exp = comps.reduce((a, c) => a + c.expectedRows, 0);
      const prod = comps.reduce((a, c) => a + c.producedRows, 0);
      const match = comps.reduce((a, c) => a + c.matchedRows, 0);
      lines.push('');
      lines.push(
        `${extra ? 'extra-script' : 'default-script'} cases, ${log}: ${comps.length} cases, rows expected ${exp}, produced ${prod}, matched ${match}`,
      );
      const perColumn = new Map<string, { m: number; t: number }>();
      for (const c of comps) {
        for (const [name, s] of c.columns) {
          const acc = perColumn.get(name) ?? { m: 0, t: 0 };
          acc.m += s.matched;
          acc.t += s.total;
          perColumn.set(name, acc);
        }
      }
      for (const [name, s] of perColumn) {
        lines.push(`  ${pad(name, 16)} ${pad(`${s.m}/${s.t}`, 12)} ${s.t === 0 ? '' : ((100 * s.m) / s.t).toFixed(1) + '%'}`);
      }
    }
  }
  const errors = results.filter((r) => r.error).length;
  lines.push('');
  lines.push(`${results.length} cases run, ${errors} with pipeline errors`);
  return lines.join('\n');
}
