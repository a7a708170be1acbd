// Seeded fuzzing with mutated real HTTP (both directions of every HTTP connection of Zeek's http-* cases and of the
// curl capture): the analyzer never throws (so the sensor never logs analyzer_failed for it), every weird it raises is
// one of the names Zeek's HTTP analyzer and scripts use, and what one connection keeps stays bounded.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import * as zlib from 'zlib';
import { budgetOf, HttpSession } from '../../../../sensor/analyzers/http/http-analyzer';
import { MAX_ENCODED_TOTAL } from '../../../../sensor/analyzers/http/http-parser';
import { SharedState } from '../../../../sensor/analyzers/shared-state';
import { AnalyzerRegistry } from '../../../../sensor/analyzers/registry';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../../sensor/flows/likely-server-ports';
import { trackCapture } from '../../flows/zeek-case-runner';
import { PCAPS_DIR, ZEEK_CASES_DIR } from '../../../helpers/fixture-paths';
import { recordingContext } from '../dns/dns-test-support';

/** The weirds Zeek's HTTP analyzer (src/analyzer/protocol/http) and base/protocols/http raise that ours can. */
const ZEEK_HTTP_WEIRDS = new Set(['bad_HTTP_request', 'bad_HTTP_request_with_version', 'missing_HTTP_uri',
  'invalid_http_09_request_method', 'HTTP_version_mismatch', 'illegal_%_at_end_of_URI', 'partial_escape_at_end_of_URI',
  'bad_URI_escape', 'HTTP_obsolete_line_folding', 'bad_HTTP_header', 'HTTP_chunked_multi', 'HTTP_bad_content_length',
  'HTTP_content_length_leading_zeros', 'HTTP_content_length_and_chunked', 'HTTP_content_length_0_and_expect_100_cont',
  'HTTP_bad_chunk_size', 'HTTP_response_before_request', 'HTTP_excessive_pipelining', 'unknown_HTTP_method']);

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const TOKENS = ['\r\n', '\n', ' ', ':', '0', 'ffffffffffffffffff', '-1', 'chunked', 'Content-Length: ', 'HTTP/1.1 ',
  'Transfer-Encoding: chunked\r\n', '%', '\r\n\r\n', 'GET / HTTP/1.1\r\n', 'HTTP/1.1 100 Continue\r\n\r\n'];

function mutate(data: Buffer, rand: () => number): Buffer {
  let m = Buffer.from(data);
  const ops = 1 + Math.floor(rand() * 6);
  for (let k = 0; k < ops && m.length > 0; k++) {
    const at = Math.floor(rand() * m.length);
    switch (Math.floor(rand() * 5)) {
      case 0: m[at] ^= 1 << Math.floor(rand() * 8); break;
      case 1: m = Buffer.concat([m.subarray(0, at), Buffer.from(TOKENS[Math.floor(rand() * TOKENS.length)]), m.subarray(at)]); break;
      case 2: m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + 1 + Math.floor(rand() * 64)))]); break;
      case 3: m = m.subarray(0, at); break;
      default: m = Buffer.concat([m, m.subarray(at, at + 1 + Math.floor(rand() * 200))]); break;
    }
  }
  return m;
}

interface Stream { orig: Buffer; resp: Buffer }

/** Both directions of every HTTP connection (port 80 and the other HTTP ports) of the captures. */
async function realStreams(): Promise<Stream[]> {
  const out: Stream[] = [];
  const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
  registry.register({
    name: 'COLLECT', ports: [80, 8080, 8000, 8123].map((port) => ({ proto: 'tcp' as const, port })),
    create: () => {
      const s = { orig: [] as Buffer[], resp: [] as Buffer[] };
      return {
        deliverStream: (isOrig, d, o, n) => { (isOrig ? s.orig : s.resp).push(Buffer.from(d.subarray(o, o + n))); },
        end: () => { out.push({ orig: Buffer.concat(s.orig), resp: Buffer.concat(s.resp) }); },
      };
    },
  });
  const files = fs.readdirSync(ZEEK_CASES_DIR).filter((c) => c.startsWith('http-'))
    .flatMap((c) => fs.readdirSync(path.join(ZEEK_CASES_DIR, c)).filter((f) => /\.pcapn?g?$/.test(f)).map((f) => path.join(ZEEK_CASES_DIR, c, f)));
  for (const f of [...files, path.join(PCAPS_DIR, 'http-curl-keepalive.pcap')]) await trackCapture(f, { analyzers: registry, ignoreChecksums: true });
  // Large bodies add nothing the fuzzer needs: cap each direction to keep the run short.
  return out.filter((s) => s.orig.length + s.resp.length > 0)
    .map((s) => ({ orig: s.orig.subarray(0, 16384), resp: s.resp.subarray(0, 16384) }));
}

describe('HTTP analyzer fuzzing (mutated real traffic)', () => {
  let streams: Stream[];
  before(async () => {
    streams = await realStreams();
  });

  it('never throws, raises only Zeek weird names, and keeps per-connection state bounded', () => {
    expect(streams.length).to.be.at.least(40);
    const rand = rng(0x48545450);
    const seen = new Set<string>();
    let rows = 0;
    for (let i = 0; i < 3000; i++) {
      const base = streams[i % streams.length];
      const orig = mutate(base.orig, rand);
      const resp = mutate(base.resp, rand);
      const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
      const s = new HttpSession(ctx);
      // Random segment sizes, directions alternating as a conversation does.
      let o = 0;
      let r = 0;
      while (o < orig.length || r < resp.length) {
        const no = Math.min(orig.length - o, 1 + Math.floor(rand() * 700));
        if (no > 0) s.deliverStream(true, orig, o, no);
        o += no;
        if (rand() < 0.05) s.deliverGap(true, 1 + Math.floor(rand() * 100));
        const nr = Math.min(resp.length - r, 1 + Math.floor(rand() * 1400));
        if (nr > 0) s.deliverStream(false, resp, r, nr);
        r += nr;
        expect(s.pendingCount()).to.be.at.most(102);
      }
      s.endOfStream(true);
      s.endOfStream(false);
      s.end();
      for (const w of ctx.weirds) seen.add(w.name);
      rows += ctx.rows.length;
    }
    const unknown = [...seen].filter((n) => !ZEEK_HTTP_WEIRDS.has(n));
    expect(unknown).to.deep.equal([]);
    // The mutations reach the malformed paths, and most transactions still make rows.
    expect(seen.size).to.be.at.least(6);
    expect(rows).to.be.at.least(3000);
  });

  it('keeps at most MAX_LINE bytes of an endless header line and of an endless request line', () => {
    const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
    const s = new HttpSession(ctx);
    const head = Buffer.from('GET / HTTP/1.1\r\nX-Long: ');
    s.deliverStream(true, head, 0, head.length);
    const junk = Buffer.alloc(1 << 20, 0x61);
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 64; i++) s.deliverStream(true, junk, 0, junk.length);
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    // 64 MiB went in: what the parser keeps of it is its 16 KiB line buffer (the margin is for the allocator).
    expect(after - before).to.be.below(8 * 1024 * 1024);
    const rest = Buffer.from('\r\n\r\n');
    s.deliverStream(true, rest, 0, rest.length);
    s.end();
    expect(ctx.rows).to.have.length(1);
  });

  it('holds at most MAX_ENCODED_TOTAL of compressed bodies over all connections, and gives it back when they end', () => {
    const shared = new SharedState();
    const body = zlib.gzipSync(crypto.randomBytes(900 * 1024));
    const sessions: { s: HttpSession; rows: unknown[] }[] = [];
    let peak = 0;
    for (let i = 0; i < 50; i++) {
      const ctx = { ...recordingContext({ proto: 'tcp', respPort: 80 }), shared };
      const s = new HttpSession(ctx);
      const req = Buffer.from('GET /z HTTP/1.1\r\nHost: h\r\n\r\n');
      s.deliverStream(true, req, 0, req.length);
      const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`);
      s.deliverStream(false, head, 0, head.length);
      s.deliverStream(false, body, 0, body.length - 1); // all but the last byte: the body stays open
      peak = Math.max(peak, budgetOf(shared).held);
      sessions.push({ s, rows: ctx.rows });
    }
    expect(peak).to.be.at.most(MAX_ENCODED_TOTAL);
    expect(peak).to.be.above(MAX_ENCODED_TOTAL / 2);
    for (const { s } of sessions) {
      s.deliverStream(false, body, body.length - 1, 1);
      s.end();
    }
    expect(budgetOf(shared).held).to.equal(0);
    // Bodies kept whole are counted decompressed (900 KiB), the ones past the budget as sent.
    const lens = sessions.map(({ rows }) => (rows[0] as { responseBodyLen: number }).responseBodyLen);
    expect(lens[0]).to.equal(900 * 1024);
    expect(lens[49]).to.equal(body.length);
  });
});
