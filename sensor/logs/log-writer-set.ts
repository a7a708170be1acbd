// The sensor's open logs: one file per log path in LOGDIR, created on the first row (as Zeek does: no weird.log when
// there were no weirds), in the chosen profile and format; flush() pushes rows to disk, close() writes #close.

import * as fs from 'fs';
import * as path from 'path';
import { LogFile } from './log-file';
import { LogFormatter } from './log-formatter';
import { profileColumns } from './log-profile';
import { LogSchema, ProfileName } from './log-schema';
import { ZeekAsciiFormatter } from './zeek-ascii-writer';
import { ZeekJsonFormatter } from './zeek-json-writer';

export type LogFormat = 'ascii' | 'json';

export interface LogWriterSetOptions {
  dir: string;
  profile: ProfileName;
  format: LogFormat;
  /** Wall clock for #open/#close (tests pin it). */
  clock?: () => Date;
}

export class LogWriterSet {
  private readonly files = new Map<LogSchema<never>, LogFile<never>>();
  private readonly clock: () => Date;
  private closed = false;

  constructor(private readonly opts: LogWriterSetOptions) {
    this.clock = opts.clock ?? (() => new Date());
    try {
      fs.mkdirSync(opts.dir, { recursive: true });
    } catch (err) {
      throw new Error(`${opts.dir}: cannot create log directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  write<R>(schema: LogSchema<R>, rec: R): void {
    if (this.closed) return;
    // Map keys are schema objects; the cast only erases R for storage (each schema always maps to its own LogFile<R>).
    let file = this.files.get(schema as unknown as LogSchema<never>) as unknown as LogFile<R> | undefined;
    if (!file) {
      file = this.openFile(schema);
      this.files.set(schema as unknown as LogSchema<never>, file as unknown as LogFile<never>);
    }
    file.write(rec);
  }

  /** Files opened so far, with their row counts. */
  stats(): { file: string; rows: number }[] {
    return [...this.files.values()].map((f) => ({ file: f.filePath, rows: f.rows }));
  }

  flush(): void {
    for (const f of this.files.values()) f.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files.values()) f.close();
  }

  private openFile<R>(schema: LogSchema<R>): LogFile<R> {
    const columns = profileColumns(schema, this.opts.profile);
    const formatter: LogFormatter<R> =
      this.opts.format === 'json' ? new ZeekJsonFormatter(columns) : new ZeekAsciiFormatter(columns);
    const file = new LogFile(path.join(this.opts.dir, `${schema.path}.log`), schema.path, formatter, this.clock);
    file.open();
    return file;
  }
}
