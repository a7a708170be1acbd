// Cuts a file's byte stream into LF-terminated lines on Buffers. Holds back an unfinished last line until its LF
// arrives, drops empty lines, and cuts a line longer than maxLineBytes into pieces of maxLineBytes (the last piece
// holds the rest) so a file without newlines never makes memory grow without bound.

/** Receives one non-empty line (a copy, safe to keep) and the file offset just past what it consumed. */
export type LineSink = (line: Buffer, endOffset: number) => void;

const LF = 0x0a;

export class LineSplitter {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private consumed: number;
  /** Resuming inside a line (a damaged checkpoint): its rest, up to and including the next LF, is not a line. */
  private discarding = false;

  constructor(private readonly maxLineBytes: number, startOffset: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError(`maxLineBytes must be >= 1, got ${maxLineBytes}`);
    this.consumed = startOffset;
  }

  /** File offset just past the last LF (or cut piece) consumed: where the held-back partial line starts. */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes of an unfinished line held in memory (never more than maxLineBytes). */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /** Drops the bytes up to and including the next LF (they end a line that started before our offset). */
  discardUntilNewline(): void {
    this.discarding = true;
  }

  /** Splits chunk[0, length). The chunk may be reused by the caller afterwards: held bytes are copied. */
  push(chunk: Buffer, length: number, sink: LineSink): void {
    let pos = 0;
    if (this.discarding) {
      const lf = chunk.indexOf(LF, 0);
      if (lf === -1 || lf >= length) {
        this.consumed += length;
        return;
      }
      this.consumed += lf + 1;
      this.discarding = false;
      pos = lf + 1;
    }
    while (pos < length) {
      const lf = chunk.indexOf(LF, pos);
      const lineEnd = lf === -1 || lf >= length ? length : lf;
      let segmentStart = pos;
      while (this.heldBytes + (lineEnd - segmentStart) > this.maxLineBytes) {
        const take = this.maxLineBytes - this.heldBytes;
        this.consumed += this.maxLineBytes;
        sink(this.takeLine(chunk, segmentStart, segmentStart + take), this.consumed);
        segmentStart += take;
      }
      if (lineEnd === length) {
        if (segmentStart < length) {
          this.held.push(Buffer.from(chunk.subarray(segmentStart, length)));
          this.heldBytes += length - segmentStart;
        }
        return;
      }
      const lineBytes = this.heldBytes + (lineEnd - segmentStart);
      this.consumed += lineBytes + 1;
      if (lineBytes > 0) sink(this.takeLine(chunk, segmentStart, lineEnd), this.consumed);
      pos = lineEnd + 1;
    }
  }

  /** The file will not grow any more (rotated away, truncated): hands out the held-back partial line as a line. */
  flush(sink: LineSink): void {
    this.discarding = false;
    if (this.heldBytes === 0) return;
    this.consumed += this.heldBytes;
    const line = Buffer.concat(this.held, this.heldBytes);
    this.held.length = 0;
    this.heldBytes = 0;
    sink(line, this.consumed);
  }

  /** Forgets any held bytes and continues at `offset` (after a truncation). */
  reset(offset: number): void {
    this.discarding = false;
    this.held.length = 0;
    this.heldBytes = 0;
    this.consumed = offset;
  }

  private takeLine(chunk: Buffer, start: number, end: number): Buffer {
    let line: Buffer;
    if (this.heldBytes === 0) {
      line = Buffer.from(chunk.subarray(start, end));
    } else {
      this.held.push(chunk.subarray(start, end));
      line = Buffer.concat(this.held, this.heldBytes + (end - start));
    }
    this.held.length = 0;
    this.heldBytes = 0;
    return line;
  }
}
