// Reads Zeek logs as the tests and the conformance runner need them: full ASCII logs (#fields/#types header) and
// zeek-cut style baselines (a bare header line of column names). Values stay text, unescaped like Zeek's reader does.

import * as fs from 'fs';

export interface ZeekLogTable {
  /** Column names in file order. */
  fields: string[];
  /** Zeek types when the file has a #types line. */
  types: string[] | undefined;
  /** Meta lines (`#separator ...`, `#fields ...`), in order, without the trailing newline. */
  meta: string[];
  /** Raw (still escaped) row lines. */
  lines: string[];
  /** Rows as field name → raw (escaped) text. */
  rows: Map<string, string>[];
}

export function parseZeekLog(text: string): ZeekLogTable {
  const meta: string[] = [];
  const lines: string[] = [];
  let fields: string[] | undefined;
  let types: string[] | undefined;
  for (const line of text.split(/\r?\n/)) { // one baseline has CRLF line ends; Zeek escapes a real CR
    if (line === '') continue;
    if (line.startsWith('### ')) continue; // btest-diff banner
    if (line.startsWith('#')) {
      meta.push(line);
      if (line.startsWith('#fields\t')) fields = line.slice(8).split('\t');
      if (line.startsWith('#types\t')) types = line.slice(7).split('\t');
      continue;
    }
    if (!fields) {
      // zeek-cut baseline: first line names the columns.
      fields = line.split('\t');
      continue;
    }
    lines.push(line);
  }
  const names = fields ?? [];
  const rows = lines.map((l) => {
    const vals = l.split('\t');
    const m = new Map<string, string>();
    names.forEach((n, i) => m.set(n, vals[i] ?? ''));
    return m;
  });
  return { fields: names, types, meta, lines, rows };
}

export function readZeekLog(file: string): ZeekLogTable {
  return parseZeekLog(fs.readFileSync(file, 'latin1'));
}

/** Zeek's get_unescaped_string: `\xNN` → that byte, `\\` → `\`; the result is a byte string (latin1). */
export function unescapeZeekValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 2, 2))) {
      out += String.fromCharCode(parseInt(s.substr(i + 2, 2), 16));
      i += 3;
    } else if (s[i] === '\\' && s[i + 1] === '\\') {
      out += '\\';
      i += 1;
    } else {
      out += s[i];
    }
  }
  return out;
}
