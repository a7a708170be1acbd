// `nsm check` as a real subprocess: its output lines, summary, table and exit status.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from './config-test-helpers';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const NSM = path.join(ROOT, 'bin', 'nsm');

function nsm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  // Without NSM_HOME: with it set, a bare `nsm check` checks that nsm home instead (test/control/ctl-cli.test.ts).
  const env = { ...process.env };
  delete env.NSM_HOME;
  const r = spawnSync(process.execPath, [NSM, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nsm check (subprocess)', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('check');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts the seed config with 28 warnings, exit 0, and lists the 14 files and the action', () => {
    const r = nsm(['check', '-f', 'rsyslog/60-bro.conf', '--no-work-directory-check']);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('rsyslog/60-bro.conf:'))).to.have.length(28);
    expect(lines[0]).to.equal('rsyslog/60-bro.conf:8: warning: $InputFileName /usr/local/bro/logs/current/conn.log is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway');
    expect(lines).to.include('nsm check: 14 files monitored, 1 action, 0 errors, 28 warnings');
    expect(lines.filter((l) => /^\/usr\/local\/bro\/logs\/current\/\S+\.log\s+bro_\S+:\s+local7\.info\s+stat-bro_/.test(l))).to.have.length(14);
    expect(lines.some((l) => /^local7\.\*\s+tcp:\/\/127\.0\.0\.1:514\s+lf\s+RSYSLOG_TraditionalForwardFormat\s+clear text$/.test(l))).to.equal(true);
  });

  it('shows, per file, the filters and actions its lines go through (what is fixed for the file folded away)', () => {
    const f = path.join(dir, 'filters.conf');
    fs.writeFileSync(f, [
      'module(load="imfile")',
      'input(type="imfile" File="/logs/conn.log" Tag="bro_conn:" Facility="local7" Severity="info")',
      'input(type="imfile" File="/logs/dns.log" Tag="bro_dns:" Facility="local7" Severity="info")',
      'input(type="imfile" File="/logs/app.log" Tag="app:" Facility="local6" Severity="info")',
      'if $programname startswith "bro_" and $msg startswith "#" then stop',
      'local7.* @@127.0.0.1:514',
      ':msg, !contains, "noise" @127.0.0.1:515',
      '',
    ].join('\n'));
    const r = nsm(['check', '-f', f]);
    expect(r.status, r.stdout).to.equal(0);
    const routing = r.stdout.slice(r.stdout.indexOf('ROUTING'), r.stdout.indexOf('\nwork directory'));
    expect(routing.split('\n').map((l) => l.replace(/ {2}\(.*:(\d+)\)$/, ' ($1)'))).to.deep.equal([
      'ROUTING (in config order; -> sends the line, stop ends its processing)',
      '/logs/conn.log, /logs/dns.log:',
      '  if $msg startswith "#" then (5)',
      '    stop (5)',
      '  -> tcp://127.0.0.1:514 (6)',
      '  if :msg, !contains, "noise" then (7)',
      '    -> udp://127.0.0.1:515 (7)',
      '/logs/app.log:',
      '  if :msg, !contains, "noise" then (7)',
      '    -> udp://127.0.0.1:515 (7)',
      '',
    ]);
  });

  it('shows RELP over TLS, its window and how the collector is verified', () => {
    const f = path.join(dir, 'relp-tls.conf');
    fs.writeFileSync(f, [
      'module(load="imfile")',
      'input(type="imfile" file="/var/log/a.log" tag="a:")',
      'local7.* action(type="omrelp" target="collector.test" port="2514" windowSize="16" tls="on" tls.authMode="name"',
      '                tls.caCert="/etc/nsm/ca.pem" tls.permittedPeer=["collector.test"])',
      'local7.* action(type="omfwd" target="10.0.0.9" port="6514" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1")',
      '',
    ].join('\n'));
    const r = nsm(['check', '-f', f, '--no-work-directory-check']);
    expect(r.status, r.stdout).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines.some((l) => /^local7\.\*\s+relp\+tls:\/\/collector\.test:2514\s+window 16\s+RSYSLOG_ForwardFormat\s+tls, verified: CA \/etc\/nsm\/ca\.pem, peers collector\.test$/.test(l)), r.stdout).to.equal(true);
    expect(lines.some((l) => /^local7\.\*\s+tls:\/\/10\.0\.0\.9:6514\s+lf\s+\S+\s+tls, verified: system CAs, host name$/.test(l)), r.stdout).to.equal(true);
  });

  it('x509/certvalid (and omrelp certvalid) verify the chain only, as rsyslog: shown, permitted peers not checked', () => {
    const f = path.join(dir, 'certvalid.conf');
    fs.writeFileSync(f, [
      'global(DefaultNetstreamDriverCAFile="/etc/nsm/ca.pem")',
      'module(load="imfile")',
      'input(type="imfile" file="/var/log/a.log" tag="a:")',
      'local7.* action(type="omfwd" target="10.0.0.9" port="6514" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1"',
      '                StreamDriverAuthMode="x509/certvalid" StreamDriverPermittedPeers="elsa.example")',
      'local7.* action(type="omrelp" target="10.0.0.8" port="2514" tls="on" tls.authMode="certvalid" tls.caCert="/etc/nsm/ca.pem")',
      '$DefaultNetstreamDriver gtls',
      '$ActionSendStreamDriverMode 1',
      '$ActionSendStreamDriverAuthMode x509/certvalid',
      'local7.* @@10.0.0.7:6514',
      '$ActionSendStreamDriverAuthMode x509/name',
      'local7.* @@10.0.0.6:6514',
      '',
    ].join('\n'));
    const r = nsm(['check', '-f', f, '--no-work-directory-check']);
    expect(r.status, r.stdout).to.equal(0);
    const security = (dest: string): string | undefined => r.stdout.split('\n').find((l) => l.includes(dest))?.replace(/^.*RSYSLOG_\S+\s+/, '');
    expect(security('tls://10.0.0.9:6514')).to.equal('tls, verified: CA /etc/nsm/ca.pem, chain only, any name (x509/certvalid) (permitted peers elsa.example not checked)');
    expect(security('relp+tls://10.0.0.8:2514')).to.equal('tls, verified: CA /etc/nsm/ca.pem, chain only, any name (x509/certvalid)');
    expect(security('tls://10.0.0.7:6514')).to.equal('tls, verified: CA /etc/nsm/ca.pem, chain only, any name (x509/certvalid)');
    expect(security('tls://10.0.0.6:6514')).to.equal('tls, verified: CA /etc/nsm/ca.pem, host name');
  });

  it('exits 1 and prints FILE:LINE: error: for a broken config', () => {
    const f = path.join(dir, 'bad.conf');
    fs.writeFileSync(f, `$ModLoad imfile\n$InputFileName /a.log\n$InputFileTag a:\n$InputRunFileMonitor\nlocal7.* @@127.0.0.1:99999\n`);
    const r = nsm(['check', '-f', f]);
    expect(r.status).to.equal(1);
    expect(r.stdout.split('\n')).to.include.members([
      `${f}:5: error: '@@127.0.0.1:99999': bad port '99999' (must be 1..65535)`,
      'nsm check: 1 file monitored, 0 actions, 1 error, 1 warning',
    ]);
  });

  it('-d checks a directory; a missing work directory is an error', () => {
    const d = path.join(dir, 'rsyslog.d');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, '10-in.conf'), `module(load="imfile")\nglobal(workDirectory="${dir}/nope")\ninput(type="imfile" File="/a.log" Tag="a:")\n`);
    fs.writeFileSync(path.join(d, '20-out.conf'), 'local7.* @@(o)127.0.0.1:10514\n');
    const r = nsm(['check', '-d', d]);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.contain(`${path.join(d, '10-in.conf')}:2: error: work directory ${dir}/nope does not exist`);
    expect(r.stdout).to.contain('nsm check: 1 file monitored, 1 action, 1 error, 0 warnings');
  });

  it('needs exactly one of -f and -d, and documents both in --help', () => {
    const none = nsm(['check']);
    expect(none.status).to.equal(2);
    expect(none.stderr).to.contain('give exactly one of -f FILE or -d DIR');
    const help = nsm(['check', '--help']);
    expect(help.status).to.equal(0);
    for (const opt of ['-f, --file <file>', '-d, --dir <dir>', '--no-work-directory-check', 'Exit status']) expect(help.stdout).to.contain(opt);
  });
});
