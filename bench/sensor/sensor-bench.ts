// Sensor throughput: on a large mixed capture (bench/sensor/mixed-capture-builder.ts) measures (a) the bare read
// (capture reader → no-op handler) and (b) the whole pipeline writing logs, each in its own process so CPU time and
// peak RSS are its own; prints packets/s and Mbit/s per core (CPU time), the ratio to the bare read and peak RSS.
// Targets: ≥ 1 Gbit/s per core and ≥ 30% of the bare read. Runs as `zeek -C` (the sources' copies have rewritten
// addresses and loopback captures carry partial checksums). Size: NSM_BENCH_MB (default 200).
// Each child then runs its phase a second time over the same file and reports it apart as the warm figure: the cold
// one includes V8 compiling the code (a fixed start-up cost); the warm one is the steady state a long capture sees.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../sensor/capture/open-capture';
import { LocalNetworks } from '../../sensor/flows/local-networks';
import { LogWriterSet } from '../../sensor/logs/log-writer-set';
import { SensorPipeline, SensorRunSummary } from '../../sensor/pipeline';
import { buildMixedCapture } from './mixed-capture-builder';

const ROOT = path.resolve(__dirname, '../../..');
export const SOURCE_DIRS = [path.join(ROOT, 'test', 'fixtures', 'pcaps'), '/work/shared/zeek-cases'];

export interface PhaseResult {
  phase: 'read' | 'pipeline';
  packets: number;
  bytes: number;
  cpuSeconds: number;
  /**
   * CPU of the JavaScript thread alone (Linux; undefined elsewhere). The rest of cpuSeconds is V8's helper threads:
   * optimizing compiles and parallel GC, a fixed cost of warming up that a bare read hardly pays.
   */
  mainThreadCpuSeconds?: number;
  wallSeconds: number;
  peakRssMb: number;
  connections?: number;
  /** The same phase run again in the same process right after (compiled code warm); never replaces the cold figures. */
  warm?: WarmPassResult;
}

export interface WarmPassResult {
  cpuSeconds: number;
  mainThreadCpuSeconds?: number;
  wallSeconds: number;
}

export interface SensorBenchResult {
  capture: { packets: number; bytes: number; repetitions: number; sourcePackets: number };
  read: PhaseResult;
  pipeline: PhaseResult;
  /** Pipeline Mbit/s per core over bare-read Mbit/s per core. */
  ratioToRead: number;
  /** The same ratio for the warm (second) passes. */
  warmRatioToRead?: number;
  pipelineMbitPerCore: number;
  meetsTargets: boolean;
}

/** CPU seconds the main (JavaScript) thread has used so far, from /proc; undefined where that is not readable. */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks; Linux reports them at USER_HZ = 100.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** One pipeline run over `file` as the bench measures it: zeek -C, elsa ASCII logs into a temporary directory. */
export async function runBenchPipeline(file: string): Promise<SensorRunSummary> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-bench-logs-'));
  try {
    return await new SensorPipeline({
      source: openCaptureFile(file),
      logs: new LogWriterSet({ dir: logDir, profile: 'elsa', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true,
    }).run();
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

/** One timed pass of a phase: what it counted and the CPU and wall time it took. */
async function timedPass(
  phase: 'read' | 'pipeline',
  file: string,
): Promise<{ packets: number; bytes: number; connections?: number } & WarmPassResult> {
  const main0 = mainThreadCpuSeconds();
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  let packets = 0;
  let bytes = 0;
  let connections: number | undefined;
  if (phase === 'read') {
    await openCaptureFile(file).run((_l, _f, _o, capLength) => {
      packets++;
      bytes += capLength;
    });
  } else {
    const summary = await runBenchPipeline(file);
    packets = summary.packets;
    connections = summary.connections;
  }
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuSeconds();
  return {
    packets,
    bytes,
    connections,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuSeconds: main0 !== undefined && main1 !== undefined ? main1 - main0 : undefined,
    wallSeconds: Number(process.hrtime.bigint() - wall0) / 1e9,
  };
}

/** Runs one phase in this process (the child side): the cold pass, then the warm pass over the same file. */
async function runPhase(phase: 'read' | 'pipeline', file: string): Promise<PhaseResult> {
  const cold = await timedPass(phase, file);
  // Peak RSS of the cold pass alone: read before the warm pass can raise it.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const warm = await timedPass(phase, file);
  return {
    phase,
    packets: cold.packets,
    bytes: cold.bytes,
    cpuSeconds: cold.cpuSeconds,
    mainThreadCpuSeconds: cold.mainThreadCpuSeconds,
    wallSeconds: cold.wallSeconds,
    peakRssMb,
    connections: cold.connections,
    warm: { cpuSeconds: warm.cpuSeconds, mainThreadCpuSeconds: warm.mainThreadCpuSeconds, wallSeconds: warm.wallSeconds },
  };
}

function runPhaseInChild(phase: 'read' | 'pipeline', file: string): PhaseResult {
  const out = execFileSync(process.execPath, [__filename, '--phase', phase, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as PhaseResult;
}

const mbitPerCore = (bytes: number, cpuSeconds: number): number => (bytes * 8) / 1e6 / Math.max(cpuSeconds, 1e-9);

export async function runSensorBench(opts: { megabytes?: number; log?: (line: string) => void } = {}): Promise<SensorBenchResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const megabytes = opts.megabytes ?? Number(process.env.NSM_BENCH_MB ?? 200);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-bench-'));
  const file = path.join(dir, 'mixed.pcap');
  try {
    const capture = await buildMixedCapture(file, megabytes * 1e6, SOURCE_DIRS);
    log(
      `sensor bench: ${capture.packets} packets, ${(capture.bytes / 1e6).toFixed(1)} MB ` +
        `(${capture.sourcePackets} source packets x ${capture.repetitions})`,
    );
    const read = runPhaseInChild('read', file);
    const pipeline = runPhaseInChild('pipeline', file);
    pipeline.bytes = read.bytes; // the same packets: the reader counted their captured bytes
    const readRate = mbitPerCore(read.bytes, read.cpuSeconds);
    const pipeRate = mbitPerCore(pipeline.bytes, pipeline.cpuSeconds);
    const ratio = pipeRate / readRate;
    for (const p of [read, pipeline]) {
      log(
        `  ${p.phase.padEnd(8)} cpu ${p.cpuSeconds.toFixed(2)} s` +
          (p.mainThreadCpuSeconds !== undefined ? ` (main thread ${p.mainThreadCpuSeconds.toFixed(2)} s)` : '') +
          `  wall ${p.wallSeconds.toFixed(2)} s  ` +
          `${Math.round(p.packets / p.cpuSeconds)} pkt/s/core  ${mbitPerCore(p.bytes, p.cpuSeconds).toFixed(0)} Mbit/s/core  ` +
          `peak RSS ${p.peakRssMb.toFixed(0)} MB${p.connections !== undefined ? `  ${p.connections} connections` : ''}`,
      );
    }
    const meetsTargets = pipeRate >= 1000 && ratio >= 0.3;
    log(
      `  pipeline/read ${(ratio * 100).toFixed(0)}%  (targets: >= 1000 Mbit/s/core ${pipeRate >= 1000 ? 'met' : 'NOT met'}; ` +
        `>= 30% of the bare read ${ratio >= 0.3 ? 'met' : 'NOT met'})`,
    );
    let warmRatio: number | undefined;
    if (read.warm && pipeline.warm) {
      for (const p of [read, pipeline]) {
        const w = p.warm as WarmPassResult;
        log(
          `  warm ${p.phase.padEnd(8)} cpu ${w.cpuSeconds.toFixed(2)} s` +
            (w.mainThreadCpuSeconds !== undefined ? ` (main thread ${w.mainThreadCpuSeconds.toFixed(2)} s)` : '') +
            `  wall ${w.wallSeconds.toFixed(2)} s  ` +
            `${Math.round(p.packets / w.cpuSeconds)} pkt/s/core  ${mbitPerCore(read.bytes, w.cpuSeconds).toFixed(0)} Mbit/s/core`,
        );
      }
      warmRatio = mbitPerCore(read.bytes, pipeline.warm.cpuSeconds) / mbitPerCore(read.bytes, read.warm.cpuSeconds);
      log(`  warm pipeline/read ${(warmRatio * 100).toFixed(0)}%  (second pass in the same process; targets apply to the cold pass)`);
    }
    return {
      capture: { packets: capture.packets, bytes: capture.bytes, repetitions: capture.repetitions, sourcePackets: capture.sourcePackets },
      read,
      pipeline,
      ratioToRead: ratio,
      warmRatioToRead: warmRatio,
      pipelineMbitPerCore: pipeRate,
      meetsTargets,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--phase') {
    runPhase(argv[1] as 'read' | 'pipeline', argv[2]).then(
      (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      (err: unknown) => {
        process.stderr.write(`sensor bench: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      },
    );
  } else {
    runSensorBench().catch((err: unknown) => {
      process.stderr.write(`sensor bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
  }
}
