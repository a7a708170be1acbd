// Proves the `elsa` profile against ELSA's real parser: rows the sensor wrote (real captures), rewritten as ELSA's
// syslog-ng does (`|` → `%7C`, TAB → `|`), go through pdbtool with ELSA's Bro rulesets (extracted at test time from
// test/fixtures/elsa/patterndb.xml) and must land in the i/s slots schema.sql assigns to each field.
// ELSA's BRO_CONN class has no slot for conn_state (schema.sql maps none), so it cannot be checked there.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { noticeLog } from '../../../sensor/analyzers/notice/notice-log';
import { ProfileName } from '../../../sensor/logs/log-schema';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog, ZeekLogTable } from './zeek-log-reader';
import { ELSA_DIR, ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

const ELSA = ELSA_DIR;
const SYSLOG_NG = path.resolve(__dirname, '../../../../var/syslog-ng');
const PDBTOOL = path.join(SYSLOG_NG, 'usr/bin/pdbtool');
const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/pcaps');
const BAD_CHECKSUM_CASE = path.join(ZEEK_CASES_DIR, 'core-checksums_ignore_nets_runtime_update', 'localhost-bad-chksum.pcap');

/** What each ELSA field named in schema.sql means in Bro's logs (ELSA's naming: bytes_in = bytes to the originator). */
const ELSA_FIELD_TO_COLUMN: Record<string, Record<string, string>> = {
  BRO_CONN: {
    srcip: 'id.orig_h', srcport: 'id.orig_p', dstip: 'id.resp_h', dstport: 'id.resp_p', proto: 'proto',
    service: 'service', conn_duration: 'duration', bytes_out: 'orig_bytes', bytes_in: 'resp_bytes',
    pkts_out: 'orig_pkts', pkts_in: 'resp_pkts',
  },
  BRO_DNS: {
    srcip: 'id.orig_h', srcport: 'id.orig_p', dstip: 'id.resp_h', dstport: 'id.resp_p', proto: 'proto', hostname: 'query',
    answer: 'answers',
  },
  BRO_HTTP: {
    srcip: 'id.orig_h', srcport: 'id.orig_p', dstip: 'id.resp_h', dstport: 'id.resp_p', status_code: 'status_code',
    content_length: 'response_body_len', method: 'method', site: 'host', uri: 'uri', referer: 'referrer',
    user_agent: 'user_agent',
  },
  BRO_FILES: {
    txhosts: 'tx_hosts', rxhosts: 'rx_hosts', seen_bytes: 'seen_bytes', missing_bytes: 'missing_bytes', source: 'source',
    mime_type: 'mime_type', filename: 'filename', conn_duration: 'duration', md5: 'md5', sha1: 'sha1',
  },
  BRO_WEIRD: {
    eventid: 'uid', srcip: 'id.orig_h', srcport: 'id.orig_p', dstip: 'id.resp_h', dstport: 'id.resp_p', name: 'name',
  },
  BRO_SOFTWARE: {
    srcip: 'host', srcport: 'host_p', type: 'software_type', name: 'name', version_major: 'version.major',
    version_minor: 'version.minor', product: 'unparsed_version',
  },
  // ELSA's Bro 2.2 notice patterns put src in srcip's slot (for a notice about a connection, src is its orig_h).
  BRO_NOTICE: {
    srcip: 'src', srcport: 'id.orig_p', dstip: 'id.resp_h', dstport: 'id.resp_p', mime_type: 'file_mime_type',
    desc: 'file_desc', protocol: 'proto', notice_type: 'note', notice_msg: 'msg', sub_msg: 'sub',
  },
};

/** ELSA's Bro rulesets alone, without examples and comments, in a patterndb syslog-ng 3.38 loads (version 4). */
function extractBroPatterndb(programs: string[]): string {
  const xml = fs.readFileSync(path.join(ELSA, 'patterndb.xml'), 'utf8');
  const parts = ["<?xml version='1.0' encoding='utf-8'?>", "<patterndb version='4' pub_date='2016-08-22'>"];
  for (const program of programs) {
    const m = new RegExp(`<ruleset>\\s*<pattern[^>]*>${program}</pattern>[\\s\\S]*?</ruleset>`).exec(xml);
    if (!m) throw new Error(`patterndb.xml has no ruleset for ${program}`);
    const ruleset = m[0]
      .replace(/<examples>[\s\S]*?<\/examples>/g, '')
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace('<ruleset>', `<ruleset name="${program}" id="${program}">`)
      .replace(/<rule class="(\d+)" id="(\d+)">/g, '<rule provider="ELSA" class="$1" id="$2">');
    parts.push(ruleset);
  }
  parts.push('</patterndb>');
  return parts.join('\n');
}

/** schema.sql: class name → its id, and field name → slot (field_order 5..10 are i0..i5, 11..16 are s0..s5). */
function readElsaSchema(): { classId: Map<string, number>; slots: Map<string, Map<string, string>> } {
  const sql = fs.readFileSync(path.join(ELSA, 'schema.sql'), 'utf8');
  const classId = new Map<string, number>();
  for (const m of sql.matchAll(/INSERT INTO classes \(id, class, parent_id\) VALUES\((\d+), "(\w+)"/g)) {
    classId.set(m[2], Number(m[1]));
  }
  const slots = new Map<string, Map<string, string>>();
  const re = /class="(\w+)"\), \(SELECT id FROM fields WHERE field="(\w+)"\), (\d+)\);/g;
  for (const m of sql.matchAll(re)) {
    const order = Number(m[3]);
    const slot = order >= 5 && order <= 10 ? `i${order - 5}` : order >= 11 && order <= 16 ? `s${order - 11}` : undefined;
    if (!slot) continue;
    if (!slots.has(m[1])) slots.set(m[1], new Map());
    (slots.get(m[1]) as Map<string, string>).set(m[2], slot);
  }
  return { classId, slots };
}

/** ELSA's syslog-ng rewrites before db-parser. */
function elsaRewrite(row: string): string {
  return row.replace(/\|/g, '%7C').replace(/\t/g, '|');
}

function pdbMatch(patterndb: string, program: string, message: string): Map<string, string> {
  const out = execFileSync(PDBTOOL, ['match', '-p', patterndb, '-P', program, '-M', message], {
    env: { ...process.env, LD_LIBRARY_PATH: path.join(SYSLOG_NG, 'usr/lib/syslog-ng') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  const values = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return values;
}

async function sensorLogs(pcap: string, profile: ProfileName, dir: string, ignoreChecksums = false): Promise<void> {
  await new SensorPipeline({
    source: openCaptureFile(pcap),
    logs: new LogWriterSet({ dir, profile, format: 'ascii' }),
    localNets: LocalNetworks.zeekDefault(),
    uidSource: new UidSource('elsa'),
    ignoreChecksums,
  }).run();
}

describe('elsa profile through ELSA pdbtool', function () {
  let tmp: string;
  let patterndb: string;
  const schema = readElsaSchema();

  before(() => {
    expect(fs.existsSync(PDBTOOL), `pdbtool missing at ${PDBTOOL} (see test/fixtures/elsa/README.md)`).to.equal(true);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-elsa-'));
    patterndb = path.join(tmp, 'bro.xml');
    fs.writeFileSync(patterndb, extractBroPatterndb(['bro_conn', 'bro_weird', 'bro_dns', 'bro_http', 'bro_files', 'bro_software', 'bro_notice']));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function checkRows(table: ZeekLogTable, program: string, className: string): number {
    const slots = schema.slots.get(className) as Map<string, string>;
    expect(slots.size).to.be.greaterThan(4);
    table.lines.forEach((line, i) => {
      const parsed = pdbMatch(patterndb, program, elsaRewrite(line));
      expect(parsed.get('.classifier.class'), line).to.equal(String(schema.classId.get(className)));
      for (const [field, slot] of slots) {
        const column = ELSA_FIELD_TO_COLUMN[className][field];
        expect(column, `no meaning known for ELSA field ${field}`).to.be.a('string');
        expect(parsed.get(slot), `${field} (${slot}) in ${line}`).to.equal(table.rows[i].get(column));
      }
    });
    return table.lines.length;
  }

  it('classifies conn.log rows as BRO_CONN with every field in its slot', async () => {
    let rows = 0;
    for (const f of ['http-curl.pcap', 'dns-dig.pcap', 'tcp-rej.pcap', 'udp-noanswer.pcap', 'tls-openssl.pcap']) {
      const dir = path.join(tmp, f);
      await sensorLogs(path.join(FIXTURES, f), 'elsa', dir, true); // loopback: partial checksums
      rows += checkRows(readZeekLog(path.join(dir, 'conn.log')), 'bro_conn', 'BRO_CONN');
    }
    expect(rows).to.be.greaterThanOrEqual(5);
  });

  it('classifies weird.log rows as BRO_WEIRD with uid, id and name in their slots', async () => {
    const dir = path.join(tmp, 'weird');
    await sensorLogs(BAD_CHECKSUM_CASE, 'elsa', dir);
    expect(checkRows(readZeekLog(path.join(dir, 'weird.log')), 'bro_weird', 'BRO_WEIRD')).to.be.greaterThan(0);
  });

  it('classifies dns.log rows as BRO_DNS with id, proto, query and answers in their slots', async () => {
    let rows = 0;
    for (const pcap of [path.join(FIXTURES, 'dns-dig-types.pcap'),
      path.join(ZEEK_CASES_DIR, 'dns-duplicate-reponses', 'dns-two-responses.pcap'),
      path.join(ZEEK_CASES_DIR, 'dns-multiple-txt-strings', 'dns-txt-multiple.pcap'),
      path.join(ZEEK_CASES_DIR, 'dns-mdns-no-assoc', 'mdns-no-assoc.pcap')]) {
      const dir = path.join(tmp, 'dns-' + path.basename(pcap));
      await sensorLogs(pcap, 'elsa', dir, true);
      const table = readZeekLog(path.join(dir, 'dns.log'));
      // Rows with several answers, with spaces inside one, and with none.
      rows += checkRows(table, 'bro_dns', 'BRO_DNS');
    }
    expect(rows).to.be.greaterThan(15);
  });

  it('classifies http.log rows as BRO_HTTP with id, method, host, uri, referrer, user agent, length and status in their slots', async () => {
    let rows = 0;
    for (const pcap of [path.join(FIXTURES, 'http-curl-keepalive.pcap'),
      path.join(ZEEK_CASES_DIR, 'http-http-pipelining', 'pipelined-requests.pcap'),
      path.join(ZEEK_CASES_DIR, 'http-http-09', 'http_09.pcap')]) {
      const dir = path.join(tmp, 'http-' + path.basename(pcap));
      await sensorLogs(pcap, 'elsa', dir, true);
      // Rows with a referrer, a user agent with spaces, unset host and status (HTTP/0.9), and keep-alive depths.
      rows += checkRows(readZeekLog(path.join(dir, 'http.log')), 'bro_http', 'BRO_HTTP');
    }
    expect(rows).to.be.greaterThan(14);
  });

  it('classifies files.log rows as BRO_FILES with hosts, source, MIME type, file name, duration, sizes and hashes in their slots', async () => {
    let rows = 0;
    for (const pcap of [path.join(FIXTURES, 'http-files-curl.pcap'), path.join(ZEEK_CASES_DIR, 'http-http-pipelining', 'pipelined-requests.pcap')]) {
      const dir = path.join(tmp, 'files-' + path.basename(pcap));
      await sensorLogs(pcap, 'elsa', dir, true);
      const table = readZeekLog(path.join(dir, 'files.log'));
      // Hashes (on by default), a file name with a space, both directions.
      expect(table.rows.some((r) => /^[0-9a-f]{40}$/.test(r.get('sha1') ?? ''))).to.equal(true);
      rows += checkRows(table, 'bro_files', 'BRO_FILES');
    }
    expect(rows).to.be.greaterThan(8);
  });

  it('classifies software.log rows as BRO_SOFTWARE with host, port, type, name, major, minor and product in their slots', async () => {
    const dir = path.join(tmp, 'software');
    await sensorLogs(path.join(FIXTURES, 'http-software-java.pcap'), 'elsa', dir, true);
    // Browsers (no port), a server with addl, an app server with minor3, versions with and without minor2.
    expect(checkRows(readZeekLog(path.join(dir, 'software.log')), 'bro_software', 'BRO_SOFTWARE')).to.equal(5);
  });

  it("shows why software.log's elsa layout differs: today's zeek columns (minor3) shift addl into ELSA's product slot", async () => {
    const dir = path.join(tmp, 'software-zeek');
    await sensorLogs(path.join(FIXTURES, 'http-software-java.pcap'), 'zeek', dir, true);
    const table = readZeekLog(path.join(dir, 'software.log'));
    const parsed = pdbMatch(patterndb, 'bro_software', elsaRewrite(table.lines[0]));
    expect(parsed.get('.classifier.class')).to.equal('46');
    // The product slot takes everything from version.addl on.
    expect(parsed.get('s2')).to.equal(`${table.rows[0].get('version.addl')}|${table.rows[0].get('unparsed_version')}`);
  });

  it('classifies notice.log rows as BRO_NOTICE with addresses, ports, file fields, proto, note, msg and sub in their slots', async () => {
    const dir = path.join(tmp, 'notice');
    await sensorLogs(path.join(FIXTURES, 'http-software-java.pcap'), 'elsa', dir, true);
    const sensorRows = readZeekLog(path.join(dir, 'notice.log'));
    expect(checkRows(sensorRows, 'bro_notice', 'BRO_NOTICE')).to.equal(1);
    // A notice about a connection and one about a file, written through the same schema and profile.
    const written = path.join(tmp, 'notice-written');
    const logs = new LogWriterSet({ dir: written, profile: 'elsa', format: 'ascii' });
    logs.write(noticeLog, {
      tsMicros: 1_358_985_600_123_456, uid: 'CHhAvVGS1DHFjwGM9', note: 'Scan::Port_Scan', msg: '10.0.0.5 scanned 15 ports',
      sub: 'local', id: { origAddr: '10.0.0.5', origPort: 51234, respAddr: '10.0.0.9', respPort: 443 }, src: '10.0.0.5',
      dst: '10.0.0.9', p: 443, proto: 'tcp', n: 15, actions: ['Notice::ACTION_LOG'], emailDest: [], suppressFor: 3600,
    });
    logs.write(noticeLog, {
      tsMicros: 1_358_985_601_000_000, uid: 'CHhAvVGS1DHFjwGM9', note: 'HTTP::MD5', msg: 'a known bad file',
      sub: 'http://10.0.0.9/x.exe', id: { origAddr: '10.0.0.5', origPort: 51235, respAddr: '10.0.0.9', respPort: 80 },
      src: '10.0.0.5', dst: '10.0.0.9', p: 80, proto: 'tcp', fuid: 'FakFsd3ce9BKlbVW0f', fileMimeType: 'application/x-dosexec',
      fileDesc: 'http://10.0.0.9/x.exe', actions: ['Notice::ACTION_LOG'], emailDest: [], suppressFor: 3600,
    });
    logs.close();
    expect(checkRows(readZeekLog(path.join(written, 'notice.log')), 'bro_notice', 'BRO_NOTICE')).to.equal(2);
  });

  it("shows why http.log's elsa layout differs: today's zeek columns put version into ELSA's user agent slot", async () => {
    const dir = path.join(tmp, 'http-zeek');
    await sensorLogs(path.join(FIXTURES, 'http-curl-keepalive.pcap'), 'zeek', dir, true);
    const table = readZeekLog(path.join(dir, 'http.log'));
    const parsed = pdbMatch(patterndb, 'bro_http', elsaRewrite(table.lines[0]));
    expect(parsed.get('s4')).to.equal('1.1');
    expect(parsed.get('i4')).to.not.equal(table.rows[0].get('status_code'));
  });

  it("shows why dns.log's elsa layout differs: today's zeek columns put rejected and opcode into ELSA's answer slot", async () => {
    const dir = path.join(tmp, 'dns-zeek');
    await sensorLogs(path.join(FIXTURES, 'dns-dig-types.pcap'), 'zeek', dir, true);
    const table = readZeekLog(path.join(dir, 'dns.log'));
    const parsed = pdbMatch(patterndb, 'bro_dns', elsaRewrite(table.lines[0]));
    expect(parsed.get('.classifier.class')).to.equal('14');
    const answerSlot = schema.slots.get('BRO_DNS')?.get('answer') as string;
    expect(parsed.get(answerSlot)).to.equal(['TTLs', 'rejected', 'opcode', 'opcode_name'].map((c) => table.rows[0].get(c)).join('|'));
  });

  it("shows why elsa is the default: today's zeek columns put history into ELSA's pkts_out slot", async () => {
    const dir = path.join(tmp, 'zeek');
    await sensorLogs(path.join(FIXTURES, 'http-curl.pcap'), 'zeek', dir, true);
    const table = readZeekLog(path.join(dir, 'conn.log'));
    const parsed = pdbMatch(patterndb, 'bro_conn', elsaRewrite(table.lines[0]));
    expect(parsed.get('.classifier.class')).to.equal('20');
    const pktsOutSlot = schema.slots.get('BRO_CONN')?.get('pkts_out') as string;
    expect(parsed.get(pktsOutSlot)).to.equal(table.rows[0].get('history'));
    expect(parsed.get(pktsOutSlot)).to.not.equal(table.rows[0].get('orig_pkts'));
  });
});
