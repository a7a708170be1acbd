// Zeek's ASCII (TSV) log format, as zeek/zeek's logging/writers/ascii and threading/formatters/Ascii write it:
// #separator/#set_separator/#empty_field/#unset_field/#path/#open/#fields/#types header, rows, #close footer.

import { Column, ZeekType } from './log-schema';
import { LogFormatter, zeekMetaTimestamp } from './log-formatter';
import { escapeAsciiBytes, hexEscape, toByteString } from './zeek-string-escape';

export interface AsciiSeparators {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
}

/** Zeek's LogAscii defaults. */
export const ZEEK_ASCII_DEFAULTS: AsciiSeparators = {
  separator: '\t',
  setSeparator: ',',
  emptyField: '(empty)',
  unsetField: '-',
};

/** `time`: integer microseconds since the epoch → seconds with exactly 6 decimals. */
export function formatTime(micros: number): string {
  const neg = micros < 0;
  const abs = neg ? -micros : micros;
  const sec = Math.floor(abs / 1_000_000);
  const frac = String(abs - sec * 1_000_000);
  return (neg ? '-' : '') + sec + '.' + '000000'.slice(frac.length) + frac;
}

/** `interval`: seconds with 6 decimals (Zeek's Formatter::Render(double), std::to_chars fixed 6). */
export function formatInterval(seconds: number): string {
  if (!Number.isFinite(seconds)) return Number.isNaN(seconds) ? 'nan' : seconds > 0 ? 'inf' : '-inf';
  return seconds.toFixed(6);
}

/**
 * `double`: Zeek's ODesc::Add(d, no_exp=true): fixed 6 decimals with trailing zeros (and a bare dot) stripped, then
 * `.0` appended when the value is within 1e-9 of an integer, so 2 prints `2.0` but 2.0000004 prints `2`.
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  let s = Math.abs(d).toFixed(6);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  s = (d < 0 ? '-' : '') + s.slice(0, end);
  if (Math.abs(d - Math.round(d)) < 1e-9) s += '.0';
  return s;
}

/** Zeek's ASCII writer escapes a value that is exactly the unset or empty marker by hex-escaping its first byte. */
function escapeReserved(bytes: string, seps: AsciiSeparators): string | undefined {
  if (bytes === seps.unsetField || bytes === seps.emptyField) return hexEscape(bytes.charCodeAt(0)) + bytes.slice(1);
  return undefined;
}

export class ZeekAsciiFormatter<R> implements LogFormatter<R> {
  private readonly seps: AsciiSeparators;
  /** Char codes of one-char separators (-1 when longer): lets plain values skip the escaping machinery. */
  private readonly separatorCode: number;
  private readonly setSeparatorCode: number;
  private readonly values: string[];

  constructor(
    private readonly columns: readonly Column<R>[],
    seps: Partial<AsciiSeparators> = {},
  ) {
    this.seps = { ...ZEEK_ASCII_DEFAULTS, ...seps };
    this.separatorCode = this.seps.separator.length === 1 ? this.seps.separator.charCodeAt(0) : -1;
    this.setSeparatorCode = this.seps.setSeparator.length === 1 ? this.seps.setSeparator.charCodeAt(0) : -1;
    this.values = new Array<string>(columns.length).fill('');
  }

  header(path: string, openedAt: Date): string {
    const s = this.seps;
    return (
      `#separator ${escapeHeaderValue(s.separator)}\n` +
      `#set_separator${s.separator}${escapeHeaderValue(s.setSeparator)}\n` +
      `#empty_field${s.separator}${escapeHeaderValue(s.emptyField)}\n` +
      `#unset_field${s.separator}${escapeHeaderValue(s.unsetField)}\n` +
      `#path${s.separator}${escapeHeaderValue(path)}\n` +
      `#open${s.separator}${zeekMetaTimestamp(openedAt)}\n` +
      `#fields${s.separator}${this.columns.map((c) => c.name).join(s.separator)}\n` +
      `#types${s.separator}${this.columns.map((c) => c.type).join(s.separator)}\n`
    );
  }

  footer(closedAt: Date): string {
    return `#close${this.seps.separator}${zeekMetaTimestamp(closedAt)}\n`;
  }

  row(rec: R): string {
    const cols = this.columns;
    // Values go into one reused array joined once: appending column by column builds a new string per step.
    const values = this.values;
    for (let i = 0; i < cols.length; i++) values[i] = this.formatValue(cols[i].type, cols[i].get(rec));
    let line = values.join(this.seps.separator);
    // A row must not look like a meta line: Zeek escapes a leading '#'.
    if (line.charCodeAt(0) === 0x23) line = hexEscape(0x23) + line.slice(1);
    return line + '\n';
  }

  /**
   * row() written straight into `out` (see LogFormatter.rowInto): numbers as digits and plain strings byte by byte, no
   * string per value or per row; anything unusual (escaping, sets, non-integer times) goes through the string code.
   */
  rowInto(rec: R, out: Buffer, at: number): number {
    const separator = this.separatorCode;
    if (separator < 0 || this.setSeparatorCode < 0) return writeLatin1(this.row(rec), out, at);
    const cols = this.columns;
    const start = at;
    const limit = out.length;
    for (let i = 0; i < cols.length; i++) {
      if (i > 0) {
        if (at >= limit) return -1;
        out[at++] = separator;
      }
      at = this.valueInto(cols[i].type, cols[i].get(rec), out, at, limit);
      if (at < 0) return -1;
    }
    if (at >= limit) return -1;
    out[at++] = 0x0a;
    // A row that would start with '#' needs row()'s escaping: rare, so it takes the string path.
    if (out[start] === 0x23) return writeLatin1(this.row(rec), out, start);
    return at;
  }

  private valueInto(type: ZeekType, v: unknown, out: Buffer, at: number, limit: number): number {
    if (v === undefined || v === null) return writeLatin1(this.seps.unsetField, out, at);
    switch (type) {
      case 'time': {
        const micros = v as number;
        return Number.isSafeInteger(micros) ? writeTimeDigits(micros, out, at, limit) : writeLatin1(formatTime(micros), out, at);
      }
      case 'count':
      case 'int':
      case 'port': {
        const n = Math.trunc(v as number);
        return Number.isSafeInteger(n) ? writeIntegerDigits(n, out, at, limit) : writeLatin1(String(n), out, at);
      }
      case 'bool':
        if (at >= limit) return -1;
        out[at] = v ? 0x54 : 0x46;
        return at + 1;
      case 'addr':
      case 'subnet':
      case 'string':
      case 'enum': {
        const str = String(v);
        const end = str === this.seps.unsetField || str === this.seps.emptyField
          ? -2
          : writePlain(str, out, at, limit, this.separatorCode, this.setSeparatorCode);
        if (end !== -2) return end;
        return writeLatin1(this.formatString(str, undefined), out, at);
      }
      default:
        return writeLatin1(this.formatValue(type, v), out, at);
    }
  }

  private formatValue(type: ZeekType, v: unknown): string {
    const seps = this.seps;
    if (v === undefined || v === null) return seps.unsetField;
    switch (type) {
      case 'time':
        return formatTime(v as number);
      case 'interval':
        return formatInterval(v as number);
      case 'double':
        return formatDouble(v as number);
      case 'count':
      case 'int':
      case 'port':
        return String(Math.trunc(v as number));
      case 'bool':
        return v ? 'T' : 'F';
      case 'addr':
      case 'subnet':
      case 'string':
      case 'enum':
        return this.formatString(String(v), undefined);
      case 'set[string]':
      case 'set[enum]':
      case 'set[addr]':
      case 'vector[string]': {
        const items = v as readonly string[];
        if (items.length === 0) return seps.emptyField;
        let out = '';
        for (let i = 0; i < items.length; i++) {
          if (i > 0) out += seps.setSeparator;
          out += this.formatString(String(items[i]), seps.setSeparator);
        }
        return out;
      }
      case 'vector[interval]': {
        // Zeek's Ascii formatter: each element as an interval, joined by the set separator; an empty vector `(empty)`.
        const items = v as readonly number[];
        if (items.length === 0) return seps.emptyField;
        let out = '';
        for (let i = 0; i < items.length; i++) {
          if (i > 0) out += seps.setSeparator;
          out += formatInterval(items[i]);
        }
        return out;
      }
    }
  }

  private formatString(s: string, setSeparator: string | undefined): string {
    if (s.length === 0) return this.seps.emptyField;
    // Most values (addresses, uids, states, names) are printable ASCII with nothing to escape: one scan proves it.
    if (this.separatorCode >= 0 && this.setSeparatorCode >= 0 && isPlainValue(s, this.separatorCode, this.setSeparatorCode)) {
      return s === this.seps.unsetField || s === this.seps.emptyField ? (escapeReserved(s, this.seps) as string) : s;
    }
    const bytes = toByteString(s);
    return escapeReserved(bytes, this.seps) ?? escapeAsciiBytes(bytes, this.seps.separator, setSeparator);
  }
}

/** Writes byte string `s` at `at`; -1 when it does not fit. */
function writeLatin1(s: string, out: Buffer, at: number): number {
  if (at + s.length > out.length) return -1;
  return at + out.write(s, at, 'latin1');
}

/**
 * Copies `s` byte by byte when it is a plain value (see isPlainValue) and not empty; -2 when it is not (the caller
 * escapes it), -1 when it does not fit.
 */
function writePlain(s: string, out: Buffer, at: number, limit: number, separator: number, setSeparator: number): number {
  const length = s.length;
  if (length === 0) return -2;
  if (at + length > limit) return -1;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c || c === separator || c === setSeparator) return -2;
    out[at + i] = c;
  }
  return at + length;
}

/** String(n) for a safe integer, as ASCII digits; -1 when it does not fit. */
function writeIntegerDigits(n: number, out: Buffer, at: number, limit: number): number {
  if (n < 0) {
    if (at >= limit) return -1;
    out[at++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  if (at + digits > limit) return -1;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  return at + digits;
}

/** formatTime(micros) for a safe integer number of microseconds, as ASCII; -1 when it does not fit. */
function writeTimeDigits(micros: number, out: Buffer, at: number, limit: number): number {
  if (micros < 0) {
    if (at >= limit) return -1;
    out[at++] = 0x2d;
    micros = -micros;
  }
  const sec = Math.floor(micros / 1_000_000);
  let frac = micros - sec * 1_000_000;
  at = writeIntegerDigits(sec, out, at, limit);
  if (at < 0 || at + 7 > limit) return -1;
  out[at] = 0x2e;
  for (let i = at + 6; i > at; i--) {
    const q = Math.floor(frac / 10);
    out[i] = 0x30 + (frac - q * 10);
    frac = q;
  }
  return at + 7;
}

/**
 * True when `s` is printable ASCII without a backslash or either separator: escaping leaves such a value unchanged
 * (unless it is a reserved marker). The set separator is excluded even outside sets, which only sends more values down
 * the full path, never fewer.
 */
function isPlainValue(s: string, separator: number, setSeparator: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c || c === separator || c === setSeparator) return false;
  }
  return true;
}

/** Zeek's get_escaped_string(v, escape_all=false) for header values: spaces, controls and non-ASCII as \xNN. */
function escapeHeaderValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) out += hexEscape(c & 0xff);
    else out += v[i];
  }
  return out;
}
