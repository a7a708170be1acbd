// The agent bench: ships the same 1,000,000-line Bro conn.log with real rsyslogd (imfile → omfwd TCP) and with
// `nsm agent` (same rsyslog config), each to a loopback line counter, and prints throughput, CPU and memory side by side.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeConnLog } from './conn-log-generator';
import { LineCountingListener } from './line-counting-listener';
import { readProcessUsage, ProcessUsage } from './process-usage';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface AgentBenchOptions {
  lines: number;
  /** Upper bound for one agent to ship everything, ms. */
  timeoutMs: number;
}

export interface AgentRunResult {
  subject: string;
  lines: number;
  seconds: number;
  linesPerSecond: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

/** The rsyslog config both agents read: nsm reads rsyslog configs unchanged. */
function shipperConfig(workDirectory: string, logFiles: string[], port: number): string {
  return [
    `global(workDirectory="${workDirectory}")`,
    'module(load="imfile" mode="inotify")',
    ...logFiles.map((f, i) => `input(type="imfile" File="${f}" Tag="bro_conn${logFiles.length > 1 ? i : ''}:" Facility="local7" Severity="info")`),
    `action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp")`,
    '',
  ].join('\n');
}

interface Subject {
  name: string;
  /** Extra NODE_OPTIONS for nsm (V8 heap sizing). */
  nodeOptions?: string;
  /** Starts the shipper; returns the process whose /proc figures are measured. */
  start(dir: string, configFile: string): { child: ChildProcess; pid: () => number | undefined };
}

const RSYSLOG: Subject = {
  name: 'rsyslogd 8 (imfile+omfwd)',
  start(dir, configFile) {
    const pidFile = path.join(dir, 'rsyslogd.pid');
    // -n: foreground (rsyslogd then is the measured process itself); -i: own pid file, never the system one.
    const child = spawn('rsyslogd', ['-n', '-f', configFile, '-i', pidFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { child, pid: () => child.pid };
  },
};

const NSM: Subject = {
  name: 'nsm agent',
  start(dir, configFile) {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'nsm'), 'agent', '-f', configFile,
      '--work-dir', path.join(dir, 'work'), '--log-file', path.join(dir, 'agent.log')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: `${process.env.NSM_BENCH_NODE_OPTIONS ?? ''} ${this.nodeOptions ?? ''}`.trim() } });
    return { child, pid: () => child.pid };
  },
};

/**
 * V8's young generation grows to 2 x 16 MiB semi-spaces under the agent's allocation rate; 4 MiB ones cost about
 * 40 MB less peak RSS. Only settable at process start (NODE_OPTIONS, or node's command line), hence its own row.
 */
const NSM_SMALL_YOUNG_GENERATION: Subject = { ...NSM, name: 'nsm agent, --max-semi-space-size=4', nodeOptions: '--max-semi-space-size=4' };
const MANY_FILES = 100;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function runSubject(subject: Subject, logFiles: string[], baseDir: string, opts: AgentBenchOptions): Promise<AgentRunResult> {
  const dir = fs.mkdtempSync(path.join(baseDir, 'run-'));
  const workDirectory = path.join(dir, 'work');
  fs.mkdirSync(workDirectory);
  const listener = new LineCountingListener();
  const port = await listener.listen();
  const configFile = path.join(dir, 'shipper.conf');
  fs.writeFileSync(configFile, shipperConfig(workDirectory, logFiles, port));
  const { child, pid } = subject.start(dir, configFile);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  let last: ProcessUsage | undefined;
  const sampler = setInterval(() => { const p = pid(); if (p) last = readProcessUsage(p) ?? last; }, 200);
  const died = new Promise<never>((_, reject) => child.once('exit', (code, signal) =>
    reject(new Error(`${subject.name} exited early (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`))));
  try {
    await Promise.race([listener.waitForLines(opts.lines, opts.timeoutMs), died]);
    const p = pid();
    last = (p ? readProcessUsage(p) : undefined) ?? last;
  } finally {
    clearInterval(sampler);
    died.catch(() => undefined);
    await stopChild(child);
    await listener.close();
  }
  const counted = listener.count();
  const seconds = Number(counted.lastByteAt - counted.firstByteAt) / 1e9;
  return {
    subject: logFiles.length > 1 ? `${subject.name}, ${logFiles.length} files` : subject.name, lines: counted.lines, seconds, linesPerSecond: counted.lines / seconds,
    cpuSeconds: last?.cpuSeconds ?? NaN, peakRssBytes: last?.peakRssBytes ?? NaN,
  };
}

export function formatAgentBenchTable(results: AgentRunResult[]): string {
  const rows = [['shipper', 'lines', 'seconds', 'lines/s', 'CPU s', 'peak RSS MB']];
  for (const r of results) {
    rows.push([r.subject, String(r.lines), r.seconds.toFixed(2), Math.round(r.linesPerSecond).toString(),
      r.cpuSeconds.toFixed(2), (r.peakRssBytes / 1048576).toFixed(1)]);
  }
  if (results.length >= 2 && results[0].subject.startsWith('rsyslogd')) {
    const [a, b] = results;
    rows.push(['ratio nsm/rsyslog', '', '', (b.linesPerSecond / a.linesPerSecond).toFixed(2) + 'x',
      (b.cpuSeconds / a.cpuSeconds).toFixed(2) + 'x', (b.peakRssBytes / a.peakRssBytes).toFixed(2) + 'x']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

export async function runAgentBench(opts: AgentBenchOptions = { lines: 1_000_000, timeoutMs: 300_000 }): Promise<AgentRunResult[]> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-agent-bench-'));
  try {
    const logFile = path.join(baseDir, 'conn.log');
    const bytes = writeConnLog(logFile, opts.lines);
    // The same number of lines spread over 100 files, read at once: what the tailers' buffers cost.
    const manyFiles = Array.from({ length: MANY_FILES }, (_, i) => path.join(baseDir, `many-${i}.log`));
    for (const f of manyFiles) writeConnLog(f, Math.ceil(opts.lines / MANY_FILES));
    process.stdout.write(`agent bench: ${opts.lines} conn.log lines, ${(bytes / opts.lines).toFixed(0)} bytes/line average, TCP to 127.0.0.1\n`);
    const results: AgentRunResult[] = [];
    // NSM_BENCH_ONLY=nsm skips rsyslogd (while tuning nsm; the printed ratio needs both).
    if (process.env.NSM_BENCH_ONLY !== 'nsm') results.push(await runSubject(RSYSLOG, [logFile], baseDir, opts));
    results.push(await runSubject(NSM, [logFile], baseDir, opts));
    results.push(await runSubject(NSM_SMALL_YOUNG_GENERATION, [logFile], baseDir, opts));
    results.push(await runSubject(NSM, manyFiles, baseDir, { ...opts, lines: Math.ceil(opts.lines / MANY_FILES) * MANY_FILES }));
    results.push(await runSubject(NSM_SMALL_YOUNG_GENERATION, manyFiles, baseDir, { ...opts, lines: Math.ceil(opts.lines / MANY_FILES) * MANY_FILES }));
    process.stdout.write(formatAgentBenchTable(results) + '\n');
    return results;
  } finally {
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}
