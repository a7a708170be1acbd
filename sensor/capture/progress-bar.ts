// A one-line progress bar for reading capture files on a terminal: `[=====>    ] 45% 120.3 MB/s 210k pkt/s`,
// drawn on stderr only when stderr is a TTY and at most about four times a second.

export interface ProgressBarOptions {
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Draw even when the stream is not a TTY (tests). */
  force?: boolean;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
  width?: number;
}

const MIN_REDRAW_MS = 250;

/** Renders the bar text: pure, so it can be tested without a terminal. */
export function renderProgress(bytesRead: number, totalBytes: number, packets: number, elapsedMs: number, width = 30): string {
  const fraction = totalBytes > 0 ? Math.min(1, Math.max(0, bytesRead / totalBytes)) : 0;
  const filled = Math.floor(fraction * width);
  const bar = filled >= width ? '='.repeat(width) : '='.repeat(filled) + '>' + ' '.repeat(width - filled - 1);
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const mbPerSec = bytesRead / 1e6 / seconds;
  const pktPerSec = packets / seconds;
  return `[${bar}] ${Math.floor(fraction * 100)}% ${mbPerSec.toFixed(1)} MB/s ${formatCount(pktPerSec)} pkt/s`;
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}k`;
  return `${Math.round(n)}`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  /** Lines drawn so far (tests check the rate limit). */
  draws = 0;

  constructor(private readonly opts: ProgressBarOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.force === true || this.stream.isTTY === true;
    this.now = opts.now ?? (() => Date.now());
    this.started = this.now();
  }

  /** Suits CaptureSource.run's onProgress. */
  readonly update = (bytesRead: number, totalBytes: number, packets: number): void => {
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw < MIN_REDRAW_MS) return;
    this.lastDraw = t;
    this.draws++;
    this.drawn = true;
    this.stream.write(`\r${renderProgress(bytesRead, totalBytes, packets, t - this.started, this.opts.width)}\x1b[K`);
  };

  /** Clears the line so later output starts clean. */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
