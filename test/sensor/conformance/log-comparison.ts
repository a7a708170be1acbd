// Compares one log the sensor wrote with Zeek's baseline for it, column by column on the columns both have.
// Rows are paired by their key columns (ts, id tuple, proto; masked values match anything), uids by "which rows
// share a uid" across every log of the case, since Zeek's uids come from its own seeded generator.

import { ZeekLogTable } from '../logs/zeek-log-reader';

// ip_proto tells apart connections of one address pair that differ only in their unknown IP protocol (ports 0).
const KEY_COLUMNS = ['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'ip_proto', 'name'];
/** File id columns: Zeek's fuids come from its keyed hash, so they are scored by grouping too (scoreFuidGroups). */
export const FUID_COLUMNS = ['fuid', 'orig_fuids', 'resp_fuids'];

export interface ColumnScore {
  matched: number;
  /** Matched rows where Zeek has this column (the denominator). */
  total: number;
}

export interface LogComparison {
  log: string;
  expectedRows: number;
  producedRows: number;
  matchedRows: number;
  /** Shared columns, in the baseline's order; `uid` scored by grouping. */
  columns: Map<string, ColumnScore>;
  /** Columns only Zeek has (reported, not scored). */
  missingColumns: string[];
  /** Paired rows: expected index → produced index. */
  pairs: [number, number][];
}

/** A baseline value that matches anything: Zeek's btest canonifiers mask timestamps as X's. */
export function isMasked(v: string): boolean {
  return /^X+(\.X+)?$/.test(v) || /^X{4}-X{2}-/.test(v);
}

function valuesEqual(expected: string, produced: string | undefined): boolean {
  return isMasked(expected) || expected === produced;
}

export function compareLog(log: string, expected: ZeekLogTable, produced: ZeekLogTable | undefined): LogComparison {
  const prodFields = new Set(produced?.fields ?? []);
  const shared = expected.fields.filter((f) => prodFields.has(f));
  const missingColumns = expected.fields.filter((f) => !prodFields.has(f));
  const keys = KEY_COLUMNS.filter((k) => shared.includes(k));
  const prodRows = produced?.rows ?? [];
  const used = new Array<boolean>(prodRows.length).fill(false);
  const pairs: [number, number][] = [];
  expected.rows.forEach((erow, ei) => {
    let found = -1;
    if (keys.length === 0) {
      // zeek-cut baselines without key columns: pair in order.
      found = used.indexOf(false);
    } else {
      for (let pi = 0; pi < prodRows.length && found < 0; pi++) {
        if (used[pi]) continue;
        if (keys.every((k) => valuesEqual(erow.get(k) ?? '', prodRows[pi].get(k)))) found = pi;
      }
    }
    if (found >= 0) {
      used[found] = true;
      pairs.push([ei, found]);
    }
  });
  const columns = new Map<string, ColumnScore>();
  for (const col of shared) {
    if (col === 'uid' || FUID_COLUMNS.includes(col)) continue; // scored across the case by scoreUidGroups() and scoreFuidGroups()
    let matched = 0;
    for (const [ei, pi] of pairs) if (valuesEqual(expected.rows[ei].get(col) ?? '', prodRows[pi].get(col))) matched++;
    columns.set(col, { matched, total: pairs.length });
  }
  if (shared.includes('uid')) columns.set('uid', { matched: 0, total: pairs.length });
  for (const col of FUID_COLUMNS) if (shared.includes(col)) columns.set(col, { matched: 0, total: pairs.length });
  return {
    log,
    expectedRows: expected.rows.length,
    producedRows: prodRows.length,
    matchedRows: pairs.length,
    columns,
    missingColumns,
    pairs,
  };
}

/**
 * Scores `uid` for every log of one case: a paired row's uid matches when, over all paired rows of the case, it shares
 * its uid with exactly the rows Zeek's row shares its uid with (unset `-` only matches unset).
 */
export function scoreUidGroups(
  logs: { comparison: LogComparison; expected: ZeekLogTable; produced: ZeekLogTable | undefined }[],
): void {
  const all: { e: string; p: string; score: ColumnScore }[] = [];
  for (const l of logs) {
    const score = l.comparison.columns.get('uid');
    if (!score || !l.produced) continue;
    for (const [ei, pi] of l.comparison.pairs) {
      all.push({ e: l.expected.rows[ei].get('uid') ?? '-', p: l.produced.rows[pi].get('uid') ?? '-', score });
    }
  }
  for (const a of all) {
    const ok =
      (a.e === '-') === (a.p === '-') &&
      (a.e === '-' || all.every((b) => (b.e === a.e) === (b.p === a.p)));
    if (ok) a.score.matched++;
  }
}

/**
 * Scores the fuid columns (files.log fuid, http.log orig_fuids/resp_fuids) for every log of one case: a paired row's
 * value matches when it lists as many fuids as Zeek's, and each one stands for Zeek's fuid at the same place
 * everywhere in the case (one-to-one over every paired row of every log); unset only matches unset.
 */
export function scoreFuidGroups(
  logs: { comparison: LogComparison; expected: ZeekLogTable; produced: ZeekLogTable | undefined }[],
): void {
  const cells: { e: string[]; p: string[]; score: ColumnScore }[] = [];
  const split = (v: string | undefined): string[] => (v === undefined || v === '-' ? [] : v === '(empty)' ? [] : v.split(','));
  for (const l of logs) {
    if (!l.produced) continue;
    for (const col of FUID_COLUMNS) {
      const score = l.comparison.columns.get(col);
      if (!score) continue;
      for (const [ei, pi] of l.comparison.pairs) {
        const produced = l.produced.rows[pi];
        cells.push({ e: split(l.expected.rows[ei].get(col)), p: split(produced.get(col)), score });
      }
    }
  }
  const eToP = new Map<string, Set<string>>();
  const pToE = new Map<string, Set<string>>();
  for (const c of cells) {
    if (c.e.length !== c.p.length) continue;
    c.e.forEach((e, i) => {
      const p = c.p[i];
      if (!eToP.has(e)) eToP.set(e, new Set());
      (eToP.get(e) as Set<string>).add(p);
      if (!pToE.has(p)) pToE.set(p, new Set());
      (pToE.get(p) as Set<string>).add(e);
    });
  }
  for (const c of cells) {
    if (c.e.length !== c.p.length) continue;
    const ok = c.e.every((e, i) => eToP.get(e)?.size === 1 && pToE.get(c.p[i])?.size === 1);
    if (ok) c.score.matched++;
  }
}
