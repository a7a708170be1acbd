// An unreadable file (EACCES) is reported once, not once per poll, and read as soon as it becomes readable.
// Tests run as root, and root reads a chmod 000 file, so the tailer runs in a child process as user `nobody`.

import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeTempDir, waitUntil } from './tailer-harness';

describe('FileTailer on an unreadable file', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs EACCES once, reports state error while retrying each poll, then reads when readable', async () => {
    const nobody = os.userInfo().uid === 0 ? Number(execFileSync('id', ['-u', 'nobody']).toString()) : -1;
    expect(nobody, 'this test needs root to run a child as nobody').to.be.greaterThan(0);
    dir = makeTempDir('eacces');
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'secret.log');
    fs.writeFileSync(file, 'hidden line\n');
    fs.chmodSync(file, 0o000);
    const script = path.join(__dirname, 'tail-as-child.js');
    child = spawn(process.execPath, [script, file], { uid: nobody, gid: nobody, stdio: ['ignore', 'pipe', 'pipe'] });
    const states: string[] = [];
    const lines: string[] = [];
    let stderr = '';
    let pendingOut = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pendingOut += chunk.toString('latin1');
      const parts = pendingOut.split('\n');
      pendingOut = parts.pop() ?? '';
      for (const part of parts) {
        const msg = JSON.parse(part) as { state?: string; line?: string };
        if (msg.state !== undefined) states.push(msg.state);
        if (msg.line !== undefined) lines.push(msg.line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // 20 status reports in state error = many retries at the 20 ms recheck interval.
    await waitUntil('20 reports of state error', () => states.filter((s) => s === 'error').length >= 20);
    expect(lines).to.deep.equal([]);
    const errorLines = stderr.split('\n').filter((l) => / ERROR .*EACCES/.test(l));
    expect(errorLines, stderr).to.have.length(1);
    fs.chmodSync(file, 0o644);
    await waitUntil('line read after chmod', () => lines.length === 1);
    expect(lines).to.deep.equal(['hidden line']);
    expect(stderr).to.match(/readable again/);
  });
});
