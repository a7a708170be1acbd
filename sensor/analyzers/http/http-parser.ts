// HTTP/1.x message framing over both directions of one TCP stream (Zeek's src/analyzer/protocol/http): request and
// status lines, headers, and bodies delimited by Content-Length, chunked encoding or the end of the stream, parsed
// incrementally from the buffers the connection hands in. It raises events; the analyzer turns them into http.log.

import * as zlib from 'zlib';

/** What the parser reports (Zeek's http_request, http_reply, http_header, http_message_done and weirds). */
export interface HttpEvents {
  request(method: string, uri: string, version: string): void;
  reply(version: string, code: number, reason: string): void;
  /** `name` upper-cased, as Zeek's http_header event gives it. */
  header(isOrig: boolean, name: string, value: string): void;
  messageDone(isOrig: boolean, bodyLength: number): void;
  /**
   * Body bytes as file analysis sees them: de-chunked, and decoded when the body has a gzip/deflate Content-Encoding
   * (such a body arrives in one piece at its end; one too big to keep is given as sent). Only during the call.
   */
  entityData?(isOrig: boolean, data: Buffer, offset: number, length: number): void;
  /** `length` body bytes were lost in a content gap. */
  entityGap?(isOrig: boolean, length: number): void;
  weird(name: string, addl?: string): void;
  /** A request or status line is not HTTP (Zeek's AnalyzerViolation); that direction is no longer parsed. */
  notHttp(reason: string): void;
}

/** Longest line kept (request/status line or header); the rest of a longer line is dropped, bounding memory. */
export const MAX_LINE = 16 * 1024;
/** Pipelined requests whose method the response side remembers (HEAD and CONNECT change how a reply is framed). */
const MAX_REMEMBERED_REQUESTS = 1000;
const INT64_MAX = 9223372036854775807n;
/**
 * Zeek counts a gzip/deflate body by its decompressed bytes. The compressed body is kept up to this many bytes and
 * inflated when the message ends; a longer one is counted as sent (bounded memory over Zeek's exact figure).
 */
export const MAX_ENCODED_BODY = 1024 * 1024;
/**
 * Compressed bytes kept at once by all the connections sharing one budget (one sensor run): beyond it a body is
 * counted as sent, so many concurrent gzip bodies cannot hold more than this.
 */
export const MAX_ENCODED_TOTAL = 32 * 1024 * 1024;
/** What the connections of one run hold of compressed bodies (see MAX_ENCODED_TOTAL). */
export interface EncodedBodyBudget {
  held: number;
}
/** Decompressed bytes counted at most (a decompression bomb stops here). */
export const MAX_DECODED_BODY = 64 * 1024 * 1024;

const enum State {
  /** Waiting for a request or status line. */
  FirstLine,
  Headers,
  /** Body of known remaining length. */
  Body,
  ChunkSize,
  ChunkData,
  /** The CRLF after a chunk's data. */
  ChunkEnd,
  Trailers,
  /** Body delimited by the end of this direction's stream. */
  UntilClose,
  /** Nothing more is parsed (tunnel after CONNECT, protocol upgrade, or unparseable data). */
  Stopped,
}

/** The method of an HTTP/0.9-style request line (no version): more than one letter, digit, `_` or `-`. */
const HTTP_09_METHODS = /^[A-Za-z0-9_-]{2,}$/;

/** HTTP's token characters (RFC 9110), for the method. */
function isTokenChar(c: number): boolean {
  if (c <= 32 || c >= 127) return false;
  return '()<>@,;:\\"/[]?={}'.indexOf(String.fromCharCode(c)) < 0;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** Zeek's unescape_URI: %XX decoded; a lone `%` at the end or a partial escape kept as is, with Zeek's weirds. */
export function unescapeUri(uri: string, weird: (name: string) => void): string {
  if (uri.indexOf('%') < 0) return uri;
  let out = '';
  const hex = (c: string) => /[0-9a-fA-F]/.test(c);
  for (let i = 0; i < uri.length; i++) {
    const ch = uri[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    if (i + 1 >= uri.length) {
      weird('illegal_%_at_end_of_URI');
      out += '%';
    } else if (i + 2 >= uri.length) {
      weird('partial_escape_at_end_of_URI');
      out += uri.slice(i);
      i = uri.length;
    } else if (hex(uri[i + 1]) && hex(uri[i + 2])) {
      out += String.fromCharCode(parseInt(uri.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      weird('bad_URI_escape');
      out += '%';
    }
  }
  return out;
}

/** A decimal Content-Length as Zeek accepts it: digits only, at most INT64_MAX; undefined if not. */
function parseContentLength(v: string): number | undefined {
  if (!/^[0-9]+$/.test(v)) return undefined;
  const n = BigInt(v);
  if (n > INT64_MAX) return undefined;
  return Number(n);
}

/** The line buffer of a direction that never needed one (never written: it grows before the first copy). */
const NO_LINE = Buffer.alloc(0);
/** First size of a direction's line buffer. */
const FIRST_LINE_BYTES = 256;

class Direction {
  state = State.FirstLine;
  /** A line split over segments, gathered here: made on first use (most lines lie in one segment and never need it). */
  line = NO_LINE;
  lineLen = 0;
  lineOverflow = false;
  /** Bytes of the line just read, CR and LF included. */
  rawLineLength = 0;
  /** An HTTP/0.9 request: its message ends with the connection, after the reply (as Zeek orders it). */
  endsWithConnection = false;
  /** Bytes of body left (Body, ChunkData). */
  remaining = 0;
  bodyLength = 0;
  inMessage = false;
  lastHeader: { name: string; value: string } | undefined;
  /** The message's headers, names upper-cased (as Zeek's events give them). */
  headers: { name: string; value: string }[] = [];
  version = '';
  /** Content-Encoding of the current body when Zeek decompresses it, and the compressed bytes kept so far. */
  encoding: 'gzip' | 'deflate' | undefined;
  encoded: Buffer[] = [];
  encodedLength = 0;
  /** Last body byte of a close-delimited body (-1: none yet). */
  lastByte = -1;
  constructor(readonly isOrig: boolean) {}
}

export class HttpParser {
  private readonly orig = new Direction(true);
  private readonly resp = new Direction(false);
  /** Requests not yet answered, oldest first: what framing their reply needs. */
  private readonly requests: { method: string; http09: boolean }[] = [];
  /** The reply being parsed answers this request (shifted from `requests` at its status line). */
  private answering: { method: string; http09: boolean } | undefined;
  private replyCode = 0;
  private sawFirst = { orig: false, resp: false };

  constructor(
    private readonly ev: HttpEvents,
    private readonly budget: EncodedBodyBudget = { held: 0 },
  ) {}

  deliver(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    const d = isOrig ? this.orig : this.resp;
    let at = offset;
    const end = offset + length;
    while (at < end) {
      switch (d.state) {
        case State.Stopped:
          return;
        case State.Body:
        case State.ChunkData: {
          const n = Math.min(d.remaining, end - at);
          d.remaining -= n;
          this.body(d, data, at, n);
          at += n;
          if (d.remaining === 0) {
            if (d.state === State.Body) this.messageDone(d);
            else d.state = State.ChunkEnd;
          }
          break;
        }
        case State.UntilClose: {
          // A reply to an HTTP/0.9 request, or one without a length: everything up to the close is body.
          this.body(d, data, at, end - at);
          // Zeek delivers such a body line by line: an unterminated last line counts two bytes more (its CRLF).
          d.lastByte = data[end - 1];
          at = end;
          break;
        }
        default: {
          const nl = data.indexOf(10, at);
          if (nl < 0 || nl >= end) {
            this.appendLine(d, data, at, end);
            return;
          }
          let line: string;
          if (d.lineLen === 0 && nl - at <= MAX_LINE) {
            // The whole line is in this segment (the common case): read it in place, no copy.
            const e = nl > at && data[nl - 1] === 13 ? nl - 1 : nl;
            line = data.toString('latin1', at, e);
            d.rawLineLength = nl - at + 1;
          } else {
            this.appendLine(d, data, at, nl);
            let len = d.lineLen;
            if (len > 0 && d.line[len - 1] === 13) len--;
            line = d.line.toString('latin1', 0, len);
            d.rawLineLength = d.lineLen + 1;
            d.lineLen = 0;
            d.lineOverflow = false;
          }
          at = nl + 1;
          this.onLine(d, line);
        }
      }
    }
  }

  /** `length` bytes of this direction will never arrive. */
  gap(isOrig: boolean, length: number): void {
    const d = isOrig ? this.orig : this.resp;
    if (d.state === State.Body || d.state === State.ChunkData) {
      const n = Math.min(d.remaining, length);
      d.remaining -= n;
      d.bodyLength += n;
      if (n > 0) this.ev.entityGap?.(isOrig, n);
      if (d.remaining === 0) {
        if (d.state === State.Body) this.messageDone(d);
        else d.state = State.ChunkEnd;
      }
      // The stream position after the gap is unknown if the gap ran past the body: stop rather than misparse.
      if (length > n) d.state = State.Stopped;
    } else if (d.state === State.UntilClose) {
      d.bodyLength += length;
      this.ev.entityGap?.(isOrig, length);
    } else if (d.state !== State.Stopped) {
      d.state = State.Stopped;
    }
  }

  /** This direction's stream ended: a message delimited by the close (or cut short) is done. */
  endOfStream(isOrig: boolean): void {
    const d = isOrig ? this.orig : this.resp;
    // An HTTP/0.9 request without its blank line ends with the connection (end()), after its reply, as Zeek orders it.
    if (d.endsWithConnection) return;
    if (d.inMessage) this.messageDone(d);
  }

  /** The connection is over: messages still open end, the reply side first. */
  end(): void {
    for (const d of [this.resp, this.orig]) if (d.inMessage) this.messageDone(d);
    for (const d of [this.resp, this.orig]) this.dropEncoded(d);
  }

  private body(d: Direction, data: Buffer, at: number, n: number): void {
    d.bodyLength += n;
    if (d.encoding === undefined) {
      if (n > 0) this.ev.entityData?.(d.isOrig, data, at, n);
      return;
    }
    if (d.encodedLength + n > MAX_ENCODED_BODY || this.budget.held + n > MAX_ENCODED_TOTAL) {
      // Too big to keep: file analysis gets the body as sent, from its start.
      for (const chunk of d.encoded) this.ev.entityData?.(d.isOrig, chunk, 0, chunk.length);
      this.dropEncoded(d);
      if (n > 0) this.ev.entityData?.(d.isOrig, data, at, n);
      return;
    }
    d.encoded.push(Buffer.from(data.subarray(at, at + n)));
    d.encodedLength += n;
    this.budget.held += n;
  }

  /** Gives the kept compressed bytes back to the budget; the body is counted as sent from here on. */
  private dropEncoded(d: Direction): void {
    this.budget.held -= d.encodedLength;
    d.encoding = undefined;
    d.encoded = [];
    d.encodedLength = 0;
  }

  /** The kept body decompressed, as Zeek's HTTP analyzer sees an encoded entity; undefined if undecodable. */
  private decodedBody(d: Direction): Buffer | undefined {
    const body = Buffer.concat(d.encoded);
    const opts = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED_BODY };
    // The framing from the first bytes (gzip magic, zlib header check), not from a failed try: a throw costs.
    const gzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
    const zlibHeader = body.length >= 2 && (body[0] & 0x0f) === 8 && ((body[0] << 8) | body[1]) % 31 === 0;
    try {
      if (gzip) return zlib.gunzipSync(body, opts);
      // `deflate` is zlib-wrapped by the RFC; servers that send it raw are common, and Zeek reads both.
      if (zlibHeader) return zlib.inflateSync(body, opts);
      return zlib.inflateRawSync(body, opts);
    } catch {
      return undefined;
    }
  }

  private appendLine(d: Direction, data: Buffer, from: number, to: number): void {
    let n = to - from;
    if (n <= 0) return;
    if (d.lineLen + n > MAX_LINE) {
      n = MAX_LINE - d.lineLen;
      d.lineOverflow = true;
    }
    if (d.lineLen + n > d.line.length) {
      const grown = Buffer.alloc(Math.min(MAX_LINE, Math.max(d.line.length * 2, d.lineLen + n, FIRST_LINE_BYTES)));
      d.line.copy(grown, 0, 0, d.lineLen);
      d.line = grown;
    }
    data.copy(d.line, d.lineLen, from, from + n);
    d.lineLen += n;
  }

  private onLine(d: Direction, line: string): void {
    switch (d.state) {
      case State.FirstLine:
        if (line === '') return; // blank lines between messages are skipped
        if (d.isOrig) this.requestLine(d, line);
        else this.statusLine(d, line);
        return;
      case State.Headers:
      case State.Trailers:
        this.headerLine(d, line);
        return;
      case State.ChunkSize:
        this.chunkSizeLine(d, line);
        return;
      case State.ChunkEnd:
        // The CRLF after the data; anything else is tolerated as Zeek does (the next line is the next size).
        d.state = State.ChunkSize;
        if (line !== '') this.chunkSizeLine(d, line);
        return;
      default:
        return;
    }
  }

  private requestLine(d: Direction, line: string): void {
    let i = 0;
    while (i < line.length && isTokenChar(line.charCodeAt(i))) i++;
    const method = line.slice(0, i);
    if (method === '' || i >= line.length || !isSpace(line.charCodeAt(i))) {
      this.badRequest(d, /[ \t]HTTP\/[0-9]\.[0-9]/.test(line) ? 'bad_HTTP_request_with_version' : 'bad_HTTP_request');
      return;
    }
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    const rest = line.slice(i);
    // The URI ends at the first whitespace followed by "HTTP/" (a URI may hold blanks, as in Zeek's parser).
    let uri: string;
    let version: string;
    let http09 = false;
    const v = rest.startsWith('HTTP/') ? { index: -1 } : /[ \t]+HTTP\//.exec(rest);
    if (v !== null) {
      uri = v.index < 0 ? '' : rest.slice(0, v.index);
      version = rest.slice(v.index < 0 ? 5 : rest.indexOf('HTTP/', v.index) + 5).trim();
    } else {
      uri = rest.trimEnd();
      // Zeek sets the request version (0.9) before it judges the line.
      if (d.version !== '' && d.version !== '0.9') this.ev.weird('HTTP_version_mismatch');
      // HTTP/0.9 has no version to vouch for the line: Zeek wants a URI.
      if (uri === '' || !HTTP_09_METHODS.test(method)) {
        d.version = '0.9';
        this.badRequest(d, 'bad_HTTP_request');
        return;
      }
      version = '0.9';
      http09 = true;
      if (method !== 'GET') this.ev.weird('invalid_http_09_request_method', method);
    }
    this.sawFirst.orig = true;
    if (uri === '') this.ev.weird('missing_HTTP_uri');
    if (d.version !== '' && d.version !== version) this.ev.weird('HTTP_version_mismatch');
    d.version = version;
    if (this.requests.length < MAX_REMEMBERED_REQUESTS) this.requests.push({ method, http09 });
    d.inMessage = true;
    d.bodyLength = 0;
    d.headers = [];
    this.ev.request(method, unescapeUri(uri, (w) => this.ev.weird(w)), version);
    // Zeek reads headers after an HTTP/0.9 request line too.
    d.endsWithConnection = http09;
    d.state = State.Headers;
  }

  /**
   * Zeek's analyzer raises the weird and a protocol violation, and parses nothing more of the requests (the violation
   * detaches the whole analyzer unless the connection is past 10 KiB, then the replies still are parsed).
   */
  private badRequest(d: Direction, weird: string): void {
    this.ev.weird(weird);
    d.state = State.Stopped;
    this.ev.notHttp('not a http request line');
  }

  private statusLine(d: Direction, line: string): void {
    const m = /^HTTP\/([0-9]+\.[0-9]+)[ \t]+([0-9]{3})(?:[ \t]+(.*))?$/.exec(line);
    const next = this.requests[0];
    if (m === null || (next !== undefined && next.http09)) {
      if (next !== undefined && next.http09) {
        // A reply to an HTTP/0.9 request has no status line: all of it is body.
        this.requests.shift();
        this.answering = next;
        this.sawFirst.resp = true;
        d.inMessage = true;
        d.bodyLength = d.rawLineLength;
        d.lastByte = 10;
        this.ev.reply('0.9', 0, '<empty>');
        if (this.ev.entityData !== undefined) {
          const first = Buffer.from(line + (d.rawLineLength - line.length >= 2 ? '\r\n' : '\n'), 'latin1');
          this.ev.entityData(false, first, 0, first.length);
        }
        d.state = State.UntilClose;
        return;
      }
      // Zeek raises a protocol violation here, no weird.
      d.state = State.Stopped;
      this.ev.notHttp('not a http reply line');
      return;
    }
    this.sawFirst.resp = true;
    const code = Number(m[2]);
    // A 1xx reply is followed by the final one to the same request.
    if (code < 100 || code > 199 || code === 101) this.answering = this.requests.shift();
    else this.answering = this.requests[0];
    this.replyCode = code;
    d.inMessage = true;
    d.bodyLength = 0;
    d.headers = [];
    this.ev.reply(m[1], code, m[3] ?? '');
    d.state = State.Headers;
  }

  private headerLine(d: Direction, line: string): void {
    if (line === '') {
      this.flushHeader(d);
      if (d.state === State.Trailers) this.messageDone(d);
      else this.headersDone(d);
      return;
    }
    if (isSpace(line.charCodeAt(0)) && d.lastHeader !== undefined) {
      // Obsolete line folding (RFC 9112 5.2): the line continues the previous header's value.
      this.ev.weird('HTTP_obsolete_line_folding', d.lastHeader.name);
      d.lastHeader.value = (d.lastHeader.value + ' ' + line.trim()).trim();
      return;
    }
    this.flushHeader(d);
    const colon = line.indexOf(':');
    if (colon <= 0) {
      this.ev.weird('bad_HTTP_header', line.slice(0, 64));
      return;
    }
    d.lastHeader = { name: line.slice(0, colon), value: line.slice(colon + 1).trim() };
  }

  private flushHeader(d: Direction): void {
    const h = d.lastHeader;
    if (h === undefined) return;
    d.lastHeader = undefined;
    if (d.state === State.Trailers) return;
    const name = h.name.toUpperCase();
    d.headers.push({ name, value: h.value });
    this.ev.header(d.isOrig, name, h.value);
  }

  private header(d: Direction, name: string): string | undefined {
    for (const h of d.headers) if (h.name === name) return h.value;
    return undefined;
  }

  /** Decides how the body is delimited (RFC 9112 6.3, with Zeek's weirds for the ambiguous cases). */
  private headersDone(d: Direction): void {
    const ce = this.header(d, 'CONTENT-ENCODING')?.toLowerCase();
    this.dropEncoded(d);
    d.encoding = ce === 'gzip' || ce === 'x-gzip' ? 'gzip' : ce === 'deflate' ? 'deflate' : undefined;
    const te = this.header(d, 'TRANSFER-ENCODING');
    const clText = this.header(d, 'CONTENT-LENGTH');
    let chunked = false;
    if (te !== undefined && /^chunked/i.test(te)) {
      chunked = true;
      const rest = te.slice(7);
      if (rest !== '') this.ev.weird('HTTP_chunked_multi', rest);
    }
    let cl: number | undefined;
    if (clText !== undefined) {
      cl = parseContentLength(clText);
      if (cl === undefined) this.ev.weird('HTTP_bad_content_length', clText);
      else if (clText.length > 1 && clText[0] === '0') this.ev.weird('HTTP_content_length_leading_zeros', clText);
    }
    if (chunked && clText !== undefined) this.ev.weird('HTTP_content_length_and_chunked');
    if (d.isOrig) {
      const expect = this.header(d, 'EXPECT');
      if (cl === 0 && expect !== undefined && /100-continue/i.test(expect)) {
        this.ev.weird('HTTP_content_length_0_and_expect_100_cont');
      }
    } else {
      const code = this.replyCode;
      const method = this.answering?.method;
      if (code === 101 || (method === 'CONNECT' && code >= 200 && code <= 299)) {
        // The connection now carries another protocol (a tunnel or an upgrade): HTTP parsing ends here.
        this.messageDone(d);
        d.state = State.Stopped;
        this.orig.state = State.Stopped;
        return;
      }
      if ((code >= 100 && code <= 199) || code === 204 || code === 304 || method === 'HEAD') {
        this.messageDone(d);
        return;
      }
    }
    if (chunked) {
      d.state = State.ChunkSize;
    } else if (cl !== undefined && cl > 0) {
      d.remaining = cl;
      d.state = State.Body;
    } else if (!d.isOrig && cl === undefined) {
      d.state = State.UntilClose;
    } else {
      this.messageDone(d);
    }
  }

  private chunkSizeLine(d: Direction, line: string): void {
    const text = line.replace(/;.*$/, '').trim();
    let size: bigint | undefined;
    if (/^[0-9a-fA-F]+$/.test(text)) size = BigInt('0x' + text);
    if (size === undefined || size > INT64_MAX) {
      // Zeek ends the entity at a chunk size it cannot represent; what follows is parsed as the next message.
      this.ev.weird('HTTP_bad_chunk_size', text);
      this.messageDone(d);
      return;
    }
    if (size === 0n) {
      d.state = State.Trailers;
      return;
    }
    d.remaining = Number(size);
    d.state = State.ChunkData;
  }

  private messageDone(d: Direction): void {
    const wasState = d.state;
    if (d.state !== State.Stopped) d.state = State.FirstLine;
    d.lastHeader = undefined;
    d.headers = [];
    if (!d.inMessage) return;
    d.inMessage = false;
    d.endsWithConnection = false;
    if (wasState === State.UntilClose && d.lastByte >= 0 && d.lastByte !== 10) d.bodyLength += 2;
    d.lastByte = -1;
    let n = d.bodyLength;
    if (d.encoding !== undefined && d.encodedLength > 0) {
      const decoded = this.decodedBody(d);
      if (decoded !== undefined) {
        n = decoded.length;
        if (n > 0) this.ev.entityData?.(d.isOrig, decoded, 0, n);
      } else {
        for (const chunk of d.encoded) this.ev.entityData?.(d.isOrig, chunk, 0, chunk.length);
      }
    }
    this.dropEncoded(d);
    d.bodyLength = 0;
    this.ev.messageDone(d.isOrig, n);
  }
}
