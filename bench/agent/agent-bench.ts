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
  /** How many files were shipped at once. */
  files: number;
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

/** A started shipper: the process whose /proc figures are measured, how to stop it, and a promise that rejects if it dies. */
interface Running {
  pid(): number | undefined;
  stop(): Promise<void>;
  died: Promise<never>;
}

interface Subject {
  name: string;
  start(dir: string, configFile: string): Running;
}

/** Targets of issue 17 §9 for the agent as it runs itself (`--daemon`): peak RSS for one file and for 100. */
export const TARGET_PEAK_RSS_MB = { oneFile: 64, manyFiles: 100 };

function childRun(name: string, child: ChildProcess): Running {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const died = new Promise<never>((_, reject) => child.once('exit', (code, signal) =>
    reject(new Error(`${name} exited early (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`))));
  died.catch(() => undefined);
  return { pid: () => child.pid, stop: () => stopChild(child), died };
}

const RSYSLOG: Subject = {
  name: 'rsyslogd 8 (imfile+omfwd)',
  start(dir, configFile) {
    const pidFile = path.join(dir, 'rsyslogd.pid');
    // -n: foreground (rsyslogd then is the measured process itself); -i: own pid file, never the system one.
    return childRun(this.name, spawn('rsyslogd', ['-n', '-f', configFile, '-i', pidFile], { stdio: ['ignore', 'ignore', 'pipe'] }));
  },
};

function nsmArgs(dir: string, configFile: string): string[] {
  return [path.join(PROJECT_ROOT, 'bin', 'nsm'), 'agent', '-f', configFile, '--work-dir', path.join(dir, 'work'), '--log-file', path.join(dir, 'agent.log')];
}

function benchEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: (process.env.NSM_BENCH_NODE_OPTIONS ?? '').trim() };
}

/** `nsm agent` in the foreground, with node's defaults (V8's young generation grows to 2 x 16 MiB). */
const NSM: Subject = {
  name: 'nsm agent (foreground)',
  start(dir, configFile) {
    return childRun(this.name, spawn(process.execPath, nsmArgs(dir, configFile), { stdio: ['ignore', 'ignore', 'pipe'], env: benchEnv() }));
  },
};

/**
 * `nsm agent --daemon`, measured in the daemon process itself (its pid file): the settings only accepted at start
 * (4 MiB semi-spaces, 2 malloc arenas) are the ones the agent gives its daemon.
 */
const NSM_DAEMON: Subject = {
  name: 'nsm agent --daemon',
  start(dir, configFile) {
    const pidFile = path.join(dir, 'agent.pid');
    const launcher = spawn(process.execPath, [...nsmArgs(dir, configFile), '--daemon', '--pid-file', pidFile],
      { stdio: ['ignore', 'ignore', 'pipe'], env: benchEnv() });
    let launchErr = '';
    launcher.stderr?.on('data', (d: Buffer) => { launchErr += d.toString(); });
    let daemonPid: number | undefined;
    const pid = (): number | undefined => {
      if (daemonPid === undefined && fs.existsSync(pidFile)) daemonPid = Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
      return daemonPid;
    };
    const died = new Promise<never>((_, reject) => {
      launcher.once('exit', (code) => {
        if (code !== 0) return reject(new Error(`nsm agent --daemon did not start (code ${code}): ${launchErr.slice(-2000)}`));
        const timer = setInterval(() => {
          const p = pid();
          if (p !== undefined && !fs.existsSync(`/proc/${p}`)) {
            clearInterval(timer);
            reject(new Error(`the nsm daemon (pid ${p}) exited early; see ${path.join(dir, 'agent.log')}`));
          }
        }, 500);
        timer.unref();
      });
    });
    died.catch(() => undefined);
    return {
      pid, died,
      async stop() {
        const p = pid();
        if (p === undefined) return;
        try { process.kill(p, 'SIGTERM'); } catch { return; }
        for (let i = 0; i < 200 && fs.existsSync(`/proc/${p}`); i++) await new Promise((r) => setTimeout(r, 50));
        if (fs.existsSync(`/proc/${p}`)) process.kill(p, 'SIGKILL');
      },
    };
  },
};

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
  fs.mkdirSync(workDirectory, { mode: 0o750 });
  const listener = new LineCountingListener();
  const port = await listener.listen();
  const configFile = path.join(dir, 'shipper.conf');
  fs.writeFileSync(configFile, shipperConfig(workDirectory, logFiles, port));
  const running = subject.start(dir, configFile);
  let last: ProcessUsage | undefined;
  const sampler = setInterval(() => { const p = running.pid(); if (p) last = readProcessUsage(p) ?? last; }, 200);
  try {
    await Promise.race([listener.waitForLines(opts.lines, opts.timeoutMs), running.died]);
    const p = running.pid();
    last = (p ? readProcessUsage(p) : undefined) ?? last;
  } finally {
    clearInterval(sampler);
    await running.stop();
    await listener.close();
  }
  const counted = listener.count();
  const seconds = Number(counted.lastByteAt - counted.firstByteAt) / 1e9;
  return {
    subject: logFiles.length > 1 ? `${subject.name}, ${logFiles.length} files` : subject.name, lines: counted.lines, seconds, linesPerSecond: counted.lines / seconds,
    cpuSeconds: last?.cpuSeconds ?? NaN, peakRssBytes: last?.peakRssBytes ?? NaN, files: logFiles.length,
  };
}

/** One line per agent row: its peak RSS against the target for its number of files. */
export function formatTargetLines(results: AgentRunResult[]): string[] {
  return results.filter((r) => r.subject.startsWith('nsm')).map((r) => {
    const target = r.files > 1 ? TARGET_PEAK_RSS_MB.manyFiles : TARGET_PEAK_RSS_MB.oneFile;
    const mb = r.peakRssBytes / 1048576;
    return `target peak RSS <= ${target} MB (${r.files > 1 ? `${r.files} files` : 'one file'}): ${r.subject}: ${mb.toFixed(1)} MB, ${mb <= target ? 'met' : 'NOT met'}`;
  });
}

export function formatAgentBenchTable(results: AgentRunResult[]): string {
  const rows = [['shipper', 'lines', 'seconds', 'lines/s', 'CPU s', 'peak RSS MB']];
  for (const r of results) {
    rows.push([r.subject, String(r.lines), r.seconds.toFixed(2), Math.round(r.linesPerSecond).toString(),
      r.cpuSeconds.toFixed(2), (r.peakRssBytes / 1048576).toFixed(1)]);
  }
  const a = results.find((r) => r.subject.startsWith('rsyslogd'));
  if (a) {
    for (const b of results.filter((r) => r.subject.startsWith('nsm') && r.files === 1)) {
      rows.push([`ratio ${b.subject}/rsyslog`, '', '', (b.linesPerSecond / a.linesPerSecond).toFixed(2) + 'x',
        (b.cpuSeconds / a.cpuSeconds).toFixed(2) + 'x', (b.peakRssBytes / a.peakRssBytes).toFixed(2) + 'x']);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/** NSM_BENCH_LINES sets the number of lines (default 1,000,000; issue 17 measured 3,000,000). */
export async function runAgentBench(opts: AgentBenchOptions = { lines: Number(process.env.NSM_BENCH_LINES ?? 1_000_000), timeoutMs: 300_000 }): Promise<AgentRunResult[]> {
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
    const many = { ...opts, lines: Math.ceil(opts.lines / MANY_FILES) * MANY_FILES };
    results.push(await runSubject(NSM, [logFile], baseDir, opts));
    results.push(await runSubject(NSM_DAEMON, [logFile], baseDir, opts));
    results.push(await runSubject(NSM, manyFiles, baseDir, many));
    results.push(await runSubject(NSM_DAEMON, manyFiles, baseDir, many));
    process.stdout.write(formatAgentBenchTable(results) + '\n');
    process.stdout.write(formatTargetLines(results).join('\n') + '\n');
    return results;
  } finally {
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}
