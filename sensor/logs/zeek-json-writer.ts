// Zeek's JSON log lines (LogAscii::use_json=T, zeek/zeek threading/formatters/JSON.cc): one object per line, keys are
// the column names (`id.orig_h`), unset columns omitted, time as epoch seconds, no header or footer lines.

import { Column, ZeekType } from './log-schema';
import { LogFormatter } from './log-formatter';
import { escapeUtf8, toByteString } from './zeek-string-escape';

const JSON_HEX = '0123456789ABCDEF';

/**
 * A double as rapidjson's Writer::Double prints it: shortest round-trip digits, `.0` on integral values, exponent
 * without `+` beyond 21 digits or below 1e-6; NaN and infinities as null (Zeek's NullDoubleWriter).
 */
export function formatJsonDouble(d: number): string {
  if (!Number.isFinite(d)) return 'null';
  const s = String(d);
  if (s.includes('e')) return s.replace('e+', 'e');
  return s.includes('.') ? s : s + '.0';
}

/** A byte string as a JSON string literal: Zeek's escape_utf8 (bad bytes as \xNN), then rapidjson's escaping. */
export function jsonStringLiteral(bytes: string): string {
  const v = escapeUtf8(bytes, false);
  let out = '"';
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c < 0x20) {
      if (c === 0x08) esc = '\\b';
      else if (c === 0x09) esc = '\\t';
      else if (c === 0x0a) esc = '\\n';
      else if (c === 0x0c) esc = '\\f';
      else if (c === 0x0d) esc = '\\r';
      else esc = '\\u00' + JSON_HEX[c >> 4] + JSON_HEX[c & 15];
    }
    if (esc !== undefined) {
      out += v.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + v.slice(start) + '"';
}

export class ZeekJsonFormatter<R> implements LogFormatter<R> {
  private readonly keys: readonly string[];

  constructor(private readonly columns: readonly Column<R>[]) {
    this.keys = columns.map((c) => jsonStringLiteral(toByteString(c.name)) + ':');
  }

  header(): string {
    return '';
  }

  footer(): string {
    return '';
  }

  row(rec: R): string {
    const cols = this.columns;
    let line = '{';
    let first = true;
    for (let i = 0; i < cols.length; i++) {
      const v = cols[i].get(rec);
      if (v === undefined || v === null) continue;
      if (!first) line += ',';
      first = false;
      line += this.keys[i] + formatJsonValue(cols[i].type, v);
    }
    return line + '}\n';
  }
}

function formatJsonValue(type: ZeekType, v: unknown): string {
  switch (type) {
    case 'time': {
      // Zeek's double: whole seconds plus microseconds / 1e6, printed shortest.
      const micros = v as number;
      const sec = Math.floor(micros / 1_000_000);
      return formatJsonDouble(sec + (micros - sec * 1_000_000) / 1e6);
    }
    case 'interval':
    case 'double':
      return formatJsonDouble(v as number);
    case 'count':
    case 'int':
    case 'port':
      return String(Math.trunc(v as number));
    case 'bool':
      return v ? 'true' : 'false';
    case 'addr':
    case 'subnet':
    case 'string':
    case 'enum':
      return jsonStringLiteral(toByteString(String(v)));
    case 'set[string]':
    case 'set[enum]':
    case 'set[addr]':
    case 'vector[string]':
      return '[' + (v as readonly string[]).map((s) => jsonStringLiteral(toByteString(String(s)))).join(',') + ']';
    case 'vector[interval]':
      return '[' + (v as readonly number[]).map(formatJsonDouble).join(',') + ']';
  }
}
