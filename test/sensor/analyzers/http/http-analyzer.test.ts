// The HTTP analyzer on hand-made streams: pipelining with trans_depth, framing (Content-Length, chunked, close,
// 100-continue, HEAD), Zeek's handling of malformed lengths, the same rows however the stream is cut into segments
// (property test), and content detection of a request split over segments on a port no analyzer claims.

import { expect } from 'chai';
import * as fc from 'fast-check';
import { AnalyzedConnection, AnalyzerSet } from '../../../../sensor/analyzers/analyzer-set';
import { httpAnalyzer, httpClientSignature, httpServerSignature, HttpSession } from '../../../../sensor/analyzers/http/http-analyzer';
import type { HttpInfo } from '../../../../sensor/analyzers/http/http-log';
import { SharedState } from '../../../../sensor/analyzers/shared-state';
import type { LogSchema } from '../../../../sensor/logs/log-schema';
import { recordingContext, RecordingContext } from '../dns/dns-test-support';

/** The recording context keeps rows untyped for us: they are HttpInfo records here. */
function rowsOf(ctx: RecordingContext): HttpInfo[] {
  return ctx.rows as unknown as HttpInfo[];
}

function run(orig: string[], resp: string[], opts: { interleave?: boolean } = {}): RecordingContext {
  const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
  const s = new HttpSession(ctx);
  const feed = (isOrig: boolean, parts: string[]) => {
    for (const p of parts) {
      const b = Buffer.from(p, 'latin1');
      s.deliverStream(isOrig, b, 0, b.length);
    }
  };
  if (opts.interleave) {
    for (let i = 0; i < Math.max(orig.length, resp.length); i++) {
      if (i < orig.length) feed(true, [orig[i]]);
      if (i < resp.length) feed(false, [resp[i]]);
    }
  } else {
    feed(true, orig);
    feed(false, resp);
  }
  s.endOfStream(true);
  s.endOfStream(false);
  s.end();
  return ctx;
}

const PIPELINED = [
  'GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nReferer: http://r/\r\n\r\n',
  'POST /b%20c HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello',
  'HEAD /d HTTP/1.1\r\nHost: example.com\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n',
  'GET /e HTTP/1.1\r\nHost: example.com\r\n\r\n',
].join('');
const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n',
  'HTTP/1.0 404 Not Found\r\n\r\nclose-delimited body',
].join('');

function summary(rows: HttpInfo[]): string[] {
  return rows.map((r) => [r.transDepth, r.method, r.uri, r.host, r.userAgent, r.referrer, r.requestBodyLen, r.responseBodyLen,
    r.statusCode, r.statusMsg, r.infoCode, r.infoMsg, r.version, r.username, r.password, r.proxied?.join(',')].map((v) => v ?? '-').join(' '));
}

describe('HTTP analyzer', () => {
  it('pairs pipelined requests with their replies: trans_depth, chunked, 100-continue, HEAD and a close-delimited body', () => {
    const ctx = run([PIPELINED], [RESPONSES]);
    expect(summary(rowsOf(ctx))).to.deep.equal([
      '1 GET /a example.com t/1 http://r/ 0 3 200 OK - - 1.1 - - -',
      '2 POST /b c example.com - - 5 9 201 Created 100 Continue 1.1 - - -',
      '3 HEAD /d example.com - - 0 0 200 OK - - 1.1 alice - X-FORWARDED-FOR -> 10.0.0.1',
      // A close-delimited body whose last line has no CRLF: Zeek counts the CRLF it adds to that line.
      '4 GET /e example.com - - 0 22 404 Not Found - - 1.0 - - -',
    ]);
    expect(ctx.services).to.deep.equal(['http']);
    expect(ctx.weirds).to.deep.equal([]);
    expect(ctx.violations).to.deep.equal([]);
  });

  it('writes the same rows however both streams are cut into segments (property)', () => {
    const whole = summary(rowsOf(run([PIPELINED], [RESPONSES])));
    const cuts = (s: string) => fc.uniqueArray(fc.integer({ min: 1, max: s.length - 1 }), { maxLength: 30 })
      .map((xs) => { const at = [0, ...xs.sort((a, b) => a - b), s.length]; return at.slice(1).map((e, i) => s.slice(at[i], e)); });
    // Requests first, then replies (a reply cannot precede its request: HEAD framing depends on it).
    fc.assert(fc.property(cuts(PIPELINED), cuts(RESPONSES), (o, r) => {
      expect(summary(rowsOf(run(o, r)))).to.deep.equal(whole);
    }), { numRuns: 300, seed: 12 });
  });

  it("handles Zeek's malformed lengths: a 2^64 chunk size, a negative Content-Length, chunked with Content-Length", () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n';
    const cases: [string, { name: string; addl?: string }[]][] = [
      ['Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n\r\n', [{ name: 'HTTP_bad_chunk_size', addl: '10000000000000000' }]],
      ['Content-Length: -1\r\n\r\n', [{ name: 'HTTP_bad_content_length', addl: '-1' }]],
      ['Content-Length: 18446744073709551615\r\n\r\n', [{ name: 'HTTP_bad_content_length', addl: '18446744073709551615' }]],
      ['Transfer-Encoding: chunked\r\nContent-Length: 50\r\n\r\n0\r\n\r\n', [{ name: 'HTTP_content_length_and_chunked' }]],
      ['Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n', [{ name: 'HTTP_obsolete_line_folding', addl: 'Transfer-Encoding' }]],
    ];
    for (const [headers, weirds] of cases) {
      const ctx = run([`POST / HTTP/1.1\r\nHost: t\r\n${headers}${smuggled}`], []);
      // No reply: both rows are flushed when the connection ends (Zeek's finalize_http), newest first as Zeek does.
      expect(rowsOf(ctx).map((r) => `${r.transDepth} ${r.method} ${r.uri}`), headers).to.deep.equal(['2 GET /smuggled', '1 POST /']);
      expect(ctx.weirds, headers).to.deep.equal(weirds);
    }
  });

  it('reads an HTTP/0.9 exchange: the reply is all body, up to the close', () => {
    const ctx = run(['GET /old.html\n'], ['<html>\nhi\n</html>\n']);
    expect(summary(rowsOf(ctx))).to.deep.equal(['1 GET /old.html - - - 0 18 0 <empty> - - 0.9 - - -', '2 - - - - - 0 0 - - - - - - - -']);
  });

  it('stops at CONNECT 200: the tunnelled bytes are not parsed as HTTP', () => {
    const ctx = run(['CONNECT mail.example:25 HTTP/1.0\r\n\r\n', 'EHLO x\r\n'],
      ['HTTP/1.0 200 Connection established\r\n\r\n', '220 smtp ready\r\n'], { interleave: true });
    expect(summary(rowsOf(ctx))).to.deep.equal(['1 CONNECT mail.example:25 - - - 0 0 200 Connection established - - 1.0 - - -']);
    expect(ctx.weirds).to.deep.equal([]);
  });

  it("reports Zeek's protocol violations for a request or reply line that is not HTTP, confirmed or not", () => {
    const bad = run([], ['SSH-2.0-OpenSSH_9.0\r\n']);
    expect(bad.violations).to.deep.equal(['not a http reply line']);
    expect(bad.services).to.deep.equal([]);
    const later = run(['GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'], ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nnot http\r\n']);
    expect(later.violations).to.deep.equal(['not a http reply line']);
    expect(later.services).to.deep.equal(['http']);
    // Zeek sets the request version to 0.9 before it rejects the line: a version mismatch, then the bad request.
    const cruft = run(['GET / HTTP/1.1\r\nHost: h\r\n\r\nT / HTTP\r\n\r\n'], []);
    expect(cruft.violations).to.deep.equal(['not a http request line']);
    expect(cruft.weirds).to.deep.equal([{ name: 'HTTP_version_mismatch' }, { name: 'bad_HTTP_request' }]);
  });

  it('a reply alone does not confirm HTTP (Zeek confirms on a request, or a reply while one is unanswered)', () => {
    const ctx = run([], ['HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n']);
    expect(ctx.services).to.deep.equal([]);
    expect(summary(rowsOf(ctx))).to.deep.equal(['1 - - - - - 0 0 400 Bad Request - - 1.1 - - -']);
  });

  it("server signature: Zeek's dpd_http_server, HTTP/ and a digit at the start of the responder's stream", () => {
    const m = (isOrig: boolean, s: string) => { const b = Buffer.from(s); return httpServerSignature.matches(isOrig, b, 0, b.length); };
    expect(m(false, 'HTTP/1.1 200 OK\r\n')).to.equal(true);
    expect(m(false, 'hTtP/2')).to.equal(true);
    expect(m(false, 'HTT')).to.equal(undefined);
    expect(m(false, 'HTTP/x')).to.equal(false);
    expect(m(false, ' HTTP/1.1')).to.equal(false);
    expect(m(false, 'SSH-2.0')).to.equal(false);
    expect(m(true, 'HTTP/1.1 200 OK')).to.equal(false);
  });

  it('content signature: a method and a blank; undecided while the bytes so far could still start one', () => {
    const m = (s: string) => { const b = Buffer.from(s); return httpClientSignature.matches(true, b, 0, b.length); };
    expect(m('GET / HTTP/1.1\r\n')).to.equal(true);
    expect(m('  \r\nPOST /x HTTP/1.0')).to.equal(true);
    expect(m('G')).to.equal(undefined);
    expect(m('GET')).to.equal(undefined);
    expect(m('GETX / HTTP/1.1')).to.equal(false);
    expect(m('SSH-2.0-x')).to.equal(false);
    expect(httpClientSignature.matches(false, Buffer.from('GET / '), 0, 6)).to.equal(false);
  });

  it('is attached by content on any port, from a request whose first segment is one byte, and sees every byte', () => {
    const logged: unknown[] = [];
    const conn: AnalyzedConnection = {
      uid: 'Cx', proto: 'tcp', origAddr: '192.0.2.1', origPort: 40000, respAddr: '192.0.2.2', respPort: 4444, networkTime: 1,
      services: [], history: 'ShAD', payloadBytes: () => 0, weird: () => undefined, checkHistory: () => true, flipRoles: () => undefined,
      host: { log<R>(s: LogSchema<R>, r: R) { if (s.path === 'http') logged.push(r); } },
    };
    const set = new AnalyzerSet(conn, new SharedState(), [], [httpAnalyzer]);
    for (const part of ['G', 'ET /split HTTP/1.1\r\n', 'Host: h\r\n\r\n']) {
      const b = Buffer.from(part);
      set.deliverStream(true, b, 0, b.length);
    }
    const reply = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    set.deliverStream(false, reply, 0, reply.length);
    set.end();
    expect(conn.services).to.deep.equal(['http']);
    expect(summary(logged as HttpInfo[])).to.deep.equal(['1 GET /split h - - 0 2 200 OK - - 1.1 - - -']);
  });
});
