// One open log file: header at open, rows buffered and written as whole lines, footer (#close) at close.
// Rows reach the disk when the buffer fills or on flush(), so a tailing agent never sees a torn line.

import * as fs from 'fs';
import * as path from 'path';
import { LogFormatter, zeekMetaTimestamp } from './log-formatter';

/** Bytes buffered before a write (keeps syscalls few on the hot path). */
const BUFFER_BYTES = 256 * 1024;

export class LogFile<R> {
  private fd: number | undefined;
  /**
   * Rows are copied into one reused Buffer as they are formatted, instead of being appended to a string: a long
   * concatenated string is a tree of small pieces that every young-generation GC has to copy until it is written.
   */
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private rowCount = 0;

  constructor(
    readonly filePath: string,
    private readonly logPath: string,
    private readonly formatter: LogFormatter<R>,
    private readonly clock: () => Date,
  ) {}

  /** Opens the file (an existing one is first renamed aside, so its rows are kept) and writes the header. */
  open(): void {
    moveAsideIfPresent(this.filePath);
    try {
      this.fd = fs.openSync(this.filePath, 'w', 0o644);
    } catch (err) {
      throw new Error(`${this.filePath}: cannot create log file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    this.used = 0;
    this.append(this.formatter.header(this.logPath, this.clock()));
  }

  get rows(): number {
    return this.rowCount;
  }

  write(rec: R): void {
    this.rowCount++;
    const formatter = this.formatter;
    if (formatter.rowInto !== undefined) {
      // Straight into the buffer when the formatter can (no per-row string); a row that does not fit flushes first.
      let end = formatter.rowInto(rec, this.buffer, this.used);
      if (end < 0 && this.used > 0) {
        this.flush();
        if (this.used === 0) end = formatter.rowInto(rec, this.buffer, 0);
      }
      if (end >= 0) {
        this.used = end;
        return;
      }
    }
    this.append(formatter.row(rec));
  }

  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    const length = this.used;
    this.used = 0;
    writeFully(this.fd, this.buffer, length, this.filePath);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.append(this.formatter.footer(this.clock()));
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Whole lines only ever reach the file: a row that does not fit first flushes the rows before it. */
  private append(text: string): void {
    // Byte strings: one char per byte (see log-formatter.ts), so the length in chars is the length in bytes.
    if (this.used + text.length > this.buffer.length) {
      this.flush();
      if (text.length > this.buffer.length) {
        if (this.fd !== undefined) writeFully(this.fd, Buffer.from(text, 'latin1'), text.length, this.filePath);
        return;
      }
    }
    this.used += this.buffer.write(text, this.used, 'latin1');
  }
}

function writeFully(fd: number, buf: Buffer, length: number, file: string): void {
  let off = 0;
  while (off < length) {
    try {
      off += fs.writeSync(fd, buf, off, length - off);
    } catch (err) {
      throw new Error(`${file}: write failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}

/** `conn.log` from an earlier run becomes `conn.<its mtime as YYYY-MM-DD-HH-MM-SS>.log` (a numbered suffix if taken). */
function moveAsideIfPresent(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return;
  }
  renameWithStamp(file, st.mtime);
}

/**
 * Renames `dir/conn.log` to `dir/conn.<stamp>.log` (Zeek's rotated name: Log::default_rotation_date_format of `at`),
 * with a numbered suffix when that name is taken, so no earlier file is ever overwritten. Returns the new path.
 */
export function renameWithStamp(file: string, at: Date): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const stamp = zeekMetaTimestamp(at);
  let target = `${base}.${stamp}${ext}`;
  for (let n = 1; fs.existsSync(target); n++) target = `${base}.${stamp}-${n}${ext}`;
  fs.renameSync(file, target);
  return target;
}
