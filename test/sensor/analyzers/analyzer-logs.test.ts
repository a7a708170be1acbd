// The seam protocol analyzers write through: an analyzer declares its log with one LogSchema and writes rows through
// its connection; the pipeline puts them beside conn.log (same directory, profile and format), every row carrying
// the connection's uid, stamped with packet time, and a confirmed service shows in conn.log.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../sensor/flows/likely-server-ports';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { columnsOf, defineLog } from '../../../sensor/logs/log-schema';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog } from '../logs/zeek-log-reader';

const HTTP_PCAP = path.resolve(__dirname, '../../../../test/fixtures/pcaps/http-curl.pcap');

/** One row per in-order chunk an analyzer received, and one per direction at the end. */
interface StreamRow {
  tsMicros: number;
  uid: string;
  origAddr: string;
  isOrig: boolean;
  bytes: number;
  final: boolean;
}

const column = columnsOf<StreamRow>();
const streamLog = defineLog<StreamRow>({
  path: 'test_stream',
  doc: 'Test analyzer: stream chunks per direction.',
  columns: [
    column('ts', 'time', 'Packet time.', (r) => r.tsMicros),
    column('uid', 'string', 'Connection uid.', (r) => r.uid),
    column('id.orig_h', 'addr', 'Originator.', (r) => r.origAddr),
    column('is_orig', 'bool', 'From the originator.', (r) => r.isOrig),
    column('bytes', 'count', 'Bytes in this chunk, or in the whole direction on the final row.', (r) => r.bytes),
    column('final', 'bool', 'The end-of-connection summary row.', (r) => r.final),
  ],
  profiles: {},
});

function streamRegistry(): AnalyzerRegistry {
  const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
  registry.register({
    name: 'stream-test',
    ports: [{ proto: 'tcp', port: 18080 }],
    create: (ctx) => {
      const totals = [0, 0];
      const row = (isOrig: boolean, bytes: number, final: boolean): StreamRow =>
        ({ tsMicros: ctx.networkTimeMicros, uid: ctx.uid, origAddr: ctx.origAddr, isOrig, bytes, final });
      return {
        deliverStream: (isOrig, _data, _offset, length) => {
          if (totals[0] + totals[1] === 0) ctx.confirmService('stream-test');
          totals[isOrig ? 0 : 1] += length;
          ctx.log(streamLog, row(isOrig, length, false));
        },
        end: () => {
          ctx.log(streamLog, row(true, totals[0], true));
          ctx.log(streamLog, row(false, totals[1], true));
        },
      };
    },
  });
  return registry;
}

async function run(dir: string, format: 'ascii' | 'json'): Promise<void> {
  await new SensorPipeline({
    source: openCaptureFile(HTTP_PCAP),
    logs: new LogWriterSet({ dir, profile: 'zeek', format }),
    localNets: LocalNetworks.zeekDefault(),
    analyzers: streamRegistry(),
    ignoreChecksums: true,
  }).run();
}

describe('analyzer logs', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-analyzer-logs-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('an analyzer log sits beside conn.log, shares the uid, counts the bytes conn.log reports and stamps packet time', async () => {
    await run(tmp, 'ascii');
    const conn = readZeekLog(path.join(tmp, 'conn.log'));
    const http = conn.rows.filter((r) => r.get('id.resp_p') === '18080');
    expect(http).to.have.length(1);
    const c = http[0];
    expect(c.get('service')).to.equal('stream-test');

    const log = readZeekLog(path.join(tmp, 'test_stream.log'));
    expect(log.meta).to.include('#path\ttest_stream');
    expect(log.rows.length).to.be.greaterThan(2);
    expect(new Set(log.rows.map((r) => r.get('uid')))).to.deep.equal(new Set([c.get('uid')]));
    expect(new Set(log.rows.map((r) => r.get('id.orig_h')))).to.deep.equal(new Set([c.get('id.orig_h')]));
    const finals = log.rows.filter((r) => r.get('final') === 'T');
    expect(finals.map((r) => [r.get('is_orig'), r.get('bytes')])).to.deep.equal([['T', c.get('orig_bytes')], ['F', c.get('resp_bytes')]]);
    const chunks = log.rows.filter((r) => r.get('final') === 'F');
    const sum = (isOrig: string): number => chunks.filter((r) => r.get('is_orig') === isOrig).reduce((n, r) => n + Number(r.get('bytes')), 0);
    expect([String(sum('T')), String(sum('F'))]).to.deep.equal([c.get('orig_bytes'), c.get('resp_bytes')]);
    // Packet time, not wall time: every row's ts is the exact time of a packet in the capture.
    const packetTimes = new Set<string>();
    await openCaptureFile(HTTP_PCAP).run((_lt, _f, _o, _cap, _wire, sec, usec) => packetTimes.add(`${sec}.${String(usec).padStart(6, '0')}`));
    for (const r of log.rows) expect(packetTimes.has(r.get('ts') as string), `ts ${r.get('ts')}`).to.equal(true);
  });

  it('follows the sensor format: JSON lines when the pipeline writes JSON', async () => {
    await run(tmp, 'json');
    const lines = fs.readFileSync(path.join(tmp, 'test_stream.log'), 'utf8').trimEnd().split('\n');
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const conn = JSON.parse(fs.readFileSync(path.join(tmp, 'conn.log'), 'utf8').trimEnd().split('\n')
      .find((l) => l.includes('"id.resp_p":18080')) as string) as Record<string, unknown>;
    expect(rows.length).to.be.greaterThan(2);
    expect(rows.every((r) => r.uid === conn.uid && typeof r.ts === 'number')).to.equal(true);
  });
});
