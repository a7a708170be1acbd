// `nsm … | head -1`: when the reader of nsm's output goes away, every command exits quietly (status 0, nothing on
// stderr) instead of dying on an unhandled EPIPE with a stack trace.

import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const NSM_BIN = path.join(PROJECT_ROOT, 'bin', 'nsm');

/** Runs nsm with the read end of its stdout (or stderr) closed before nsm writes anything. */
function runWithClosedReader(args: string[], closed: 'stdout' | 'stderr'): Promise<{ code: number | null; signal: string | null; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NSM_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Node needs well over the time this takes to start and write: the pipe is closed first.
    const open = closed === 'stdout' ? child.stderr! : child.stdout!;
    (closed === 'stdout' ? child.stdout! : child.stderr!).destroy();
    let other = '';
    open.on('data', (d: Buffer) => { other += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`nsm ${args.join(' ')} did not exit`)); }, 30_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, other }); });
  });
}

describe('nsm with a closed output pipe', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-epipe-'));
  const conf = path.join(dir, 'ship.conf');
  // Many files: `nsm check` prints a table long enough to need several writes.
  fs.writeFileSync(conf, [
    'module(load="imfile")',
    ...Array.from({ length: 2000 }, (_, i) => `input(type="imfile" File="/var/log/nsm-epipe-${i}.log" Tag="t${i}:")`),
    '*.* @@127.0.0.1:514',
    '',
  ].join('\n'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const args of [['--help'], ['--version'], ['agent', '--help'], ['check', '--help'], ['sensor', '--help'], ['check', '-f', conf, '--no-work-directory-check']]) {
    it(`nsm ${args.join(' ').replace(conf, 'FILE')} | (reader gone): exits 0, no stack trace`, async () => {
      const r = await runWithClosedReader(args, 'stdout');
      expect(r.other).to.not.match(/EPIPE|Error|at /);
      expect(r.other).to.equal('');
      expect({ code: r.code, signal: r.signal }).to.deep.equal({ code: 0, signal: null });
    });
  }

  it('a closed stderr does not turn a usage error into a crash: the usual exit status 2', async () => {
    const r = await runWithClosedReader(['agent'], 'stderr');
    expect({ code: r.code, signal: r.signal }).to.deep.equal({ code: 2, signal: null });
  });
});
