// Runs `nsm agent` as a real subprocess for the integration tests: start, wait until it is up, SIGTERM or kill -9.
// Every wait is bounded; the test's `after` calls killAll() so no agent outlives its test.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const NSM_BIN = path.join(PROJECT_ROOT, 'bin', 'nsm');

const running = new Set<AgentProcess>();

export interface AgentProcessOptions {
  configFile: string;
  workDir: string;
  logFile: string;
  extraArgs?: string[];
  /** Added to the agent's environment (e.g. NODE_OPTIONS, MALLOC_ARENA_MAX). */
  env?: NodeJS.ProcessEnv;
}

export class AgentProcess {
  private child: ChildProcess | undefined;
  private stderr = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(readonly opts: AgentProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the agent and resolves once it has written its status file (tailers and queues are built by then). */
  async start(timeoutMs = 15_000): Promise<void> {
    const statusFile = path.join(this.opts.workDir, 'agent-status.json');
    fs.rmSync(statusFile, { force: true });
    this.stderr = '';
    const child = spawn(process.execPath, [NSM_BIN, 'agent', '-f', this.opts.configFile, '--work-dir', this.opts.workDir,
      '--log-file', this.opts.logFile, '--status-interval', '0.5', ...(this.opts.extraArgs ?? [])], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.opts.env } });
    this.child = child;
    running.add(this);
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => { running.delete(this); resolve({ code, signal }); }));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nsm agent exited at start (code ${child.exitCode}): ${this.stderr}\n${this.logTail()}`);
      try {
        const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { pid: number };
        if (status.pid === child.pid) return;
      } catch {
        // not written yet
      }
      await sleep(50);
    }
    throw new Error(`nsm agent did not come up within ${timeoutMs} ms: ${this.stderr}\n${this.logTail()}`);
  }

  /** Graceful stop; resolves with the exit code (the agent exits 0 after a clean shutdown). */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (!this.child || !this.exited) return null;
    this.child.kill('SIGTERM');
    const result = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
    if (!result) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`nsm agent did not stop within ${timeoutMs} ms after SIGTERM\n${this.logTail()}`);
    }
    return result.code;
  }

  /** kill -9: no shutdown code runs. */
  async kill9(): Promise<void> {
    if (!this.child || !this.exited) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  stderrText(): string {
    return this.stderr;
  }

  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no agent log)';
    }
  }

  static async killAll(): Promise<void> {
    await Promise.all([...running].map((a) => a.kill9()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; then throws with `describe()`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(50);
  }
}
