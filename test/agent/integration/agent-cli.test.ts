// `nsm agent` as a command: its help, refusing a broken config with file:line, and --daemon with a pid file.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from '../../helpers/rsyslogd-process';
import { NSM_BIN, waitUntil } from './agent-process';
import { agentConfigText } from './shipping-fixture';
import { AGENT_MALLOC_ARENAS, daemonNodeOptions } from '../../../src/cli/agent-command';

function nsm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NSM_BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nsm agent command line', function () {
  this.timeout(30_000);
  const dir = makeTempDir('agent-cli');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--help lists every option', () => {
    const r = nsm(['agent', '--help']);
    expect(r.status).to.equal(0);
    for (const opt of ['-f, --file', '-d, --dir', '--work-dir', '--hostname', '--log-file', '--daemon', '--pid-file', '--status-interval', 'SIGTERM']) {
      expect(r.stdout).to.include(opt);
    }
  });

  it('refuses to start on config errors, naming file:line', () => {
    const conf = path.join(dir, 'bad.conf');
    fs.writeFileSync(conf, 'module(load="imfile")\ninput(type="imfile" Tag="x:")\n*.* @@127.0.0.1:99999\n');
    const r = nsm(['agent', '-f', conf, '--work-dir', path.join(dir, 'w-bad')]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/bad\.conf:2: error: /);
    expect(r.stderr).to.match(/bad\.conf:3: error: /);
    expect(r.stderr).to.include('not starting');
  });

  it('needs exactly one of -f/-d', () => {
    const r = nsm(['agent']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('exactly one of -f FILE or -d DIR');
  });

  it('--daemon detaches, writes the pid file, logs to the work directory, and removes the pid file on SIGTERM', async () => {
    const work = path.join(dir, 'w-daemon');
    fs.mkdirSync(work, { recursive: true });
    const log = path.join(dir, 'daemon-input.log');
    fs.writeFileSync(log, '');
    const conf = path.join(dir, 'daemon.conf');
    fs.writeFileSync(conf, agentConfigText({ workDirectory: work, files: [{ path: log, tag: 'd' }], port: 9 }));
    const pidFile = path.join(dir, 'agent.pid');
    const r = nsm(['agent', '-f', conf, '--daemon', '--pid-file', pidFile]);
    expect(r.status, r.stderr).to.equal(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(r.stdout).to.include(`pid ${pid}`);
    try {
      expect(() => process.kill(pid, 0), 'daemon alive').not.to.throw();
      await waitUntil(() => fs.existsSync(path.join(work, 'agent-status.json')), 10_000, () => 'status file');
      expect(fs.readFileSync(path.join(work, 'agent.log'), 'utf8')).to.include('agent started');
      // The daemon runs with a small young generation, an old-generation limit and 2 malloc arenas (peak RSS; see
      // agent-command.ts).
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).to.include.members(daemonNodeOptions(1, []));
      expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).to.include(`MALLOC_ARENA_MAX=${AGENT_MALLOC_ARENAS}`);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    await waitUntil(() => !fs.existsSync(pidFile), 15_000, () => 'pid file removed after SIGTERM');
    await waitUntil(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 5_000, () => 'daemon gone');
  });
});
