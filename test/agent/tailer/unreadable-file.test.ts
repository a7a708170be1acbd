// An unreadable file (EACCES) is reported once, not once per poll, and read as soon as it becomes readable.
// Root reads a chmod 000 file, so as root the tailer runs in a child without the capabilities that let root ignore file
// permissions (setpriv drops them); still root, it can read the checkout whatever that directory's mode.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'child_process';
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
    dir = makeTempDir('eacces');
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'secret.log');
    fs.writeFileSync(file, 'hidden line\n');
    fs.chmodSync(file, 0o000);
    const script = path.join(__dirname, 'tail-as-child.js');
    const asRoot = os.userInfo().uid === 0;
    const [command, args] = asRoot
      ? ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, script, file]]
      : [process.execPath, [script, file]];
    child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
    await waitUntil('20 reports of state error', () => states.filter((s) => s === 'error').length >= 20)
      .catch((err: Error) => {
        throw new Error(`${err.message}; the child said: ${stderr}`);
      });
    expect(lines).to.deep.equal([]);
    const errorLines = stderr.split('\n').filter((l) => / ERROR .*EACCES/.test(l));
    expect(errorLines, stderr).to.have.length(1);
    fs.chmodSync(file, 0o644);
    await waitUntil('line read after chmod', () => lines.length === 1);
    expect(lines).to.deep.equal(['hidden line']);
    expect(stderr).to.match(/readable again/);
  });
});
