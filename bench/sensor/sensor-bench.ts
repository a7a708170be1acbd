// Sensor throughput: on a large mixed capture (bench/sensor/mixed-capture-builder.ts) measures (a) the bare read
// (capture reader → no-op handler), (b) two floors (read + decode; + flow lookup: floor-phases.ts) and (c) the whole
// pipeline writing logs, each in its own process so CPU time and peak RSS are its own; then, for scale, libpcap's
// read and argus, a flow tracker in C, on the same file (external-peers.ts). Prints packets/s and Mbit/s per core
// (CPU time), each one's ratio to the bare read and peak RSS.
// Targets: ≥ 1 Gbit/s per core and ≥ 30% of the bare read. Runs as `zeek -C` (the sources' copies have rewritten
// addresses and loopback captures carry partial checksums). Size: NSM_BENCH_MB (default 200). Each phase and peer
// runs NSM_BENCH_RUNS times (default 3) and the run with the median CPU time is reported: a shared machine varies
// by 10-20% from one run to the next.
// Each child then runs its phase a second time over the same file and reports it apart as the warm figure: the cold
// one includes V8 compiling the code (a fixed start-up cost); the warm one is the steady state a long capture sees.
// Then the protocol analyzers' cost: the pipeline with none (conn-only), with all (the pipeline row) and with each
// shipped analyzer left out, so each analyzer's cost is `pipeline - without-NAME` (NSM_BENCH_ANALYZERS=off skips them).
// Then the flood rows (flood-bench.ts): hostile captures, with time, peak RSS and rows written for each
// (NSM_BENCH_FLOOD=off skips them, =full runs the issue's full sizes).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../sensor/capture/open-capture';
import { LocalNetworks } from '../../sensor/flows/local-networks';
import { LogWriterSet } from '../../sensor/logs/log-writer-set';
import { SensorPipeline, SensorRunSummary } from '../../sensor/pipeline';
import { SHIPPED_ANALYZERS, shippedRegistry } from '../../sensor/analyzers/shipped-analyzers';
import { EXTERNAL_PEERS, ExternalPeerResult, runExternalPeer } from './external-peers';
import { runFloodBench } from './flood-bench';
import { runFloor } from './floor-phases';
import { buildMixedCapture } from './mixed-capture-builder';

const ROOT = path.resolve(__dirname, '../../..');
export const SOURCE_DIRS = [path.join(ROOT, 'test', 'fixtures', 'pcaps'), path.join(ROOT, 'test', 'fixtures', 'zeek-cases')];

/** `without-NAME`: the pipeline with every shipped analyzer but NAME; `conn-only`: with none. */
export type BenchPhase = 'read' | 'decode' | 'lookup' | 'pipeline' | 'conn-only' | `without-${string}`;

/** What each of nsm's phases does, for the report. */
const PHASE_LABELS: Record<string, string> = {
  read: 'nsm capture reader, a no-op per packet',
  decode: 'floor: read + decode every packet',
  lookup: 'floor: decode + find and count its flow',
  pipeline: 'nsm sensor: all analyzers, logs (elsa)',
  'conn-only': 'nsm sensor, no analyzer: conn + weird',
};

function phaseLabel(phase: BenchPhase): string {
  return PHASE_LABELS[phase] ?? `nsm sensor, all analyzers but ${phase.slice('without-'.length)}`;
}

/** The shipped analyzers a pipeline phase runs without (none for `pipeline`), or undefined for a floor phase. */
export function disabledAnalyzers(phase: BenchPhase): string[] | undefined {
  if (phase === 'pipeline') return [];
  if (phase === 'conn-only') return SHIPPED_ANALYZERS.map((a) => a.name);
  if (phase.startsWith('without-')) return [phase.slice('without-'.length)];
  return undefined;
}

export interface PhaseResult {
  phase: BenchPhase;
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
  decodeFloor: PhaseResult;
  lookupFloor: PhaseResult;
  pipeline: PhaseResult;
  /** The pipeline with no analyzer and with each shipped analyzer left out (unless NSM_BENCH_ANALYZERS=off). */
  analyzerPhases?: { connOnly: PhaseResult; without: PhaseResult[] };
  peers: ExternalPeerResult[];
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

/**
 * One pipeline run over `file` as the bench measures it: zeek -C, elsa ASCII logs into a temporary directory, every
 * shipped analyzer but `disabled` (names as --disable-analyzer takes them). `inspect` sees the log directory before it
 * is removed (the tests check what each phase wrote).
 */
export async function runBenchPipeline(
  file: string,
  disabled: readonly string[] = [],
  inspect?: (logDir: string) => void,
): Promise<SensorRunSummary> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-bench-logs-'));
  try {
    const summary = await new SensorPipeline({
      source: openCaptureFile(file),
      logs: new LogWriterSet({ dir: logDir, profile: 'elsa', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      ignoreChecksums: true,
      analyzers: shippedRegistry(disabled),
    }).run();
    inspect?.(logDir);
    return summary;
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

/** One timed pass of a phase: what it counted and the CPU and wall time it took. */
async function timedPass(
  phase: BenchPhase,
  file: string,
): Promise<{ packets: number; bytes: number; connections?: number } & WarmPassResult> {
  const main0 = mainThreadCpuSeconds();
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  let packets = 0;
  let bytes = 0;
  let connections: number | undefined;
  const disabled = disabledAnalyzers(phase);
  if (phase === 'read') {
    await openCaptureFile(file).run((_l, _f, _o, capLength) => {
      packets++;
      bytes += capLength;
    });
  } else if (disabled !== undefined) {
    const summary = await runBenchPipeline(file, disabled);
    packets = summary.packets;
    connections = summary.connections;
  } else {
    const floor = await runFloor(file, phase === 'lookup');
    packets = floor.packets;
    if (phase === 'lookup') connections = floor.flows;
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

/**
 * Node's first fs.rmSync of a directory invalidates V8 assumptions that the pipeline's optimized code depends on; the
 * pipeline phase's first clean-up would otherwise send the warm pass back to recompiling. A sensor never does this
 * between packets, so the child does it once before any timing.
 */
function settleFsRemoval(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-bench-settle-'));
  fs.writeFileSync(path.join(dir, 'f'), '');
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs one phase in this process (the child side): the cold pass, then the warm pass over the same file. */
async function runPhase(phase: BenchPhase, file: string): Promise<PhaseResult> {
  settleFsRemoval();
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

function runPhaseInChild(phase: BenchPhase, file: string): PhaseResult {
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
    const runs = Math.max(1, Math.floor(Number(process.env.NSM_BENCH_RUNS ?? 3)));
    const median = <T extends { cpuSeconds: number }>(measure: () => T): T => {
      const results = Array.from({ length: runs }, measure).sort((a, b) => a.cpuSeconds - b.cpuSeconds);
      return results[Math.floor((results.length - 1) / 2)];
    };
    const read = median(() => runPhaseInChild('read', file));
    const decodeFloor = median(() => runPhaseInChild('decode', file));
    const lookupFloor = median(() => runPhaseInChild('lookup', file));
    const pipeline = median(() => runPhaseInChild('pipeline', file));
    const peers = EXTERNAL_PEERS.map((peer) => median(() => runExternalPeer(peer, file)));
    log(`  (each row: the run with the median CPU time of ${runs})`);
    const phases = [read, decodeFloor, lookupFloor, pipeline];
    for (const p of phases) p.bytes = read.bytes; // the same packets: the reader counted their captured bytes
    const readRate = mbitPerCore(read.bytes, read.cpuSeconds);
    const ofRead = (cpuSeconds: number): number => mbitPerCore(read.bytes, cpuSeconds) / readRate;
    const pipeRate = mbitPerCore(pipeline.bytes, pipeline.cpuSeconds);
    const ratio = ofRead(pipeline.cpuSeconds);

    log(`  ${'phase'.padEnd(13)} ${'what'.padEnd(40)} ${'cpu s'.padStart(6)} ${'main'.padStart(5)} ${'wall s'.padStart(6)} ` +
      `${'pkt/s/core'.padStart(11)} ${'Mbit/s/core'.padStart(11)} ${'of read'.padStart(7)} ${'peak RSS'.padStart(8)}`);
    const row = (name: string, what: string, cpu: number, main: number | undefined, wall: number, rss: number | undefined): void => {
      log(`  ${name.padEnd(13)} ${what.padEnd(40)} ${cpu.toFixed(2).padStart(6)} ${(main === undefined ? '' : main.toFixed(2)).padStart(5)} ` +
        `${wall.toFixed(2).padStart(6)} ${Math.round(capture.packets / cpu).toString().padStart(11)} ` +
        `${mbitPerCore(read.bytes, cpu).toFixed(0).padStart(11)} ${`${(ofRead(cpu) * 100).toFixed(1)}%`.padStart(7)} ` +
        `${(rss === undefined ? '' : `${rss.toFixed(0)} MB`).padStart(8)}`);
    };
    for (const p of phases) row(p.phase, phaseLabel(p.phase), p.cpuSeconds, p.mainThreadCpuSeconds, p.wallSeconds, p.peakRssMb);
    for (const p of peers) row(p.name, p.label, p.cpuSeconds, undefined, p.wallSeconds, undefined);
    log(`  pipeline: ${pipeline.connections ?? 0} connections; lookup floor: ${lookupFloor.connections ?? 0} flows (by hash)`);

    const meetsTargets = pipeRate >= 1000 && ratio >= 0.3;
    log(
      `  targets: >= 1000 Mbit/s/core ${pipeRate >= 1000 ? 'met' : 'NOT met'} (${pipeRate.toFixed(0)}); ` +
        `>= 30% of the bare read ${ratio >= 0.3 ? 'met' : 'NOT met'} (${(ratio * 100).toFixed(1)}%; ` +
        `the lookup floor is at ${(ofRead(lookupFloor.cpuSeconds) * 100).toFixed(1)}%)`,
    );
    let warmRatio: number | undefined;
    if (phases.every((p) => p.warm !== undefined)) {
      const warmOfRead = (p: PhaseResult): number =>
        (read.warm as WarmPassResult).cpuSeconds / (p.warm as WarmPassResult).cpuSeconds;
      warmRatio = warmOfRead(pipeline);
      log(
        '  warm (a second pass in the same process, code compiled): ' +
          phases.map((p) => `${p.phase} ${(p.warm as WarmPassResult).cpuSeconds.toFixed(2)} s` +
            (p === read ? '' : ` (${(warmOfRead(p) * 100).toFixed(1)}%)`)).join(', '),
      );
    }
    let analyzerPhases: SensorBenchResult['analyzerPhases'];
    if (process.env.NSM_BENCH_ANALYZERS !== 'off') {
      const connOnly = median(() => runPhaseInChild('conn-only', file));
      // Leaving one out of one is conn-only again: only worth a row with two analyzers or more.
      const names = SHIPPED_ANALYZERS.length > 1 ? SHIPPED_ANALYZERS.map((a) => a.name) : [];
      const without = names.map((name) => median(() => runPhaseInChild(`without-${name}`, file)));
      analyzerPhases = { connOnly, without };
      log('  protocol analyzers (cold pass; cost = pipeline - without-NAME, all = pipeline - conn-only):');
      for (const p of [connOnly, pipeline, ...without]) {
        row(p.phase, phaseLabel(p.phase), p.cpuSeconds, p.mainThreadCpuSeconds, p.wallSeconds, p.peakRssMb);
      }
      const cost = (p: PhaseResult): string => `${(pipeline.cpuSeconds - p.cpuSeconds).toFixed(2)} s`;
      log(`  analyzer cost: all ${cost(connOnly)}` +
        without.map((p) => `, ${p.phase.slice('without-'.length)} ${cost(p)}`).join('') +
        ` (CPU s over the ${(capture.bytes / 1e6).toFixed(0)} MB; runs vary by 10-20 % on a shared machine)`);
    }
    if (process.env.NSM_BENCH_FLOOD !== 'off') runFloodBench({ log });
    return {
      capture: { packets: capture.packets, bytes: capture.bytes, repetitions: capture.repetitions, sourcePackets: capture.sourcePackets },
      read,
      decodeFloor,
      lookupFloor,
      pipeline,
      analyzerPhases,
      peers,
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
    runPhase(argv[1] as BenchPhase, argv[2]).then(
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
