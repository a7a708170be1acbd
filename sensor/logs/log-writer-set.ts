// The sensor's open logs: one file per log path in LOGDIR, created on the first row (as Zeek does: no weird.log when
// there were no weirds), in the chosen profile and format; flush() pushes rows to disk, close() writes #close, and
// rotate() closes every open file and renames it as Zeek does (`conn.<open time>.log`); the next row opens a new one.

import * as fs from 'fs';
import * as path from 'path';
import { LogFile, renameWithStamp } from './log-file';
import { LogFormatter } from './log-formatter';
import { profileColumns } from './log-profile';
import { LogSchema, ProfileName } from './log-schema';
import { ZeekAsciiFormatter } from './zeek-ascii-writer';
import { ZeekJsonFormatter } from './zeek-json-writer';

export type LogFormat = 'ascii' | 'json';

/** One file rotate() closed and renamed: what Zeek hands its rotation postprocessor. */
export interface RotatedLog {
  /** The log's path (`conn`). */
  path: string;
  /** Where the closed file is now (`LOGDIR/conn.2026-11-23-16-00-00.log`). */
  file: string;
  /** Network time (seconds) when the file was opened, and when it was rotated. */
  openedAt: number;
  closedAt: number;
}

export interface LogWriterSetOptions {
  dir: string;
  profile: ProfileName;
  format: LogFormat;
  /**
   * Policy columns the `zeek` profile adds, as `LOG.COLUMN` (`conn.vlan`, `conn.orig_l2_addr`): what loading Zeek's
   * policy script for them would add. The `elsa` profile's fixed layouts ignore them.
   */
  policyColumns?: readonly string[];
  /** Wall clock for #open/#close (tests pin it). */
  clock?: () => Date;
}

export class LogWriterSet {
  /** Each open file, with the network time (seconds) it was opened at (names it when it is rotated). */
  private readonly files = new Map<LogSchema<never>, { file: LogFile<never>; openedAt: number }>();
  private readonly clock: () => Date;
  private closed = false;
  /** Network time as the pipeline last reported it (setNetworkTime): names rotated files as Zeek does. */
  private networkTime = 0;

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
    let file = this.files.get(schema as unknown as LogSchema<never>)?.file as unknown as LogFile<R> | undefined;
    if (!file) {
      file = this.openFile(schema);
      this.files.set(schema as unknown as LogSchema<never>, { file: file as unknown as LogFile<never>, openedAt: this.networkTime });
    }
    file.write(rec);
  }

  /** The pipeline's packet clock (whole seconds are enough: rotated names have one-second resolution). */
  setNetworkTime(seconds: number): void {
    this.networkTime = seconds;
  }

  /**
   * Closes every open file (#close written) and renames it to `<path>.<open time>.log`; later rows go to new files.
   * `closedAt` is the network time the rotation stands for (a scheduled boundary; default: now). Returns what was
   * rotated, in the order the logs were opened.
   */
  rotate(closedAt = this.networkTime): RotatedLog[] {
    const rotated: RotatedLog[] = [];
    for (const [schema, { file, openedAt }] of this.files) {
      file.close();
      const target = renameWithStamp(file.filePath, new Date(openedAt * 1000));
      rotated.push({ path: schema.path, file: target, openedAt, closedAt });
    }
    this.files.clear();
    return rotated;
  }

  /** Files opened so far, with their row counts. */
  stats(): { file: string; rows: number }[] {
    return [...this.files.values()].map(({ file }) => ({ file: file.filePath, rows: file.rows }));
  }

  flush(): void {
    for (const { file } of this.files.values()) file.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { file } of this.files.values()) file.close();
  }

  private openFile<R>(schema: LogSchema<R>): LogFile<R> {
    const prefix = `${schema.path}.`;
    const policy = new Set((this.opts.policyColumns ?? []).filter((q) => q.startsWith(prefix)).map((q) => q.slice(prefix.length)));
    const columns = profileColumns(schema, this.opts.profile, policy);
    const formatter: LogFormatter<R> =
      this.opts.format === 'json' ? new ZeekJsonFormatter(columns) : new ZeekAsciiFormatter(columns);
    const file = new LogFile(path.join(this.opts.dir, `${schema.path}.log`), schema.path, formatter, this.clock);
    file.open();
    return file;
  }
}
