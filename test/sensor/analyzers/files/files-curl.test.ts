// Real traffic: curl downloading files from a node http server on 127.0.0.1 (test/fixtures/pcaps/http-files-curl.pcap,
// recorded by record-files-fixture.sh beside this file): a PNG, a PDF with a Content-Disposition file name, a gzip
// encoded HTML page, a chunked JSON body and a PNG uploaded in a POST. files.log's hashes must be node:crypto's on the
// bytes the server sent (decoded), its MIME types Zeek's for them, and http.log must name each file.

import { expect } from 'chai';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { readZeekLog, ZeekLogTable } from '../../logs/zeek-log-reader';
import { PCAPS_DIR } from '../../../helpers/fixture-paths';

// Plain JavaScript shared with the recording script's server (not compiled: loaded from the source tree).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { SERVED } = require(path.resolve(__dirname, '../../../../../test/sensor/analyzers/files/served-files.js')) as {
  SERVED: Record<string, { body: Buffer; headers: Record<string, string> }>;
};

const PCAP = path.join(PCAPS_DIR, 'http-files-curl.pcap');

function hashes(b: Buffer): { md5: string; sha1: string; sha256: string } {
  return {
    md5: createHash('md5').update(b).digest('hex'),
    sha1: createHash('sha1').update(b).digest('hex'),
    sha256: createHash('sha256').update(b).digest('hex'),
  };
}

describe('files.log on real curl downloads', () => {
  let tmp: string;
  let files: ZeekLogTable;
  let http: ZeekLogTable;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-files-curl-'));
    await new SensorPipeline({
      source: openCaptureFile(PCAP),
      logs: new LogWriterSet({ dir: tmp, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true, // loopback: checksums offloaded
    }).run();
    files = readZeekLog(path.join(tmp, 'files.log'));
    http = readZeekLog(path.join(tmp, 'http.log'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const fileOf = (fuid: string | undefined) => {
    const row = files.rows.find((r) => r.get('fuid') === fuid);
    expect(row, `files.log row for ${fuid}`).to.not.equal(undefined);
    return row as Map<string, string>;
  };

  it('hashes each downloaded body as the server sent it (gzip decoded, chunks joined) and sniffs its MIME type', () => {
    const expected: Record<string, { mime: string; filename: string }> = {
      '/image.png': { mime: 'image/png', filename: '-' },
      '/report.pdf': { mime: 'application/pdf', filename: 'report 2026.pdf' },
      '/page.html': { mime: 'text/html', filename: '-' },
      '/data.json': { mime: 'text/json', filename: '-' },
    };
    for (const [uri, want] of Object.entries(expected)) {
      const row = http.rows.find((r) => r.get('uri') === uri) as Map<string, string>;
      expect(row, uri).to.not.equal(undefined);
      const body = SERVED[uri].body;
      const f = fileOf(row.get('resp_fuids'));
      expect({ md5: f.get('md5'), sha1: f.get('sha1'), sha256: f.get('sha256') }, uri).to.deep.equal(hashes(body));
      expect(f.get('mime_type'), uri).to.equal(want.mime);
      expect(row.get('resp_mime_types'), uri).to.equal(want.mime);
      expect(f.get('filename'), uri).to.equal(want.filename);
      expect(row.get('resp_filenames'), uri).to.equal(want.filename);
      expect(Number(f.get('seen_bytes')), uri).to.equal(body.length);
      expect([f.get('source'), f.get('is_orig'), f.get('missing_bytes'), f.get('analyzers')], uri).to.deep.equal(['HTTP', 'F', '0', 'MD5,SHA1,SHA256']);
      expect(f.get('uid'), uri).to.equal(row.get('uid'));
      expect(f.get('id.resp_p'), uri).to.equal('8080');
    }
    // total_bytes is the Content-Length as sent: the compressed size for the gzip page, unset for the chunked body.
    const page = fileOf(http.rows.find((r) => r.get('uri') === '/page.html')?.get('resp_fuids'));
    expect(Number(page.get('total_bytes'))).to.be.below(SERVED['/page.html'].body.length);
    expect(fileOf(http.rows.find((r) => r.get('uri') === '/data.json')?.get('resp_fuids')).get('total_bytes')).to.equal('-');
  });

  it('gives an uploaded request body its own file in orig_fuids, sent by the originator', () => {
    const row = http.rows.find((r) => r.get('method') === 'POST') as Map<string, string>;
    const f = fileOf(row.get('orig_fuids'));
    expect({ md5: f.get('md5'), sha1: f.get('sha1'), sha256: f.get('sha256') }).to.deep.equal(hashes(SERVED['/image.png'].body));
    expect([f.get('is_orig'), f.get('mime_type'), row.get('orig_mime_types')]).to.deep.equal(['T', 'image/png', 'image/png']);
    // The reply is a file too (a short text).
    expect(fileOf(row.get('resp_fuids')).get('mime_type')).to.equal('text/plain');
  });

  it('writes one files.log row per body, each fuid named once in http.log', () => {
    const named = http.rows.flatMap((r) => [r.get('orig_fuids'), r.get('resp_fuids')]).filter((v) => v !== undefined && v !== '-');
    expect(files.rows.map((r) => r.get('fuid')).sort()).to.deep.equal([...named].sort());
    expect(new Set(named).size).to.equal(6);
    for (const fuid of named) expect(fuid).to.match(/^F[0-9A-Za-z]{10,17}$/);
  });
});
