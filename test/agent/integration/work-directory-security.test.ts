// `nsm agent` refuses a work directory others can write to (as sshd's StrictModes does), `nsm check` says so too,
// and everything the agent creates gets a fixed mode even when it is started under umask 000.

import { expect } from 'chai';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from '../../helpers/rsyslogd-process';
import { NSM_BIN, waitUntil } from './agent-process';
import { agentConfigText } from './shipping-fixture';

function nsm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NSM_BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o7777;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

describe('the agent work directory: refused when others can write it, fixed modes whatever the umask', function () {
  this.timeout(60_000);
  const dir = makeTempDir('workdir-security');
  const input = path.join(dir, 'conn.log');
  fs.writeFileSync(input, 'one\ntwo\nthree\n');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function configFor(work: string, name: string): string {
    const conf = path.join(dir, `${name}.conf`);
    // Port 9 (discard) on loopback: nothing listens, so the lines stay queued and are spilled at the stop.
    fs.writeFileSync(conf, agentConfigText({ workDirectory: work, files: [{ path: input, tag: 'bro_conn' }], port: 9 }));
    return conf;
  }

  for (const [what, mode] of [['world-writable', 0o777], ['group-writable', 0o770], ['world-writable with the sticky bit', 0o1777]] as const) {
    it(`refuses a ${what} work directory (mode ${octal(mode)}), from --work-dir and from the config, and nsm check reports it`, () => {
      const work = path.join(dir, `w-${mode.toString(8)}`);
      fs.mkdirSync(work);
      fs.chmodSync(work, mode);
      const conf = configFor(work, `open-${mode.toString(8)}`);
      const viaFlag = nsm(['agent', '-f', conf, '--work-dir', work]);
      expect(viaFlag.status, viaFlag.stderr).to.equal(2);
      expect(viaFlag.stderr).to.include(`work directory ${work} is writable by`).and.include('refused');
      const viaConfig = nsm(['agent', '-f', conf]);
      expect(viaConfig.status, viaConfig.stderr).to.equal(2);
      expect(viaConfig.stderr).to.include('is writable by').and.include(`${conf}:1: error:`);
      const check = nsm(['check', '-f', conf]);
      expect(check.status).to.equal(1);
      expect(check.stdout).to.include(`${conf}:1: error: work directory ${work} is writable by`);
      // Nothing was created in it: no state, no queue, no status file.
      expect(fs.readdirSync(work)).to.deep.equal([]);
    });
  }

  it('refuses a work directory owned by another non-root user (as root, where the test can chown)', function () {
    expect(process.getuid?.(), 'this test runs as root (it chowns a directory to another user)').to.equal(0);
    const work = path.join(dir, 'w-other');
    fs.mkdirSync(work, { mode: 0o700 });
    fs.chownSync(work, 4242, 4242);
    const r = nsm(['agent', '-f', configFor(work, 'other'), '--work-dir', work]);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.include('is owned by uid 4242');
    const check = nsm(['check', '-f', configFor(work, 'other'), '-w', work]);
    expect(check.stdout).to.include('is owned by uid 4242');
    expect(check.status).to.equal(1);
  });

  it('under umask 000: work dir 0750, queue dirs 0700, state, segments and pointer 0600, status and log 0640', async () => {
    const work = path.join(dir, 'w-umask', 'nested'); // created by the agent, parents included
    const conf = configFor(work, 'umask');
    const log = path.join(work, 'agent.log');
    const pidFile = path.join(dir, 'umask-agent.pid');
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, NSM_BIN, 'agent', '-f', conf,
      '--work-dir', work, '--log-file', log, '--pid-file', pidFile, '--status-interval', '0.5'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => fs.existsSync(path.join(work, 'agent-status.json')) && fs.existsSync(pidFile), 20_000, () => `agent status file; stderr: ${stderr}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).to.equal(0);
    const queueDirs = fs.readdirSync(path.join(work, 'queue')).map((q) => path.join(work, 'queue', q));
    expect(queueDirs).to.have.length(1);
    const stateFiles = fs.readdirSync(work).filter((f) => f.startsWith('imfile-state:') || f.startsWith('stat-'));
    expect(stateFiles, fs.readdirSync(work).join(' ')).to.have.length.greaterThan(0);
    const expected: Array<[string, number]> = [
      [path.join(dir, 'w-umask'), 0o750],
      [work, 0o750],
      [path.join(work, 'queue'), 0o700],
      [queueDirs[0], 0o700],
      ...fs.readdirSync(queueDirs[0]).map((f): [string, number] => [path.join(queueDirs[0], f), 0o600]),
      ...stateFiles.map((f): [string, number] => [path.join(work, f), 0o600]),
      [path.join(work, 'agent-status.json'), 0o640],
      [log, 0o640],
    ];
    expect(fs.readdirSync(queueDirs[0])).to.include('read-pointer.json');
    const got = expected.map(([f]) => `${path.relative(dir, f)} ${octal(modeOf(f))}`);
    expect(got).to.deep.equal(expected.map(([f, m]) => `${path.relative(dir, f)} ${octal(m)}`));
    // The pid file is removed at the clean stop; its mode is checked by the daemon test below.
    expect(fs.existsSync(pidFile)).to.equal(false);
  });

  it('under umask 000 the pid file is 0644', async () => {
    const work = path.join(dir, 'w-pid');
    const conf = configFor(work, 'pid');
    const pidFile = path.join(dir, 'pid-agent.pid');
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, NSM_BIN, 'agent', '-f', conf,
      '--work-dir', work, '--log-file', path.join(work, 'agent.log'), '--pid-file', pidFile], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => fs.existsSync(pidFile), 20_000, () => 'pid file');
      expect(octal(modeOf(pidFile))).to.equal('0644');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });
});
