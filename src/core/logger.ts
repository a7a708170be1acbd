// The daemons' own log: one line per event, `ISO-time LEVEL component: message key=value ...`, to stderr or a file.
// Small and synchronous on purpose: daemon events are rare next to the data path, and a crash must not eat the last line.

import * as fs from 'fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

export const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

/** The mode a log file this process creates gets, whatever the umask: the agent's user writes, its group reads. */
export const LOG_FILE_MODE = 0o640;
const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND;

/**
 * Appends to `path`, creating it with LOG_FILE_MODE. Never through a symlink (O_NOFOLLOW: a link planted at
 * WORKDIR/agent.log would otherwise make a root agent append to any file); an existing file keeps its mode.
 */
export function fileSink(path: string): LogSink {
  let fd: number;
  try {
    fd = fs.openSync(path, APPEND | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, LOG_FILE_MODE);
    fs.fchmodSync(fd, LOG_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    fd = fs.openSync(path, APPEND | fs.constants.O_NOFOLLOW);
  }
  return { write: (line) => fs.writeSync(fd, line) };
}

/** Collects lines in memory: for tests that assert what a daemon reported. */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line.replace(/\n$/, ''));
  }
}

function formatValue(v: string | number | boolean): string {
  const s = String(v);
  return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
}

export function createLogger(component: string, sink: LogSink = stderrSink, minLevel: LogLevel = 'info'): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    let line = `${new Date().toISOString()} ${level.toUpperCase()} ${component}: ${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined || v === null) continue;
        line += ` ${k}=${formatValue(v)}`;
      }
    }
    sink.write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}.${sub}`, sink, minLevel),
  };
}

/** A logger that drops everything (for library use where the caller did not ask for logs). */
export const silentLogger: Logger = createLogger('silent', { write: () => undefined }, 'error');
