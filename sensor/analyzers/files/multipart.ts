// MIME multipart bodies (RFC 2046) split into their parts, as Zeek's MIME analyzer does for HTTP and SMTP entities:
// line by line, a `--boundary` line starts a part (headers, a blank line, then data), `--boundary--` ends the body;
// a part that is itself multipart is split again. Each leaf part's data goes to its own file. Producer-neutral.

/** Longest line kept while looking for a delimiter; a longer line is data (a delimiter line is short). */
const MAX_LINE = 16 * 1024;
/** Nesting kept (Zeek's MIME analyzer has no limit; a hostile body could nest without end). */
const MAX_DEPTH = 20;

export interface MultipartSink {
  /** A leaf part starts: its headers (names upper-cased). */
  partBegin(headers: readonly { name: string; value: string }[]): void;
  partData(data: Buffer, offset: number, length: number): void;
  partEnd(): void;
}

/** The boundary of a `multipart/*` Content-Type value, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\//i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const b = m === null ? undefined : (m[1] ?? m[2]);
  return b === undefined || b === '' ? undefined : b;
}

const enum State { Preamble, Headers, Body, Epilogue }

export class MultipartSplitter {
  private state = State.Preamble;
  private readonly delimiter: string;
  private line = Buffer.alloc(0);
  /** Part of the current line was already given out as data: it cannot be a delimiter. */
  private midLine = false;
  private headers: { name: string; value: string }[] = [];
  /** Data of the current part started (a CRLF before the next line belongs to it). */
  private partHasData = false;
  /** How the last line ended (bare LF in binary data stays bare: the file keeps its bytes). */
  private eol: Buffer = CRLF;
  private inPart = false;
  private child: MultipartSplitter | undefined;

  constructor(boundary: string, private readonly sink: MultipartSink, private readonly depth = 0) {
    this.delimiter = '--' + boundary;
  }

  write(data: Buffer, offset: number, length: number): void {
    let at = offset;
    const end = offset + length;
    while (at < end) {
      const nl = data.indexOf(10, at);
      if (nl < 0 || nl >= end) {
        this.appendLine(data, at, end);
        return;
      }
      this.appendLine(data, at, nl);
      let l = this.line;
      const crlf = l.length > 0 && l[l.length - 1] === 13;
      if (crlf) l = l.subarray(0, l.length - 1);
      this.onLine(l, this.midLine);
      // The line break goes to the part before the next line (the last one before a delimiter is the delimiter's).
      this.eol = crlf ? CRLF : LF;
      this.line = Buffer.alloc(0);
      this.midLine = false;
      at = nl + 1;
    }
  }

  /** End of the body: an unterminated part ends here. */
  end(): void {
    if (this.line.length > 0) {
      let l = this.line;
      if (l[l.length - 1] === 13) l = l.subarray(0, l.length - 1);
      this.line = Buffer.alloc(0);
      this.onLine(l, this.midLine);
    }
    this.endPart();
    this.state = State.Epilogue;
  }

  private appendLine(data: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.line = this.line.length === 0 ? Buffer.from(data.subarray(from, to)) : Buffer.concat([this.line, data.subarray(from, to)]);
    if (this.line.length > MAX_LINE) {
      // Too long for a delimiter: what is kept is data (or dropped outside a part).
      if (this.state === State.Body) this.bodyLine(this.line, this.midLine);
      this.line = Buffer.alloc(0);
      this.midLine = true;
    }
  }

  private onLine(l: Buffer, continued: boolean): void {
    if (!continued && l.length >= this.delimiter.length && l[0] === 45 && l[1] === 45) {
      const text = l.toString('latin1');
      if (text.startsWith(this.delimiter)) {
        const rest = text.slice(this.delimiter.length);
        if (rest.startsWith('--')) {
          this.endPart();
          this.state = State.Epilogue;
          return;
        }
        if (rest.trim() === '') {
          this.endPart();
          this.state = State.Headers;
          this.headers = [];
          return;
        }
      }
    }
    switch (this.state) {
      case State.Headers:
        if (l.length === 0) this.beginPart();
        else this.headerLine(l.toString('latin1'));
        return;
      case State.Body:
        this.bodyLine(l, continued);
        return;
      default:
        return;
    }
  }

  private headerLine(text: string): void {
    if ((text[0] === ' ' || text[0] === '\t') && this.headers.length > 0) {
      const last = this.headers[this.headers.length - 1];
      last.value = (last.value + ' ' + text.trim()).trim();
      return;
    }
    const colon = text.indexOf(':');
    if (colon > 0) this.headers.push({ name: text.slice(0, colon).trim().toUpperCase(), value: text.slice(colon + 1).trim() });
  }

  private beginPart(): void {
    this.state = State.Body;
    this.partHasData = false;
    const ct = this.headers.find((h) => h.name === 'CONTENT-TYPE')?.value;
    const inner = this.depth < MAX_DEPTH ? multipartBoundary(ct) : undefined;
    if (inner !== undefined) {
      this.child = new MultipartSplitter(inner, this.sink, this.depth + 1);
    } else {
      this.inPart = true;
      this.sink.partBegin(this.headers);
    }
  }

  /** A line of part data: the line break before it belongs to the part, the one after it may be the delimiter's. */
  private bodyLine(l: Buffer, continued: boolean): void {
    if (this.child !== undefined) {
      if (this.partHasData && !continued) this.child.write(this.eol, 0, this.eol.length);
      this.child.write(l, 0, l.length);
      this.partHasData = true;
      return;
    }
    if (this.partHasData && !continued) this.sink.partData(this.eol, 0, this.eol.length);
    if (l.length > 0) this.sink.partData(l, 0, l.length);
    this.partHasData = true;
  }

  private endPart(): void {
    if (this.child !== undefined) {
      this.child.end();
      this.child = undefined;
    }
    if (this.inPart) {
      this.inPart = false;
      this.sink.partEnd();
    }
  }
}

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');
