// CPU seconds and resident memory of a running process, read from Linux /proc (the same figures `ps`/`time` report).

import * as fs from 'fs';

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86_64/arm64

export interface ProcessUsage {
  /** user + system CPU time consumed so far, in seconds */
  cpuSeconds: number;
  /** current resident set size, bytes */
  rssBytes: number;
  /** peak resident set size (VmHWM), bytes */
  peakRssBytes: number;
}

/** Reads /proc/PID/stat and /proc/PID/status; undefined once the process is gone. */
export function readProcessUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]); // field 14 of the whole line
    const stime = Number(fields[12]); // field 15
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    return { cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}
