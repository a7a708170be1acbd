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

  it('has the seed and the RainerScript/RELP variant', () => {
    expect(files).to.include.members(['60-bro.conf', '61-bro-relp.conf']);
  });

  for (const name of files) {
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
});
