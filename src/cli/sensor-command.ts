// `nsm sensor`: read a capture file (-r) or a live interface (-i) and write Zeek-format logs into LOGDIR.
// LOGDIR defaults to `logs/current` under the nsm home: $NSM_HOME when set, else the current directory.
// Live capture also keeps a status file (`spool/sensor-status.json` under the home) and logs a stats line at an interval.

import { fileAnalysisOf, parseFileHashes } from '../../sensor/analyzers/files/file-analysis';
import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { createLogger } from '../core/logger';
import { StatusFile } from '../core/status-file';
import { UserError } from '../core/user-error';
import { applySensorHeapFlags } from './sensor-heap';
import { LiveCaptureSource, LiveCaptureStats } from '../../sensor/capture/live-capture-source';
import { openCaptureFile } from '../../sensor/capture/open-capture';
import type { CaptureSource } from '../../sensor/capture/capture-source';
import { ProgressBar } from '../../sensor/capture/progress-bar';
import { LocalNetworks, NetworksConfigError } from '../../sensor/flows/local-networks';
import { DEFAULT_PROFILE, isProfileName, PROFILE_NAMES } from '../../sensor/logs/log-profile';
import { LogWriterSet } from '../../sensor/logs/log-writer-set';
import { RotationPostprocessor } from '../../sensor/logs/rotation-postprocessor';
import { formatAnalyzerList, shippedRegistry, UnknownAnalyzerError } from '../../sensor/analyzers/shipped-analyzers';
import type { AnalyzerRegistry } from '../../sensor/analyzers/registry';
import { AssetTracking, configureSoftware } from '../../sensor/analyzers/software/software-framework';
import {
  DEFAULT_VULNERABLE_SOFTWARE_FILE, parseVulnerableSoftware, VulnerableSoftwareConfigError, VulnerableSoftwareTable,
} from '../../sensor/analyzers/software/vulnerable-software';
import { isRotationInterval, SensorPipeline } from '../../sensor/pipeline';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES } from '../../sensor/flows/conn-tracker';
import { captureLoss, lossPercentOf, SENSOR_STATUS_FILE_NAME, SensorStatsLog, SensorStatus } from '../../sensor/sensor-status';

export interface SensorCommandOptions {
  read?: string;
  interface?: string;
  filter?: string;
  logdir?: string;
  profile: string;
  json?: boolean;
  networks?: string;
  checksums: boolean;
  statusFile?: string;
  statsInterval: string;
  rotateInterval?: string;
  rotateCommand?: string;
  maxConnections?: string;
  maxReassemblyMib?: string;
  disableAnalyzer: string[];
  fileHashes?: string;
  listAnalyzers?: boolean;
  vulnerableSoftware?: string;
  softwareHosts: string;
  logVlan?: boolean;
  logL2Addr?: boolean;
}

/** Live capture: how often rows are pushed to disk (the agent tails these files). */
const LIVE_FLUSH_MS = 1000;

/** Zeek's stats.log interval: how often a live sensor logs its counters. */
const DEFAULT_STATS_INTERVAL_SECONDS = 300;
const MIB = 1024 * 1024;
/** How often the status file is rewritten (as the agent's). */
const STATUS_INTERVAL_MS = 5000;

function nsmHome(env: NodeJS.ProcessEnv, cwd: string): string {
  return env.NSM_HOME !== undefined && env.NSM_HOME !== '' ? env.NSM_HOME : cwd;
}

export function defaultLogDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.join(nsmHome(env, cwd), 'logs', 'current');
}

/** Where a live sensor writes its status unless --status-file says otherwise. */
export function defaultStatusFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.join(nsmHome(env, cwd), 'spool', SENSOR_STATUS_FILE_NAME);
}

export function registerSensorCommand(program: Command): void {
  program
    .command('sensor')
    .description('read packets from a capture file or an interface and write Zeek-format logs (conn.log, weird.log and the protocol analyzers\' logs)')
    .option('-r, --read <file>', 'read packets from a pcap or pcapng file')
    .option('-i, --interface <iface>', 'capture live from a network interface (stops on SIGINT/SIGTERM)')
    .option('-f, --filter <bpf>', 'BPF filter expression (tcpdump syntax)')
    .option('-l, --logdir <dir>', 'directory for the logs (default: $NSM_HOME/logs/current, or ./logs/current)')
    .addOption(
      new Option('--profile <name>', `log columns: elsa (what ELSA parses) or zeek (today's Zeek)`)
        .choices([...PROFILE_NAMES])
        .default(DEFAULT_PROFILE),
    )
    .option('--json', "write JSON lines (Zeek's LogAscii::use_json) instead of TSV")
    .option('--log-vlan', "with --profile zeek: conn.log's vlan and inner_vlan columns (Zeek's protocols/conn/vlan-logging)")
    .option('--log-l2-addr', "with --profile zeek: conn.log's orig_l2_addr and resp_l2_addr MAC columns (Zeek's protocols/conn/mac-logging)")
    .option('--networks <file>', 'local networks, broctl networks.cfg format (default: the private address space)')
    .option('-C, --no-checksums', 'ignore bad IP/TCP/UDP checksums (Zeek -C)')
    .option('--status-file <file>', 'status snapshot rewritten every 5 s (default with -i: $NSM_HOME/spool/sensor-status.json; with -r: none)')
    .option('--rotate-interval <seconds>', "rotate every log when network time reaches a multiple of this (Zeek's Log::default_rotation_interval; broctl: 3600)")
    .option('--rotate-command <program>', 'run on each rotated file with Zeek\'s postprocessor arguments: FILE PATH OPEN CLOSE TERMINATING WRITER')
    .option('--disable-analyzer <name>', 'do not run this protocol analyzer (repeatable; see --list-analyzers)',
      (name: string, previous: string[]) => [...previous, name], [] as string[])
    .option('--file-hashes <list>', 'hashes of every file (files.log): md5,sha1,sha256 (default, as Zeek\'s local.zeek) or none')
    .option('--list-analyzers', 'print the shipped protocol analyzers (all run by default) and exit')
    .addOption(
      new Option('--software-hosts <which>', "whose software software.log tracks (Zeek's Software::asset_tracking)")
        .choices(['local', 'remote', 'all', 'none'])
        .default('local'),
    )
    .option('--vulnerable-software <file>', 'table of vulnerable software versions for notice.log (default: conf.d/vulnerable-software.cfg of this nsm)')
    .option('--stats-interval <seconds>', 'with -i: how often a stats line (packets, drops, connections) is logged to stderr',
      String(DEFAULT_STATS_INTERVAL_SECONDS))
    .option('--max-connections <n>', `connections tracked at once; beyond, the least recently active is logged and ended (default ${DEFAULT_MAX_CONNECTIONS})`)
    .option('--max-reassembly-mib <n>', `out-of-order TCP data buffered over all connections, MiB (default ${DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES / MIB})`)
    // A bad option value is one line (commander's message), not the message followed by the whole help.
    .showHelpAfterError(false)
    .action(async (opts: SensorCommandOptions) => {
      await runSensorCommand(opts);
    });
}

export async function runSensorCommand(opts: SensorCommandOptions): Promise<void> {
  if (opts.listAnalyzers) {
    process.stdout.write(formatAnalyzerList());
    return;
  }
  const analyzers = analyzerRegistry(opts.disableAnalyzer ?? []);
  if (opts.fileHashes !== undefined) {
    try {
      fileAnalysisOf(analyzers.shared).hashes = parseFileHashes(opts.fileHashes);
    } catch (err) {
      throw new UserError(`sensor: --file-hashes: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if ((opts.read === undefined) === (opts.interface === undefined)) {
    throw new UserError('sensor: give exactly one of -r FILE or -i IFACE');
  }
  if (!isProfileName(opts.profile)) throw new UserError(`sensor: unknown profile ${opts.profile} (elsa or zeek)`);
  const statsSeconds = Number(opts.statsInterval);
  if (!Number.isFinite(statsSeconds) || statsSeconds <= 0) {
    throw new UserError(`sensor: --stats-interval: not a positive number of seconds: ${opts.statsInterval}`);
  }
  const rotateSeconds = opts.rotateInterval === undefined ? undefined : Number(opts.rotateInterval);
  if (rotateSeconds !== undefined && !isRotationInterval(rotateSeconds)) {
    throw new UserError(`sensor: --rotate-interval: not a whole positive number of seconds: ${opts.rotateInterval}`);
  }
  if (opts.rotateCommand !== undefined && rotateSeconds === undefined) {
    throw new UserError('sensor: --rotate-command needs --rotate-interval');
  }
  if (opts.rotateCommand !== undefined) checkProgram(opts.rotateCommand);
  const policyColumns = [
    ...(opts.logVlan === true ? ['conn.vlan', 'conn.inner_vlan'] : []),
    ...(opts.logL2Addr === true ? ['conn.orig_l2_addr', 'conn.resp_l2_addr'] : []),
  ];
  if (policyColumns.length > 0 && opts.profile !== 'zeek') {
    // ELSA's bro_conn pattern walks a fixed column list: an extra column would shift its slots.
    throw new UserError(`sensor: ${opts.logVlan === true ? '--log-vlan' : '--log-l2-addr'} needs --profile zeek (ELSA's bro_conn layout has no column for it)`);
  }
  const maxConnections = positiveInteger('--max-connections', opts.maxConnections);
  const maxReassemblyMib = positiveInteger('--max-reassembly-mib', opts.maxReassemblyMib);
  const statusFilePath = opts.statusFile ?? (opts.interface !== undefined ? defaultStatusFile() : undefined);
  if (statusFilePath !== undefined) checkStatusDirectory(statusFilePath);
  const localNets = loadNetworks(opts.networks);
  configureSoftware(analyzers.shared, {
    vulnerable: loadVulnerableSoftware(opts.vulnerableSoftware),
    assetTracking: ASSET_TRACKING[opts.softwareHosts ?? 'local'],
  });
  // Peak memory under floods (issue 18): V8 collects its old generation sooner than it would by default.
  applySensorHeapFlags();
  const live = opts.interface !== undefined;
  const liveSource = live ? new LiveCaptureSource(opts.interface as string, { filter: opts.filter }) : undefined;
  const source: CaptureSource = liveSource ?? openCaptureFile(opts.read as string, { filter: opts.filter });
  const logDir = opts.logdir ?? defaultLogDir();
  const logs = new LogWriterSet({
    dir: logDir,
    profile: opts.profile,
    policyColumns,
    format: opts.json ? 'json' : 'ascii',
  });
  // The bar draws only when stderr is a terminal.
  const progress = live ? undefined : new ProgressBar();
  const logger = createLogger('sensor');
  const postprocessor = opts.rotateCommand === undefined ? undefined : new RotationPostprocessor(opts.rotateCommand, logger.child('rotation'));
  const pipeline = new SensorPipeline({
    source,
    logs,
    localNets,
    analyzers,
    ignoreChecksums: !opts.checksums,
    // Once per run, where the operator looks: the daemon's log when live, the terminal for a file (and the status file).
    onChecksumOffloading: (verdict) => {
      if (live) logger.warn(`checksum offloading: ${verdict.message}`, { badTcp: verdict.badTcp, badUdp: verdict.badUdp, packets: verdict.packets });
      else process.stderr.write(`nsm sensor: warning: ${verdict.message}\n`);
    },
    maxConnections,
    recordL2Addresses: opts.logL2Addr === true,
    maxTotalReassemblyBytes: maxReassemblyMib === undefined ? undefined : maxReassemblyMib * MIB,
    liveFlushIntervalMs: live ? LIVE_FLUSH_MS : undefined,
    onProgress: progress?.update,
    rotation: rotateSeconds === undefined ? undefined : {
      intervalSeconds: rotateSeconds,
      onRotated: (files, terminating) => {
        if (files.length > 0 && live) logger.info('rotated logs', { files: files.map((f) => path.basename(f.file)).join(','), terminating });
        postprocessor?.submit(files, terminating);
      },
    },
  });
  const status = (): SensorStatus => ({
    mode: live ? 'live' : 'file',
    source: live ? (opts.interface as string) : (opts.read as string),
    filter: opts.filter,
    logDir: path.resolve(logDir),
    ...pipeline.stats(),
    capture: captureLoss(liveSource?.stats()),
  });
  const statusFile = statusFilePath === undefined
    ? undefined
    : new StatusFile(path.resolve(statusFilePath), os.hostname(), status, logger.child('status'), STATUS_INTERVAL_MS);
  const statsLog = live ? new SensorStatsLog(status, logger, statsSeconds * 1000) : undefined;
  const stop = (): void => pipeline.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    // run() opens the source before its first await: a live interface is open (or has failed) once it returns.
    const running = pipeline.run();
    statusFile?.start();
    statsLog?.start();
    // Like Zeek: say when live capture is on (tests and operators wait for this line); not when opening failed.
    if (liveSource?.capturing === true) process.stderr.write(`nsm sensor: listening on ${opts.interface}\n`);
    await running;
  } finally {
    progress?.finish();
    statsLog?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await postprocessor?.drain();
    await statusFile?.stop();
    // Like Zeek at exit: what was captured and what the kernel had to drop (capture loss).
    const stats = liveSource?.stats();
    if (stats !== undefined) process.stderr.write(`${captureSummaryLine(opts.interface as string, stats)}\n`);
  }
}

/** The final stderr line of a live capture: `nsm sensor: N packets received on interface I, D (P%) dropped, ...`. */
export function captureSummaryLine(iface: string, stats: LiveCaptureStats): string {
  const lossPercent = lossPercentOf(stats);
  return (
    `nsm sensor: ${stats.packets} packets received on interface ${iface}, ` +
    `${stats.kernelDropped} (${lossPercent.toFixed(2)}%) dropped, ${stats.interfaceDropped} dropped by the interface`
  );
}

function positiveInteger(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`sensor: ${option}: not a whole positive number: ${value}`);
  return n;
}

/** The rotation postprocessor must exist and be executable now, not at the first rotation an hour later. */
function checkProgram(program: string): void {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '').map((dir) => path.join(dir, program));
  for (const candidate of candidates) {
    try {
      if (!fs.statSync(candidate).isFile()) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
      return;
    } catch {
      // not this one
    }
  }
  const reason = program.includes('/') ? 'no such executable file' : 'not found on PATH';
  throw new UserError(`sensor: --rotate-command ${program}: ${reason}`);
}

/**
 * The status file is written every 5 s in the background, where a failure is only a warning: make its directory now
 * (as the writes would), so one that cannot exist is an error at start instead of a silent gap.
 */
function checkStatusDirectory(file: string): void {
  const dir = path.dirname(path.resolve(file));
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new UserError(`sensor: --status-file ${file}: cannot use directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function analyzerRegistry(disabled: readonly string[]): AnalyzerRegistry {
  try {
    return shippedRegistry(disabled);
  } catch (err) {
    if (err instanceof UnknownAnalyzerError) throw new UserError(`sensor: --disable-analyzer: ${err.message}`);
    throw err;
  }
}

const ASSET_TRACKING: Record<string, AssetTracking> = {
  local: 'LOCAL_HOSTS', remote: 'REMOTE_HOSTS', all: 'ALL_HOSTS', none: 'NO_HOSTS',
};

/** The vulnerable-software table: the named file, else the shipped one (its built-in copy if it was removed). */
function loadVulnerableSoftware(file: string | undefined): VulnerableSoftwareTable | undefined {
  const tableFile = file ?? DEFAULT_VULNERABLE_SOFTWARE_FILE;
  let text: string;
  try {
    text = fs.readFileSync(tableFile, 'utf8');
  } catch (err) {
    if (file === undefined) return undefined;
    throw new UserError(`${file}: cannot read vulnerable software table: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseVulnerableSoftware(text, file ?? tableFile);
  } catch (err) {
    if (err instanceof VulnerableSoftwareConfigError) throw new UserError(err.message);
    throw err;
  }
}

function loadNetworks(file: string | undefined): LocalNetworks {
  if (file === undefined) return LocalNetworks.zeekDefault();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read networks file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return LocalNetworks.parse(text, file);
  } catch (err) {
    if (err instanceof NetworksConfigError) throw new UserError(err.message);
    throw err;
  }
}
