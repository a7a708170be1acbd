// What a log file format provides: header lines at open, one line per record, footer lines at close.
// All strings are byte strings (one char per byte, written as latin1): see zeek-string-escape.ts.

export interface LogFormatter<R> {
  /** Lines written when the file is opened ('' for none). */
  header(path: string, openedAt: Date): string;
  /** One record as one line, newline included. Never throws on odd values. */
  row(rec: R): string;
  /**
   * Optional fast path: writes exactly the bytes of row(rec) into `out` from `at` and returns the end offset, or -1
   * when it did not fit before `out.length` (the caller flushes and retries, or falls back to row()). Lets a formatter
   * skip building a string per value and per row.
   */
  rowInto?(rec: R, out: Buffer, at: number): number;
  /** Lines written when the file is closed ('' for none). */
  footer(closedAt: Date): string;
}

/** Zeek's #open/#close stamp: local time as %Y-%m-%d-%H-%M-%S (zeek/zeek Ascii::Timestamp). */
export function zeekMetaTimestamp(d: Date): string {
  const p = (n: number): string => (n < 10 ? '0' + n : String(n));
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}
