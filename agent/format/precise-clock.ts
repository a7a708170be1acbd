// Wall-clock time with microsecond precision for syslog timestamps (rsyslog writes 6 fraction digits; a JS Date
// has only milliseconds). Read once per batch of lines, not per line, so its cost stays off the per-line path.

/** A wall-clock reading: `time` to the millisecond plus the microseconds a Date cannot hold. */
export interface PreciseTime {
  time: Date;
  /** 0..999: microseconds beyond `time`'s milliseconds. */
  micros: number;
}

/** Re-anchor when the monotonic reading strays this far from Date.now() (NTP steps, slewing, suspend). */
const MAX_DRIFT_MS = 2;

/** Wall-clock ms minus performance.now() ms: the monotonic clock supplies the sub-millisecond digits. */
let anchorMs = Date.now() - performance.now();

/** The current wall-clock time, to the microsecond. Agrees with Date.now() to within MAX_DRIFT_MS. */
export function preciseNow(): PreciseTime {
  const wallMs = Date.now();
  const monotonicMs = performance.now();
  let nowMs = anchorMs + monotonicMs;
  if (Math.abs(nowMs - wallMs) >= MAX_DRIFT_MS) {
    anchorMs = wallMs - monotonicMs;
    nowMs = wallMs;
  }
  const wholeMs = Math.floor(nowMs);
  const micros = Math.min(999, Math.floor((nowMs - wholeMs) * 1000));
  return { time: new Date(wholeMs), micros };
}
