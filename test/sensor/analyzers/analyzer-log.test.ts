// Protocol violations as Zeek 8's DPD and analyzer logging scripts report them: analyzer.log only for an analyzer that
// had confirmed, once per analyzer and connection, failure_data cut to 40 bytes, the service taken back, violations
// ignored past 10 KiB of payload, and HTTP re-attached by its server signature after a violation. Checked on the
// AnalyzerSet with a connection whose byte counts the test sets, and on a real capture through the pipeline.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnalyzerLogInfo, analyzerLog } from '../../../sensor/analyzers/analyzer-log';
import { AnalyzedConnection, AnalyzerSet, IGNORE_VIOLATIONS_AFTER } from '../../../sensor/analyzers/analyzer-set';
import { httpAnalyzer } from '../../../sensor/analyzers/http/http-analyzer';
import type { HttpInfo } from '../../../sensor/analyzers/http/http-log';
import { httpLog } from '../../../sensor/analyzers/http/http-log';
import type { Analyzer, ConnectionContext } from '../../../sensor/analyzers/registry';
import { SharedState } from '../../../sensor/analyzers/shared-state';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import type { LogSchema } from '../../../sensor/logs/log-schema';
import { SensorPipeline } from '../../../sensor/pipeline';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';
import { readZeekLog } from '../logs/zeek-log-reader';

interface FakeConnection extends AnalyzedConnection {
  bytes: [number, number];
  rows: { path: string; row: unknown }[];
  weirds: string[];
}

function connection(respPort = 80): FakeConnection {
  const conn: FakeConnection = {
    uid: 'CfakeUid', proto: 'tcp', origAddr: '192.0.2.1', origPort: 40000, respAddr: '192.0.2.2', respPort,
    networkTime: 1700000000.25, services: [], history: 'ShAD', bytes: [0, 0], rows: [], weirds: [],
    payloadBytes: (isOrig) => conn.bytes[isOrig ? 0 : 1],
    weird: (name) => { conn.weirds.push(name); },
    checkHistory: () => true,
    flipRoles: () => undefined,
    host: { log<R>(schema: LogSchema<R>, row: R) { conn.rows.push({ path: schema.path, row }); } },
  };
  return conn;
}

function rowsOf<R>(conn: FakeConnection, schema: LogSchema<R>): R[] {
  return conn.rows.filter((r) => r.path === schema.path).map((r) => r.row as R);
}

/** Feeds one direction's text as one payload, counting it in the connection's bytes first (as TCP's sequence does). */
function send(set: AnalyzerSet, conn: FakeConnection, isOrig: boolean, text: string): void {
  const b = Buffer.from(text, 'latin1');
  conn.bytes[isOrig ? 0 : 1] += b.length;
  set.deliverStream(isOrig, b, 0, b.length);
}

/** A test analyzer on port 7000: confirms on "OK", violates on anything else, naming the data it failed on. */
function pickyAnalyzer(seen: string[]): Analyzer {
  return {
    name: 'PICKY', ports: [{ proto: 'tcp', port: 7000 }],
    create: (ctx: ConnectionContext) => ({
      deliverStream: (_isOrig, d, o, n) => {
        const text = d.toString('latin1', o, o + n);
        seen.push(text);
        if (text.startsWith('OK')) ctx.confirmService('picky');
        else ctx.violation('not picky', text);
      },
    }),
  };
}

describe('analyzer.log and protocol violations (Zeek 8 DPD)', () => {
  it('a confirmed analyzer that violates: one analyzer.log row, failure_data cut to 40 bytes, service taken back', () => {
    const seen: string[] = [];
    const conn = connection(7000);
    const picky = pickyAnalyzer(seen);
    const set = new AnalyzerSet(conn, new SharedState(), [picky], []);
    send(set, conn, true, 'OK hello');
    expect(conn.services).to.deep.equal(['picky']);
    const junk = `junk ${'\x01'.repeat(60)}`;
    send(set, conn, false, junk);
    send(set, conn, true, 'OK after the violation');
    set.end();
    // Detached: the payload after the violation never reached it.
    expect(seen).to.deep.equal(['OK hello', junk]);
    expect(conn.services).to.deep.equal([]);
    const rows = rowsOf<AnalyzerLogInfo>(conn, analyzerLog);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({
      tsMicros: 1700000000250000, kind: 'protocol', name: 'PICKY', uid: 'CfakeUid', origAddr: '192.0.2.1', origPort: 40000,
      respAddr: '192.0.2.2', respPort: 7000, proto: 'tcp', reason: 'not picky',
    });
    expect(rows[0].data).to.equal(junk.slice(0, 40));
    expect(rows[0].data).to.have.length(40);
  });

  it('an analyzer that never confirmed is detached without a row', () => {
    const seen: string[] = [];
    const conn = connection(7000);
    const set = new AnalyzerSet(conn, new SharedState(), [pickyAnalyzer(seen)], []);
    send(set, conn, true, 'nope');
    send(set, conn, true, 'OK');
    set.end();
    expect(seen).to.deep.equal(['nope']);
    expect(conn.services).to.deep.equal([]);
    expect(rowsOf(conn, analyzerLog)).to.deep.equal([]);
  });

  it(`ignores a violation once the connection carried more than ${IGNORE_VIOLATIONS_AFTER} payload bytes`, () => {
    const seen: string[] = [];
    const conn = connection(7000);
    const set = new AnalyzerSet(conn, new SharedState(), [pickyAnalyzer(seen)], []);
    send(set, conn, true, 'OK');
    conn.bytes[1] = IGNORE_VIOLATIONS_AFTER; // the responder sent 10 KiB the analyzer did not need
    send(set, conn, true, 'bad'); // 10 KiB + 5 bytes in all: past the limit
    send(set, conn, true, 'OK again');
    set.end();
    expect(seen).to.deep.equal(['OK', 'bad', 'OK again']);
    expect(conn.services).to.deep.equal(['picky']);
    expect(rowsOf(conn, analyzerLog)).to.deep.equal([]);
    // At exactly the limit the violation still counts (Zeek ignores only `size > ignore_violations_after`).
    const seen2: string[] = [];
    const conn2 = connection(7000);
    const set2 = new AnalyzerSet(conn2, new SharedState(), [pickyAnalyzer(seen2)], []);
    send(set2, conn2, true, 'OK');
    conn2.bytes[1] = IGNORE_VIOLATIONS_AFTER - 5;
    send(set2, conn2, true, 'bad');
    expect(rowsOf(conn2, analyzerLog)).to.have.length(1);
  });

  it('HTTP: a garbage line after a finished transaction writes analyzer.log once, and the reply to it is not logged', () => {
    const conn = connection(80);
    const set = new AnalyzerSet(conn, new SharedState(), [httpAnalyzer], [httpAnalyzer]);
    send(set, conn, true, 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
    send(set, conn, false, 'HTTP/1.1 301 Moved Permanently\r\nContent-Length: 3\r\n\r\nabc');
    send(set, conn, true, 'T / HTTP\r\n\r\n');
    send(set, conn, false, 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    send(set, conn, true, 'T / HTTP\r\n\r\n');
    set.end();
    expect(rowsOf<HttpInfo>(conn, httpLog).map((r) => `${r.method} ${r.statusCode}`)).to.deep.equal(['GET 301']);
    expect(rowsOf<AnalyzerLogInfo>(conn, analyzerLog).map((r) => `${r.name} ${r.reason} ${r.data}`)).to.deep.equal([
      'HTTP not a http request line undefined',
    ]);
    expect(conn.services).to.deep.equal([]);
  });

  it("HTTP: a bad request line answered by an HTTP reply: dpd_http_server re-attaches HTTP, which logs the reply", () => {
    const conn = connection(80);
    const set = new AnalyzerSet(conn, new SharedState(), [httpAnalyzer], [httpAnalyzer]);
    send(set, conn, true, 'OPTIONSHTTP/1.1\r\nHost: example.com\r\n\r\n');
    send(set, conn, false, 'HTTP/1.0 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!');
    set.end();
    expect(rowsOf<HttpInfo>(conn, httpLog).map((r) => `${r.transDepth} ${r.method} ${r.statusCode} ${r.responseBodyLen}`))
      .to.deep.equal(['1 undefined 400 5']);
    // Neither instance confirmed: no service, no analyzer.log.
    expect(conn.services).to.deep.equal([]);
    expect(rowsOf(conn, analyzerLog)).to.deep.equal([]);
    // Without the violation nothing re-attaches: a port-attached HTTP that is still attached is not doubled.
    const ok = connection(80);
    const okSet = new AnalyzerSet(ok, new SharedState(), [httpAnalyzer], [httpAnalyzer]);
    send(okSet, ok, true, 'GET / HTTP/1.1\r\n\r\n');
    send(okSet, ok, false, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    okSet.end();
    expect(rowsOf<HttpInfo>(ok, httpLog)).to.have.length(1);
    expect(ok.services).to.deep.equal(['http']);
  });

  it("writes Zeek's analyzer.log for the cruft case through the pipeline (columns and values)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-analyzer-log-'));
    try {
      const caseDir = path.join(ZEEK_CASES_DIR, 'http-http-11-request-then-cruft');
      await new SensorPipeline({
        source: openCaptureFile(path.join(caseDir, 'http-11-request-then-cruft.pcap')),
        logs: new LogWriterSet({ dir, profile: 'elsa', format: 'ascii' }),
        localNets: LocalNetworks.zeekDefault(),
        uidSource: new UidSource('analyzer-log'),
      }).run();
      const produced = readZeekLog(path.join(dir, 'analyzer.log'));
      const expected = readZeekLog(path.join(caseDir, 'expected-analyzer.log'));
      expect(produced.fields).to.deep.equal(expected.fields);
      expect(produced.rows).to.have.length(1);
      const row = produced.rows[0];
      for (const col of ['analyzer_kind', 'analyzer_name', 'fuid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'failure_reason', 'failure_data']) {
        expect(row.get(col), col).to.equal(expected.rows[0].get(col));
      }
      const conn = readZeekLog(path.join(dir, 'conn.log')).rows[0];
      expect(row.get('uid')).to.equal(conn.get('uid'));
      expect(conn.get('service')).to.equal('-');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
