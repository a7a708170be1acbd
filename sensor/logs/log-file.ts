// One open log file: header at open, rows buffered and written as whole lines, footer (#close) at close.
// Rows reach the disk when the buffer fills or on flush(), so a tailing agent never sees a torn line.

import * as fs from 'fs';
import * as path from 'path';
import { LogFormatter, zeekMetaTimestamp } from './log-formatter';

/** Buffered bytes that trigger a write (keeps syscalls few on the hot path). */
const FLUSH_BYTES = 256 * 1024;

export class LogFile<R> {
  private fd: number | undefined;
  private pending = '';
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
    this.pending = this.formatter.header(this.logPath, this.clock());
  }

  get rows(): number {
    return this.rowCount;
  }

  write(rec: R): void {
    this.pending += this.formatter.row(rec);
    this.rowCount++;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const buf = Buffer.from(this.pending, 'latin1');
    this.pending = '';
    writeFully(this.fd, buf, this.filePath);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.pending += this.formatter.footer(this.clock());
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeFully(fd: number, buf: Buffer, file: string): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
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
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const stamp = zeekMetaTimestamp(st.mtime);
  let target = `${base}.${stamp}${ext}`;
  for (let n = 1; fs.existsSync(target); n++) target = `${base}.${stamp}-${n}${ext}`;
  fs.renameSync(file, target);
}
