// `nsm agent`: reads an rsyslog imfile/omfwd config (unchanged) and ships the monitored files' lines to the configured
// collectors until SIGTERM/SIGINT; optionally detaches itself (`--daemon`) and keeps a pid file.

import { spawn } from 'child_process';
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { AgentConfig } from '../../agent/config/agent-config';
import { countDiagnostics, formatDiagnostic } from '../../agent/config/diagnostic-list';
import { hasConfigErrors, loadAgentConfig } from '../../agent/config/config-loader';
import { FileServer } from '../../agent/file-server';
import { prepareWorkDirectory } from '../../agent/config/work-directory';
import { StatusReporter } from '../../agent/status';
import { writeFileAtomicSync } from '../core/atomic-file';
import { applyAgentRuntimeHeapFlags } from './agent-heap';
import { givenNodeFlags, setsAnyFlag } from './node-flags';
import { createLogger, fileSink, Logger, LogSink, stderrSink } from '../core/logger';
import { UserError } from '../core/user-error';

/** Where the agent keeps state when neither the config nor --work-dir names a directory. */
export const DEFAULT_AGENT_WORK_DIRECTORY = './var/agent';
/**
 * V8 semi-space size for the daemon, MiB (V8's default grows to 16): the agent's garbage is short-lived line buffers.
 * Measured on one 1 M-line file with the settings below (bench/agent harness): 4 MiB 74-75 MB peak RSS, 2 MiB 67-69
 * MB at 10-15 % fewer lines/s, 1 MiB 65-66 MB at 20-35 % fewer.
 */
export const AGENT_SEMI_SPACE_MB = 2;
/**
 * glibc malloc arenas for the daemon (default: 8 per core): memory freed in one arena is not reused by another, and
 * Node's threads spread the agent's buffers over several; 2 cut peak RSS by about 10 MB at the same speed (bench/agent).
 */
export const AGENT_MALLOC_ARENAS = '2';

/**
 * V8's old-generation limit for the daemon, MiB. A limit makes V8 collect sooner (about 10 MB less peak RSS with
 * small semi-spaces); the agent's live heap is 8-15 MB for 1-100 busy files (about 50 KB a file), so a quarter MiB
 * per monitored file on top of 48 leaves it several times its need: reaching the limit would stop the agent.
 */
export function agentOldSpaceMb(files: number): number {
  return 48 + Math.ceil(files / 4);
}

/**
 * The node options the daemon starts with (V8 accepts them only at start), leaving out any that NODE_OPTIONS or
 * node's own command line already sets.
 */
export function daemonNodeOptions(files: number, given: readonly string[]): string[] {
  const out: string[] = [];
  const has = (flag: string): boolean => setsAnyFlag(given, flag);
  if (!has('--max-semi-space-size')) out.push(`--max-semi-space-size=${AGENT_SEMI_SPACE_MB}`);
  if (!has('--max-old-space-size')) out.push(`--max-old-space-size=${agentOldSpaceMb(files)}`);
  return out;
}
/** Set in the environment of the detached child so it knows it is the daemon itself. */
const DAEMON_CHILD_ENV = 'NSM_AGENT_DAEMON_CHILD';
const DAEMON_START_TIMEOUT_MS = 15_000;
/** The pid file is for anyone to read (init scripts, monitoring), written by the agent alone. */
const PID_FILE_MODE = 0o644;
/**
 * The agent's own umask, whatever it was started with: whatever it creates without an explicit mode (the disk
 * queue's per-action directories) is its user's alone. Files that others should read get their mode explicitly.
 */
const AGENT_UMASK = 0o077;

export interface AgentCommandOptions {
  file?: string;
  dir?: string;
  workDir?: string;
  hostname?: string;
  logFile?: string;
  daemon?: boolean;
  pidFile?: string;
  statusInterval: string;
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('ship the files an rsyslog imfile config monitors to its omfwd collectors, never losing a line; runs until SIGTERM/SIGINT')
    .option('-f, --file <file>', 'rsyslog config file to read (e.g. /etc/rsyslog.d/60-bro.conf), or nsm\'s JSON config (*.json, see conf.d/agent.example.json)')
    .option('-d, --dir <dir>', 'read every *.conf in this directory, in name order')
    .option('--work-dir <dir>', `state files, disk queue, agent-status.json (overrides the config's $WorkDirectory; default when neither: ${DEFAULT_AGENT_WORK_DIRECTORY})`)
    .option('--hostname <name>', "hostname written into each message (default: the config's, else this host's name up to the first dot)")
    .option('--log-file <file>', "the agent's own log (default: stderr; with --daemon: WORKDIR/agent.log)")
    .option('--daemon', 'detach from the terminal and run in the background (needs --pid-file)')
    .option('--pid-file <file>', 'write the agent process id here; removed at a clean stop')
    .option('--status-interval <seconds>', 'how often WORKDIR/agent-status.json is rewritten', '5')
    .addHelpText('after', [
      '',
      'Exactly one of -f/-d. Config warnings are printed as FILE:LINE: warning: ... (as `nsm check` does);',
      'config errors stop the agent before it starts (exit 2).',
      'SIGTERM/SIGINT: stop reading, spill queued lines to the disk queue, write the state files, exit 0.',
    ].join('\n'))
    .action((opts: AgentCommandOptions) => runAgentCommand(opts));
}

export async function runAgentCommand(opts: AgentCommandOptions): Promise<void> {
  if ((opts.file === undefined) === (opts.dir === undefined)) throw new UserError('nsm agent: give exactly one of -f FILE or -d DIR');
  if (opts.daemon && !opts.pidFile) throw new UserError('nsm agent: --daemon needs --pid-file FILE');
  const statusSeconds = Number(opts.statusInterval);
  if (!Number.isFinite(statusSeconds) || statusSeconds <= 0) throw new UserError(`nsm agent: --status-interval: not a positive number of seconds: ${opts.statusInterval}`);

  process.umask(AGENT_UMASK);
  const config = readConfig(opts);
  if (opts.daemon && process.env[DAEMON_CHILD_ENV] !== '1') {
    await detach(opts, config);
    return;
  }

  // A foreground agent started without heap settings sets what V8 still accepts now (see agent-heap.ts).
  applyAgentRuntimeHeapFlags();
  const logFile = opts.logFile ?? (opts.daemon ? path.join(config.workDirectory, 'agent.log') : undefined);
  const logger = createLogger('agent', logFile ? openLogFile(logFile) : stderrSink);
  for (const d of config.diagnostics) logger.warn(`config: ${formatDiagnostic(d)}`);
  // Listen for SIGTERM before the pid file exists: whoever reads it may signal at once, and must get a clean stop.
  const stopRequested = waitForStopSignal(logger);
  if (opts.pidFile) writeFileAtomicSync(opts.pidFile, `${process.pid}\n`, { mode: PID_FILE_MODE });

  const server = new FileServer({ config, logger });
  const status = new StatusReporter(config.workDirectory, config.hostname, () => server.status(), logger.child('status'), statusSeconds * 1000);
  server.start();
  status.start();
  await stopRequested;
  await server.stop();
  await status.stop();
  if (opts.pidFile) fs.rmSync(opts.pidFile, { force: true });
  // Watchers and sockets are closed by now; exit explicitly so a stray handle cannot keep a stopped agent alive.
  process.exit(0);
}

function readConfig(opts: AgentCommandOptions): AgentConfig {
  // --work-dir replaces the config's $WorkDirectory, so that one is not required to exist.
  const config = loadAgentConfig({
    file: opts.file, dir: opts.dir, defaultWorkDirectory: opts.workDir ?? DEFAULT_AGENT_WORK_DIRECTORY, checkWorkDirectory: opts.workDir === undefined,
  });
  for (const d of config.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  if (hasConfigErrors(config)) {
    throw new UserError(`agent: ${countDiagnostics(config.diagnostics).errors} config error(s); not starting (see above, or run nsm check)`);
  }
  if (opts.workDir) config.workDirectory = path.resolve(opts.workDir);
  if (opts.hostname) config.hostname = opts.hostname;
  try {
    prepareWorkDirectory(config.workDirectory);
  } catch (err) {
    throw new UserError(`agent: cannot use work directory ${config.workDirectory}: ${(err as Error).message}`);
  }
  if (config.files.length === 0) throw new UserError('agent: the config monitors no file; nothing to do');
  return config;
}

function openLogFile(file: string): LogSink {
  try {
    return fileSink(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'it is a symlink (refused: the agent never writes through a link)' : (err as Error).message;
    throw new UserError(`agent: cannot open the log file ${file}: ${why}`);
  }
}

function waitForStopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      logger.info('stop requested', { signal });
      // A second signal while stopping means "now": leave without waiting (state stays at its last confirmed point).
      const force = (): void => process.exit(1);
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Starts this same command again as a detached child and returns once the child has written its pid file. */
async function detach(opts: AgentCommandOptions, config: AgentConfig): Promise<void> {
  const pidFile = path.resolve(opts.pidFile!);
  fs.rmSync(pidFile, { force: true });
  const args = process.argv.slice(1);
  const logFile = path.resolve(opts.logFile ?? path.join(config.workDirectory, 'agent.log'));
  if (!opts.logFile) args.push('--log-file', logFile);
  // The daemon gets a small young generation, an old-generation limit and few malloc arenas (only settable at
  // start): about 40 MB less peak RSS (`npm run bench`); settings given in NODE_OPTIONS, on node's command line or in
  // MALLOC_ARENA_MAX win.
  const given = givenNodeFlags();
  const nodeArgs = [...process.execArgv, ...daemonNodeOptions(config.files.length, given)];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1', MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? AGENT_MALLOC_ARENAS },
  });
  child.unref();
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new UserError(`agent: the daemon exited at start (code ${child.exitCode}); see ${logFile}`);
    const written = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
    if (written === String(child.pid)) {
      process.stdout.write(`nsm agent: running in the background, pid ${child.pid}, log ${logFile}\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new UserError(`agent: the daemon did not write ${pidFile} within ${DAEMON_START_TIMEOUT_MS / 1000} s; see ${logFile}`);
}
