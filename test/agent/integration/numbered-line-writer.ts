// Appends numbered lines to several log files the way Zeek/logrotate do, for the torture tests: continuous writes,
// rename rotation (the writer keeps writing to the renamed file for a moment, then reopens the path) and copytruncate.
// Each line is `TAG<TAB>SEQ<TAB>filler` so the receiver side can tell exactly which lines arrived.

import * as fs from 'fs';

interface WrittenFile {
  path: string;
  tag: string;
  fd: number;
  /** Descriptor of the renamed file while the writer still appends to it (Zeek finishing its rotation). */
  lingering?: number;
  next: number;
  rotations: number;
}

export const SEQ_DIGITS = 9;

export function numberedLine(tag: string, seq: number, fillerBytes: number): string {
  return `${tag}\t${String(seq).padStart(SEQ_DIGITS, '0')}\t${'x'.repeat(fillerBytes)}`;
}

/** Parses `TAG<TAB>SEQ<TAB>` anywhere in a received message; undefined when absent. */
export function parseNumbered(text: string): { tag: string; seq: number } | undefined {
  const m = /([A-Za-z0-9_]+)\t(\d{9})\t/.exec(text);
  return m ? { tag: m[1], seq: Number(m[2]) } : undefined;
}

export class NumberedLineWriter {
  private readonly files: WrittenFile[];
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(specs: Array<{ path: string; tag: string }>, private readonly fillerBytes = 120) {
    this.files = specs.map((s) => ({ path: s.path, tag: s.tag, fd: fs.openSync(s.path, 'a'), next: 0, rotations: 0 }));
  }

  /** Appends `count` lines to file `i` (to the lingering renamed file too, when `toRenamed`). */
  append(i: number, count: number, toRenamed = false): void {
    const f = this.files[i];
    let text = '';
    for (let k = 0; k < count; k++) text += numberedLine(f.tag, f.next++, this.fillerBytes) + '\n';
    fs.writeSync(toRenamed && f.lingering !== undefined ? f.lingering : f.fd, text);
  }

  /** Writes `linesPerTick` lines to every file every `intervalMs` until stop(). */
  start(intervalMs: number, linesPerTick: number): void {
    this.timer = setInterval(() => {
      if (this.paused) return;
      for (let i = 0; i < this.files.length; i++) this.append(i, linesPerTick, this.files[i].lingering !== undefined);
    }, intervalMs);
  }

  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Rename rotation: path → path.N; the writer keeps appending to the renamed file for `lingerMs`, then opens a new file at the path. */
  async rotateByRename(i: number, lingerMs: number): Promise<string> {
    const f = this.files[i];
    const renamed = `${f.path}.${++f.rotations}`;
    fs.renameSync(f.path, renamed);
    f.lingering = f.fd;
    await new Promise((r) => setTimeout(r, lingerMs));
    f.fd = fs.openSync(f.path, 'a');
    fs.closeSync(f.lingering);
    f.lingering = undefined;
    return renamed;
  }

  /** logrotate copytruncate: copy then truncate in place; the writer's O_APPEND descriptor carries on at the new end. */
  copyTruncate(i: number): string {
    const f = this.files[i];
    const copy = `${f.path}.${++f.rotations}`;
    fs.copyFileSync(f.path, copy);
    fs.truncateSync(f.path, 0);
    return copy;
  }

  /** Lines written so far per file (sequence numbers 0..n-1). */
  written(): Array<{ tag: string; count: number }> {
    return this.files.map((f) => ({ tag: f.tag, count: f.next }));
  }

  close(): void {
    this.stop();
    for (const f of this.files) {
      fs.closeSync(f.fd);
      if (f.lingering !== undefined) fs.closeSync(f.lingering);
    }
  }
}
