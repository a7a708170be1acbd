// `nsm sensor`: read a capture file (-r) or a live interface (-i) and write Zeek-format logs into LOGDIR.
// LOGDIR defaults to `logs/current` under the nsm home: $NSM_HOME when set, else the current directory.

import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../core/user-error';
import { LiveCaptureSource, LiveCaptureStats } from '../../sensor/capture/live-capture-source';
import { openCaptureFile } from '../../sensor/capture/open-capture';
import type { CaptureSource } from '../../sensor/capture/capture-source';
import { ProgressBar } from '../../sensor/capture/progress-bar';
import { LocalNetworks, NetworksConfigError } from '../../sensor/flows/local-networks';
import { DEFAULT_PROFILE, isProfileName, PROFILE_NAMES } from '../../sensor/logs/log-profile';
import { LogWriterSet } from '../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../sensor/pipeline';

export interface SensorCommandOptions {
  read?: string;
  interface?: string;
  filter?: string;
  logdir?: string;
  profile: string;
  json?: boolean;
  networks?: string;
  checksums: boolean;
}

/** Live capture: how often rows are pushed to disk (the agent tails these files). */
const LIVE_FLUSH_MS = 1000;

export function defaultLogDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const home = env.NSM_HOME !== undefined && env.NSM_HOME !== '' ? env.NSM_HOME : cwd;
  return path.join(home, 'logs', 'current');
}

export function registerSensorCommand(program: Command): void {
  program
    .command('sensor')
    .description('read packets from a capture file or an interface and write Zeek-format logs (conn.log, weird.log)')
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
    .option('--networks <file>', 'local networks, broctl networks.cfg format (default: the private address space)')
    .option('-C, --no-checksums', 'ignore bad IP/TCP/UDP checksums (Zeek -C)')
    .action(async (opts: SensorCommandOptions) => {
      await runSensorCommand(opts);
    });
}

export async function runSensorCommand(opts: SensorCommandOptions): Promise<void> {
  if ((opts.read === undefined) === (opts.interface === undefined)) {
    throw new UserError('sensor: give exactly one of -r FILE or -i IFACE');
  }
  if (!isProfileName(opts.profile)) throw new UserError(`sensor: unknown profile ${opts.profile} (elsa or zeek)`);
  const localNets = loadNetworks(opts.networks);
  const live = opts.interface !== undefined;
  const liveSource = live ? new LiveCaptureSource(opts.interface as string, { filter: opts.filter }) : undefined;
  const source: CaptureSource = liveSource ?? openCaptureFile(opts.read as string, { filter: opts.filter });
  const logs = new LogWriterSet({
    dir: opts.logdir ?? defaultLogDir(),
    profile: opts.profile,
    format: opts.json ? 'json' : 'ascii',
  });
  // The bar draws only when stderr is a terminal.
  const progress = live ? undefined : new ProgressBar();
  const pipeline = new SensorPipeline({
    source,
    logs,
    localNets,
    ignoreChecksums: !opts.checksums,
    liveFlushIntervalMs: live ? LIVE_FLUSH_MS : undefined,
    onProgress: progress?.update,
  });
  const stop = (): void => pipeline.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const running = pipeline.run();
    // Like Zeek: say when live capture is on (tests and operators wait for this line).
    if (live) process.stderr.write(`nsm sensor: listening on ${opts.interface}\n`);
    await running;
  } finally {
    progress?.finish();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // Like Zeek at exit: what was captured and what the kernel had to drop (capture loss).
    const stats = liveSource?.stats();
    if (stats !== undefined) process.stderr.write(`${captureSummaryLine(opts.interface as string, stats)}\n`);
  }
}

/** The final stderr line of a live capture: `nsm sensor: N packets received on interface I, D (P%) dropped, ...`. */
export function captureSummaryLine(iface: string, stats: LiveCaptureStats): string {
  // Linux's ps_recv already includes the dropped packets, so it is the base for the loss ratio.
  const lossPercent = stats.kernelReceived > 0 ? (100 * stats.kernelDropped) / stats.kernelReceived : 0;
  return (
    `nsm sensor: ${stats.packets} packets received on interface ${iface}, ` +
    `${stats.kernelDropped} (${lossPercent.toFixed(2)}%) dropped, ${stats.interfaceDropped} dropped by the interface`
  );
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
