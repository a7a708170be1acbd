// The reference configs in rsyslog/ are accepted as-is: by nsm, and where rsyslog itself accepts them, by real
// rsyslogd -N1 too. The seed 60-bro.conf shows the difference nsm exists for: rsyslog monitors nothing there.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from './config-test-helpers';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const NSM = path.join(ROOT, 'bin', 'nsm');
const REFERENCE_DIR = path.join(ROOT, 'rsyslog');

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error; // rsyslogd missing fails the test, never skips it
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A copy whose work directory is a temp dir, so rsyslogd -N1 does not depend on /var/spool/rsyslog existing. */
function withTempWorkDirectory(file: string, dir: string): string {
  const text = fs.readFileSync(file, 'utf8')
    .replace(/^\$WorkDirectory .*$/m, `$WorkDirectory ${dir}`)
    .replace(/workDirectory="[^"]*"/, `workDirectory="${dir}"`);
  const copy = path.join(dir, path.basename(file));
  fs.writeFileSync(copy, text);
  return copy;
}

describe('reference configs in rsyslog/', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('reference');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const files = fs.readdirSync(REFERENCE_DIR).filter((f) => f.endsWith('.conf')).sort();

  it('has the seed, the RainerScript/RELP variant and the recommended ELSA config', () => {
    expect(files).to.include.members(['60-bro.conf', '61-bro-relp.conf', '62-bro-elsa.conf']);
  });

  for (const name of ['60-bro.conf', '61-bro-relp.conf']) {
    it(`${name}: nsm check accepts it unchanged (exit 0, no errors, 14 Bro logs monitored)`, () => {
      const r = run(process.execPath, [NSM, 'check', '-f', path.join('rsyslog', name), '--no-work-directory-check']);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.match(/nsm check: 14 files monitored, 1 action, 0 errors, \d+ warnings/);
    });
  }

  it('61-bro-relp.conf: real rsyslogd -N1 accepts it too', () => {
    const r = run('rsyslogd', ['-N1', '-f', withTempWorkDirectory(path.join(REFERENCE_DIR, '61-bro-relp.conf'), dir)]);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.not.match(/error|invalid/i);
  });

  it('60-bro.conf: real rsyslogd -N1 rejects the misspelled directive and monitors nothing, where nsm monitors all 14', () => {
    const r = run('rsyslogd', ['-N1', '-f', withTempWorkDirectory(path.join(REFERENCE_DIR, '60-bro.conf'), dir)]);
    expect(r.status).to.not.equal(0);
    expect(r.out).to.include("invalid or yet-unknown config file command 'InputFilePollingInterval'");
    expect(r.out).to.include('no files configured to be monitored');
  });

  describe('62-bro-elsa.conf (recommended for ELSA)', () => {
    const conf = path.join('rsyslog', '62-bro-elsa.conf');
    // Every log the project's sensor writes or will write, with the program name ELSA's patterndb knows it by.
    const expectedTags: Record<string, string> = {
      conn: 'bro_conn:', dns: 'bro_dns:', http: 'bro_http:', ssl: 'bro_ssl:', x509: 'bro_x509:', smtp: 'bro_smtp:',
      smtp_entities: 'bro_smtp_entities:', files: 'bro_files:', ssh: 'bro_ssh:', ftp: 'bro_ftp:', software: 'bro_software:',
      known_hosts: 'bro_known_hosts:', known_certs: 'bro_known_cert:', known_services: 'bro_known_services:',
      notice: 'bro_notice:', weird: 'bro_weird:', tunnel: 'bro_tunnel:',
    };

    it('nsm check accepts it with no error and no warning, and shows the header filter for every file', () => {
      const r = run(process.execPath, [NSM, 'check', '-f', conf, '--no-work-directory-check']);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.include('nsm check: 17 files monitored, 1 action, 0 errors, 0 warnings');
      expect(r.out).to.include([
        'every monitored file (17):',
        '  if $msg startswith "#" then  (rsyslog/62-bro-elsa.conf:29)',
        '    stop  (rsyslog/62-bro-elsa.conf:29)',
        '  -> tcp://127.0.0.1:514  (rsyslog/62-bro-elsa.conf:31)',
      ].join('\n'));
    });

    it('monitors every log with the tag ELSA expects', () => {
      const text = fs.readFileSync(path.join(ROOT, conf), 'utf8');
      const inputs = [...text.matchAll(/File="[^"]*\/([a-z0-9_]+)\.log" Tag="([^"]+)"/g)].map((m) => [m[1], m[2]]);
      expect(Object.fromEntries(inputs)).to.deep.equal(expectedTags);
      // The program names must be ones ELSA's patterndb.xml has a Bro ruleset for (listed in ELSA's README as shipped
      // with the project's shared ELSA files), except x509, which ELSA stores unparsed.
      const elsaPrograms = ['bro_conn', 'bro_dns', 'bro_http', 'bro_ssl', 'bro_smtp', 'bro_smtp_entities', 'bro_notice', 'bro_files',
        'bro_ftp', 'bro_weird', 'bro_tunnel', 'bro_software', 'bro_ssh', 'bro_syslog', 'bro_irc', 'bro_known_cert', 'bro_known_hosts',
        'bro_known_services', 'bro_capture_loss'];
      for (const tag of Object.values(expectedTags).filter((t) => t !== 'bro_x509:')) expect(elsaPrograms, tag).to.include(tag.replace(/:$/, ''));
    });

    it('real rsyslogd -N1 accepts it too', () => {
      const r = run('rsyslogd', ['-N1', '-f', withTempWorkDirectory(path.join(REFERENCE_DIR, '62-bro-elsa.conf'), dir)]);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.not.match(/error|invalid|warning/i);
    });
  });
});
