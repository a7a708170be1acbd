// Real traffic: curl against a node http server on 127.0.0.1 (test/fixtures/pcaps/http-curl-keepalive.pcap, recorded by
// record-http-fixture.sh beside this file): keep-alive, a chunked and a gzip response, a POST, a HEAD, Basic auth, and
// one connection on a port no analyzer claims (found by content). Every http.log row must say what tshark reads.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { readZeekLog } from '../../logs/zeek-log-reader';
import { PCAPS_DIR } from '../../../helpers/fixture-paths';

const PCAP = path.join(PCAPS_DIR, 'http-curl-keepalive.pcap');

/** tshark's field text back to bytes: it escapes \n, \r, \t, \\, \" and other bytes as \xNN. */
function unescapeTshark(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const c = s[++i];
    if (c === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push({ n: 10, r: 13, t: 9 }[c as 'n' | 'r' | 't'] ?? c.charCodeAt(0));
    }
  }
  return Buffer.from(out);
}

function tshark(filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', PCAP, '-Y', filter, '-T', 'fields', '-E', 'separator=/t',
    ...fields.flatMap((f) => ['-e', f])], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trimEnd().split('\n').map((l) => l.split('\t'));
}

describe('http.log on real curl traffic against tshark', () => {
  let tmp: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-http-curl-'));
    await new SensorPipeline({
      source: openCaptureFile(PCAP),
      logs: new LogWriterSet({ dir: tmp, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true, // loopback: checksums offloaded
    }).run();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes one row per request with what tshark reads in it and in its response', () => {
    const requests = tshark('http.request', ['tcp.stream', 'tcp.srcport', 'tcp.dstport', 'http.request.method',
      'http.request.uri', 'http.host', 'http.user_agent', 'http.referer', 'http.file_data', 'http.authorization']);
    const responses = tshark('http.response', ['tcp.stream', 'http.response.code', 'http.response.phrase', 'http.file_data']);
    expect(requests).to.have.length(7);
    expect(responses).to.have.length(7);
    const rows = readZeekLog(path.join(tmp, 'http.log')).rows;
    expect(rows).to.have.length(7);
    const depth = new Map<string, number>();
    requests.forEach((q, i) => {
      const [stream, sport, dport, method, uri, host, ua, referer, body, auth] = q;
      const r = responses[i];
      expect(r[0], 'responses in request order').to.equal(stream);
      const transDepth = (depth.get(stream) ?? 0) + 1;
      depth.set(stream, transDepth);
      const row = rows.find((x) => x.get('id.orig_p') === sport && x.get('trans_depth') === String(transDepth));
      expect(row, `${method} ${uri}`).to.not.equal(undefined);
      const got = Object.fromEntries(row as Map<string, string>);
      const user = auth ? Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':')[0] : '-';
      expect({
        resp_p: got['id.resp_p'], method: got.method, uri: got.uri, host: got.host, ua: got.user_agent, ref: got.referrer,
        reqLen: got.request_body_len, code: got.status_code, msg: got.status_msg, respLen: got.response_body_len,
        version: got.version, user: got.username, password: got.password,
      }).to.deep.equal({
        resp_p: dport, method, uri: decodeURIComponent(uri), host, ua: ua || '-', ref: referer || '-',
        reqLen: String(unescapeTshark(body).length), code: r[1], msg: r[2],
        // tshark shows the gzip body decompressed, as Zeek counts it; the HEAD reply has none.
        respLen: String(unescapeTshark(r[3] ?? '').length), version: '1.1', user, password: '-',
      });
    });
    // Keep-alive: two transactions on each of two connections.
    expect(rows.filter((x) => x.get('trans_depth') === '2')).to.have.length(2);
    expect(rows.map((x) => x.get('method'))).to.include.members(['GET', 'POST', 'HEAD']);
  });

  it("fills conn.log's service with http on every connection, the one on port 8123 (found by content) too", () => {
    const conns = readZeekLog(path.join(tmp, 'conn.log')).rows;
    expect(conns).to.have.length(5);
    for (const c of conns) expect(c.get('service'), c.get('id.resp_p')).to.equal('http');
    expect(conns.filter((c) => c.get('id.resp_p') === '8123')).to.have.length(1);
    expect(fs.existsSync(path.join(tmp, 'weird.log'))).to.equal(false);
  });
});
