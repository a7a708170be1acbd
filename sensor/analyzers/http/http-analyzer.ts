// The HTTP analyzer: TCP stream bytes into the parser, and http.log rows out, pairing requests with replies the way
// Zeek's base/protocols/http/main.zeek does (pending transactions by request/response counters, 1xx replies kept on
// the same row, rows written when the reply is done, the rest when the connection ends).

import type { Analyzer, AnalyzerInstance, ConnectionContext, ContentMatcher } from '../registry';
import { HttpInfo, httpLog } from './http-log';
import type { SharedState } from '../shared-state';
import { EncodedBodyBudget, HttpEvents, HttpParser } from './http-parser';
import { HttpFiles } from './http-files';
import { softwareFromHttpHeader, softwareFromHttpMessageDone } from '../software/http-software';

/** One compressed-body budget per run (per registry's shared state), shared by all its HTTP connections. */
const budgets = new WeakMap<SharedState, EncodedBodyBudget>();

/** The budget of the run `shared` belongs to (exported for the tests that check it is bounded and given back). */
export function budgetOf(shared: SharedState): EncodedBodyBudget {
  let b = budgets.get(shared);
  if (b === undefined) {
    b = { held: 0 };
    budgets.set(shared, b);
  }
  return b;
}

/** Zeek's HTTP::max_pending_requests. */
const MAX_PENDING_REQUESTS = 100;

/** Zeek's HTTP::http_methods (a method outside it is an unknown_HTTP_method weird). */
const HTTP_METHODS = new Set([
  'GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'BCOPY', 'BDELETE', 'BMOVE', 'BPROPFIND',
  'BPROPPATCH', 'COPY', 'LOCK', 'MKCOL', 'MOVE', 'NOTIFY', 'POLL', 'PROPFIND', 'PROPPATCH', 'SEARCH', 'SUBSCRIBE',
  'UNLOCK', 'UNSUBSCRIBE', 'X-MS-ENUMATTS', 'PATCH', 'QUERY',
]);

/** Zeek's HTTP::proxy_headers. */
const PROXY_HEADERS = new Set([
  'FORWARDED', 'X-FORWARDED-FOR', 'X-FORWARDED-FROM', 'CLIENT-IP', 'VIA', 'XROXY-CONNECTION', 'PROXY-CONNECTION',
]);

export class HttpSession implements AnalyzerInstance, HttpEvents {
  private readonly parser: HttpParser;
  private readonly pending = new Map<number, HttpInfo>();
  private currentRequest = 0;
  private currentResponse = 0;
  private transDepth = 0;
  private confirmed = false;
  private skipPartial: boolean | undefined;
  /** Each message body as a file (files.log, and the fuid/mime columns of http.log). */
  private readonly files: HttpFiles;

  constructor(private readonly ctx: ConnectionContext) {
    this.parser = new HttpParser(this, budgetOf(ctx.shared));
    this.files = new HttpFiles(ctx);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    // Zeek's HTTP analyzer skips connections whose start (a SYN from either side) was not seen.
    if (this.skipPartial === undefined) this.skipPartial = this.ctx.partial === true;
    if (this.skipPartial) return;
    this.parser.deliver(isOrig, data, offset, length);
  }

  deliverGap(isOrig: boolean, length: number): void {
    this.parser.gap(isOrig, length);
  }

  endOfStream(isOrig: boolean): void {
    this.parser.endOfStream(isOrig);
  }

  /** main.zeek's finalize_http: every pending transaction is written (index 0 never is). */
  end(): void {
    this.parser.end();
    this.files.endFile(false);
    this.files.endFile(true);
    // Zeek walks its table in hash order; for the small counts of the Zeek cases that is newest first.
    const keys = [...this.pending.keys()].filter((k) => k !== 0).sort((a, b) => b - a);
    for (const k of keys) this.ctx.log(httpLog, this.pending.get(k) as HttpInfo);
    this.pending.clear();
  }

  /** Transactions waiting for their reply (bounded by Zeek's max_pending_requests). */
  pendingCount(): number {
    return this.pending.size;
  }

  // HttpEvents: what main.zeek does with each event.

  request(method: string, uri: string, _version: string): void {
    this.confirm();
    if (this.currentRequest < this.currentResponse) {
      this.ctx.weird('HTTP_response_before_request');
      this.currentRequest = this.currentResponse;
    }
    if (this.pending.size > MAX_PENDING_REQUESTS) {
      this.ctx.weird('HTTP_excessive_pipelining');
      if (this.currentResponse === 0) this.currentResponse++;
      while (this.currentResponse < this.currentRequest) {
        const info = this.pending.get(this.currentResponse);
        if (info !== undefined) {
          this.ctx.log(httpLog, info);
          this.pending.delete(this.currentResponse);
        }
        this.currentResponse++;
      }
    }
    this.currentRequest++;
    this.files.beginMessage(true);
    const info = this.state(true);
    info.method = method;
    info.uri = uri;
    if (!HTTP_METHODS.has(method)) this.ctx.weird('unknown_HTTP_method', method);
  }

  reply(version: string, code: number, reason: string): void {
    // Zeek confirms on a reply only while a request is unanswered (that request already confirmed): a reply alone,
    // e.g. to a request line that was not HTTP, confirms nothing.
    const current = this.pending.get(this.currentResponse);
    if (current === undefined || (current.statusCode !== undefined && !(current.statusCode >= 100 && current.statusCode <= 199))) {
      this.currentResponse++;
    }
    this.files.beginMessage(false, code);
    const info = this.state(false);
    info.statusCode = code;
    info.statusMsg = reason;
    info.version = version;
    if (code >= 100 && code <= 199) {
      info.infoCode = code;
      info.infoMsg = reason;
    }
  }

  header(isOrig: boolean, name: string, value: string): void {
    // Zeek's policy/protocols/http/software.zeek (on by default, as in Zeek's local.zeek): software.log.
    softwareFromHttpHeader(this.ctx, isOrig, name, value);
    const info = this.state(isOrig);
    this.files.header(isOrig, name, value);
    if (!isOrig) return;
    if (name === 'REFERER') info.referrer = value;
    else if (name === 'HOST') info.host = value;
    else if (name === 'ORIGIN') info.origin = value;
    else if (name === 'USER-AGENT') info.userAgent = value;
    else if (PROXY_HEADERS.has(name)) {
      const entry = `${name} -> ${value}`;
      const set = (info.proxied ??= []);
      if (!set.includes(entry)) set.push(entry);
    } else if (name === 'AUTHORIZATION' || name === 'PROXY-AUTHORIZATION') {
      if (/^basic /i.test(value)) {
        const userpass = Buffer.from(value.replace(/^basic[ \t]+/i, ''), 'base64').toString('latin1');
        const colon = userpass.indexOf(':');
        // Zeek's default_capture_password is off: the password column stays unset.
        if (colon >= 0) info.username = userpass.slice(0, colon);
        else info.username = `<problem-decoding> (${value})`;
      }
    }
  }

  entityData(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    this.files.data(isOrig, this.state(isOrig), data, offset, length);
  }

  entityGap(isOrig: boolean, length: number): void {
    this.files.gap(isOrig, this.state(isOrig), length);
  }

  messageDone(isOrig: boolean, bodyLength: number): void {
    this.files.endFile(isOrig);
    softwareFromHttpMessageDone(this.ctx, isOrig);
    const info = this.state(isOrig);
    if (isOrig) {
      info.requestBodyLen = bodyLength;
      return;
    }
    info.responseBodyLen = bodyLength;
    // A 1xx reply is followed by the real one: the row waits for it.
    if (info.statusCode !== undefined && info.statusCode >= 100 && info.statusCode <= 199) return;
    this.ctx.log(httpLog, info);
    this.pending.delete(this.currentResponse);
  }

  weird(name: string, addl?: string): void {
    this.ctx.weird(name, addl);
  }

  notHttp(reason: string): void {
    // Zeek's DPD script (loaded even with -b) detaches the analyzer, and writes analyzer.log if it had confirmed.
    this.ctx.violation(reason);
  }

  private confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirmService('http');
  }

  /** main.zeek's set_state: the row of the current request or response, created on first use. */
  private state(isOrig: boolean): HttpInfo {
    const key = isOrig ? this.currentRequest : this.currentResponse;
    let info = this.pending.get(key);
    if (info === undefined) {
      const c = this.ctx;
      info = {
        tsMicros: c.networkTimeMicros, uid: c.uid, origAddr: c.origAddr, origPort: c.origPort, respAddr: c.respAddr,
        respPort: c.respPort, transDepth: ++this.transDepth, requestBodyLen: 0, responseBodyLen: 0,
      };
      this.pending.set(key, info);
    }
    return info;
  }
}

/** Request methods our content signature accepts at the start of the originator's stream. */
const DETECT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'QUERY', 'PROPFIND'];

/**
 * Zeek's dpd_http_client signature (`^[[:space:]]*(GET|HEAD|POST)[[:space:]]*`, with the other common methods):
 * leading whitespace, a method and a blank at the start of the originator's stream. Undefined while the bytes so far
 * are a prefix of such a start (a request split over segments); false as soon as they cannot be.
 */
export const httpClientSignature: ContentMatcher = {
  proto: 'tcp',
  matches(isOrig, data, offset, length) {
    if (!isOrig) return false;
    let i = offset;
    const end = offset + Math.min(length, 64);
    while (i < end && (data[i] === 32 || data[i] === 9 || data[i] === 13 || data[i] === 10)) i++;
    if (i === end) return length >= 64 ? false : undefined;
    const text = data.toString('latin1', i, end);
    for (const m of DETECT_METHODS) {
      if (text.length > m.length) {
        if (text.startsWith(m) && (text.charCodeAt(m.length) === 32 || text.charCodeAt(m.length) === 9)) return true;
      } else if (m.startsWith(text)) {
        return undefined;
      }
    }
    return false;
  },
};

/**
 * Zeek's dpd_http_server signature (`^[hH][tT][tT][pP]\/[0-9]` at the start of the responder's stream): attaches HTTP
 * on any port, and again on a connection whose HTTP analyzer a violation removed (a bad request line answered by an
 * HTTP error reply). Undefined while the bytes so far are a prefix of such a start.
 */
export const httpServerSignature: ContentMatcher = {
  proto: 'tcp',
  matches(isOrig, data, offset, length) {
    if (isOrig) return false;
    const n = Math.min(length, 6);
    for (let i = 0; i < n; i++) {
      const c = data[offset + i];
      const ok = i === 0 ? c === 0x48 || c === 0x68 // H h
        : i === 1 || i === 2 ? c === 0x54 || c === 0x74 // T t
          : i === 3 ? c === 0x50 || c === 0x70 // P p
            : i === 4 ? c === 0x2f // '/'
              : c >= 0x30 && c <= 0x39;
      if (!ok) return false;
    }
    return n === 6 ? true : undefined;
  },
};

export const httpAnalyzer: Analyzer = {
  name: 'HTTP',
  description: 'HTTP/1.x: http.log (request/response pairs, pipelining, chunked and close-delimited bodies)',
  ports: [80, 81, 631, 1080, 3128, 8000, 8080, 8888].map((port) => ({ proto: 'tcp' as const, port })),
  detect: [httpClientSignature, httpServerSignature],
  create: (ctx) => new HttpSession(ctx),
};
