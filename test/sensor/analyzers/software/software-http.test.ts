// Real traffic: curl against a node http server on 127.0.0.1:8888 (test/fixtures/pcaps/http-software-java.pcap,
// recorded with tcpdump on lo by record-software-fixture.sh beside this file), with the user agents of an old Java
// (Java/1.7.0_09, on two connections), a newer Java and curl, and a server sending Server and X-Powered-By.
// software.log must hold each host's software once per version (as tshark reads the headers), and notice.log exactly
// one Software::Vulnerable_Version, for the old Java; `nsm sensor --vulnerable-software` swaps the table.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { readZeekLog } from '../../logs/zeek-log-reader';
import { PCAPS_DIR, REPO_ROOT } from '../../../helpers/fixture-paths';

const PCAP = path.join(PCAPS_DIR, 'http-software-java.pcap');
const NSM = path.join(REPO_ROOT, 'bin', 'nsm');

function tshark(filter: string, field: string): string[] {
  const out = execFileSync('tshark', ['-r', PCAP, '-Y', filter, '-T', 'fields', '-e', field],
    { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trimEnd().split('\n');
}

describe('software.log and notice.log on real curl traffic (old and new Java user agents)', () => {
  let tmp: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-software-'));
    await new SensorPipeline({
      source: openCaptureFile(PCAP),
      logs: new LogWriterSet({ dir: path.join(tmp, 'zeek'), profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true, // loopback: checksums offloaded
    }).run();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('logs each user agent and server header tshark reads once per host and version, parsed as Zeek parses them', () => {
    const agents = tshark('http.request', 'http.user_agent');
    expect(agents).to.deep.equal(['Java/1.7.0_09', 'Java/1.7.0_09', 'Java/1.8.0_402', 'curl/7.88.1']);
    const servers = [...new Set(tshark('http.response', 'http.server'))];
    expect(servers).to.deep.equal(['Apache/2.2.22 (Debian)']);
    const log = readZeekLog(path.join(tmp, 'zeek', 'software.log'));
    expect(log.fields).to.deep.equal(['ts', 'host', 'host_p', 'software_type', 'name', 'version.major', 'version.minor',
      'version.minor2', 'version.minor3', 'version.addl', 'unparsed_version']);
    const rows = log.rows.map((r) => [r.get('host'), r.get('host_p'), r.get('software_type'), r.get('name'),
      r.get('version.major'), r.get('version.minor'), r.get('version.minor2'), r.get('version.minor3'),
      r.get('version.addl'), r.get('unparsed_version')].join(' '));
    expect(rows).to.deep.equal([
      '127.0.0.1 - HTTP::BROWSER Java 1 7 0 9 - Java/1.7.0_09',
      '127.0.0.1 8888 HTTP::SERVER Apache 2 2 22 - Debian Apache/2.2.22 (Debian)',
      '127.0.0.1 8888 HTTP::APPSERVER PHP 5 4 4 14 - PHP/5.4.4-14',
      '127.0.0.1 - HTTP::BROWSER Java 1 8 0 402 - Java/1.8.0_402',
      '127.0.0.1 - HTTP::BROWSER curl 7 88 1 - - curl/7.88.1',
    ]);
    // Every distinct user agent tshark saw is a BROWSER row.
    const browsers = log.rows.filter((r) => r.get('software_type') === 'HTTP::BROWSER').map((r) => r.get('unparsed_version'));
    expect(browsers).to.deep.equal([...new Set(agents)]);
  });

  it('raises exactly one Software::Vulnerable_Version, for Java 1.7.0_09, with the row time of its software.log row', () => {
    const notices = readZeekLog(path.join(tmp, 'zeek', 'notice.log'));
    expect(notices.rows).to.have.length(1);
    const n = notices.rows[0];
    expect([n.get('note'), n.get('msg'), n.get('sub'), n.get('src'), n.get('uid'), n.get('actions'), n.get('email_dest'),
      n.get('suppress_for')]).to.deep.equal(['Software::Vulnerable_Version',
      '127.0.0.1 is running Java 1.7.0.9 which is vulnerable.', 'Java 1.7.0.9', '127.0.0.1', '-', 'Notice::ACTION_LOG',
      '(empty)', '3600.000000']);
    const software = readZeekLog(path.join(tmp, 'zeek', 'software.log'));
    expect(n.get('ts')).to.equal(software.rows[0].get('ts'));
  });

  it('nsm sensor --vulnerable-software FILE uses that table; a bad line is a file:line error', () => {
    const table = path.join(tmp, 'vulnerable.cfg');
    fs.writeFileSync(table, '# every Java 1.x and this curl\nJava min=1 max=1.99\ncurl max=7.88.1\n');
    const out = path.join(tmp, 'cli');
    const run = spawnSync(NSM, ['sensor', '-r', PCAP, '-C', '-l', out, '--profile', 'zeek', '--vulnerable-software', table],
      { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).to.equal(0);
    const subs = readZeekLog(path.join(out, 'notice.log')).rows.map((r) => r.get('sub'));
    expect(subs).to.deep.equal(['Java 1.7.0.9', 'Java 1.8.0.402', 'curl 7.88.1']);

    fs.writeFileSync(table, 'Java max=1.7.0.10\nPHP min=5.4\n');
    const bad = spawnSync(NSM, ['sensor', '-r', PCAP, '-C', '-l', path.join(tmp, 'bad'), '--vulnerable-software', table],
      { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.contain(`${table}:2: PHP: no max=VERSION`);
    expect(fs.existsSync(path.join(tmp, 'bad', 'conn.log'))).to.equal(false);
  });

  it('nsm sensor --software-hosts: none tracks nothing, remote skips the local loopback host', () => {
    for (const which of ['none', 'remote']) {
      const out = path.join(tmp, `hosts-${which}`);
      const run = spawnSync(NSM, ['sensor', '-r', PCAP, '-C', '-l', out, '--software-hosts', which], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).to.equal(0);
      expect(fs.readdirSync(out).sort(), which).to.deep.equal(['conn.log', 'files.log', 'http.log']);
    }
    const all = path.join(tmp, 'hosts-all');
    expect(spawnSync(NSM, ['sensor', '-r', PCAP, '-C', '-l', all, '--software-hosts', 'all']).status).to.equal(0);
    expect(readZeekLog(path.join(all, 'software.log')).rows).to.have.length(5);
  });
});
