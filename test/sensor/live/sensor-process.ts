// Runs `nsm sensor -i ...` as a real subprocess for the live tests: waits (bounded) for its "listening" line, collects
// stderr, and stops it with a signal, reporting how it exited instead of hanging when it does not.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../../..');
const NSM = path.join(ROOT, 'bin', 'nsm');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type SensorExit = { code: number | null; signal: NodeJS.Signals | null } | 'did not exit';

export class SensorProcess {
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * The sensor's NSM_HOME: a fresh directory, so what it writes by default (spool/sensor-status.json) never lands in
   * the repository. Removed by kill().
   */
  readonly home: string;

  private constructor(readonly proc: ChildProcess, home: string) {
    this.home = home;
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the sensor and resolves once it says it is listening; throws (with its stderr) when it does not. */
  static async start(args: string[]): Promise<SensorProcess> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-sensor-home-'));
    const env = { ...process.env, NSM_HOME: home };
    const sensor = new SensorProcess(spawn(process.execPath, [NSM, 'sensor', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env }), home);
    for (let i = 0; i < 100 && !sensor.stderr.includes('nsm sensor: listening on'); i++) {
      if (sensor.proc.exitCode !== null) break;
      await sleep(100);
    }
    if (!sensor.stderr.includes('nsm sensor: listening on')) {
      sensor.kill();
      throw new Error(`sensor did not start: ${sensor.stderr}`);
    }
    return sensor;
  }

  /** Sends `signal` and waits at most `boundMs` for the exit. */
  async stop(signal: NodeJS.Signals, boundMs: number): Promise<SensorExit> {
    this.proc.kill(signal);
    return this.waitExit(boundMs);
  }

  waitExit(boundMs: number): Promise<SensorExit> {
    const bound = sleep(boundMs).then(() => 'did not exit' as const);
    return Promise.race([this.exited, bound]);
  }

  /** Cleanup: SIGKILL if still running (works on a SIGSTOPped process too), and its home directory goes. */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    fs.rmSync(this.home, { recursive: true, force: true });
  }

  stderrLines(): string[] {
    return this.stderr.trimEnd().split('\n');
  }
}

/** The numbers in the final line `nsm sensor: N packets received on interface I, D (P%) dropped, F dropped by the interface`. */
export function parseCaptureSummary(line: string): { packets: number; iface: string; dropped: number; percent: number; ifDropped: number } {
  const m = /^nsm sensor: (\d+) packets received on interface (\S+), (\d+) \((\d+\.\d\d)%\) dropped, (\d+) dropped by the interface$/.exec(line);
  if (m === null) throw new Error(`not a capture summary line: ${JSON.stringify(line)}`);
  return { packets: Number(m[1]), iface: m[2], dropped: Number(m[3]), percent: Number(m[4]), ifDropped: Number(m[5]) };
}
