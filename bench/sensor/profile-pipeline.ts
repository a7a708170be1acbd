// Profiles the sensor pipeline on the bench's mixed capture: runs it in a child under `node --cpu-prof`, then prints the
// functions with the most self time (and the share of GC), so hot-path work starts from measurements, not guesses.
// Usage: node dist/bench/sensor/profile-pipeline.js [--mb 200] [--top 40] [--keep DIR] [--capture FILE (built if missing)]
//        [--warm: profile only a second pass in the same process, after a first pass has compiled the code]

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as inspector from 'inspector';
import * as path from 'path';
import { buildMixedCapture } from './mixed-capture-builder';
import { runBenchPipeline, SOURCE_DIRS } from './sensor-bench';

const ROOT = path.resolve(__dirname, '../../..');

/** The parts of V8's .cpuprofile format this report reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function (summed over every node of the same function), most expensive first. */
export function selfTimes(profile: CpuProfile): SelfTimeRow[] {
  const frameOf = new Map<number, string>();
  const labels = new Map<string, { name: string; where: string }>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const where = f.url === '' ? '' : `${path.relative(ROOT, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}`;
    const key = `${f.functionName}|${where}`;
    frameOf.set(n.id, key);
    if (!labels.has(key)) labels.set(key, { name: f.functionName || '(anonymous)', where });
  }
  const micros = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const key = frameOf.get(profile.samples[i]) ?? '?';
    const dt = profile.timeDeltas[i] ?? 0;
    micros.set(key, (micros.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...micros.entries()]
    .map(([key, us]) => ({ ...(labels.get(key) ?? { name: key, where: '' }), ms: us / 1000, share: us / Math.max(total, 1) }))
    .sort((a, b) => b.ms - a.ms);
}

/** The child side: one pipeline run over `file`, exactly as the bench runs it. */
async function runPipelineOnce(file: string): Promise<void> {
  const summary = await runBenchPipeline(file);
  process.stdout.write(`pipeline: ${summary.packets} packets, ${summary.connections} connections, ${summary.weirds} weirds\n`);
}

/** The child side of --warm: an unprofiled first pass, then a second pass profiled through the inspector into `profDir`. */
async function runPipelineWarm(file: string, profDir: string): Promise<void> {
  await runBenchPipeline(file);
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  // 100 µs samples (the default is 1 ms): enough ticks per source line to see where a hot function spends its time.
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  await runPipelineOnce(file);
  const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  fs.writeFileSync(path.join(profDir, 'warm.cpuprofile'), JSON.stringify(profile));
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return runPipelineOnce(argv[1]);
  if (argv[0] === '--warm-child') return runPipelineWarm(argv[1], argv[2]);
  const megabytes = Number(argValue(argv, '--mb') ?? 200);
  const top = Number(argValue(argv, '--top') ?? 40);
  const keep = argValue(argv, '--keep');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-profile-'));
  try {
    // --capture FILE reuses (or builds once) a capture, so before/after profiles read the same packets.
    const file = argValue(argv, '--capture') ?? path.join(work, 'mixed.pcap');
    if (!fs.existsSync(file)) {
      const capture = await buildMixedCapture(file, megabytes * 1e6, SOURCE_DIRS);
      process.stdout.write(`capture: ${capture.packets} packets, ${(capture.bytes / 1e6).toFixed(1)} MB\n`);
    }
    const profDir = keep ?? path.join(work, 'prof');
    fs.mkdirSync(profDir, { recursive: true });
    const childArgs = argv.includes('--warm')
      ? [__filename, '--warm-child', file, profDir]
      : ['--cpu-prof', '--cpu-prof-dir', profDir, __filename, '--child', file];
    execFileSync(process.execPath, childArgs, { stdio: 'inherit' });
    const profFile = fs.readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')).sort().pop();
    if (profFile === undefined) throw new Error(`no .cpuprofile written in ${profDir}`);
    const rows = selfTimes(JSON.parse(fs.readFileSync(path.join(profDir, profFile), 'utf8')) as CpuProfile);
    const totalMs = rows.reduce((s, r) => s + r.ms, 0);
    process.stdout.write(`profile ${path.join(profDir, profFile)}: ${totalMs.toFixed(0)} ms sampled\n`);
    for (const r of rows.slice(0, top)) {
      process.stdout.write(`${r.ms.toFixed(1).padStart(9)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}  ${r.where}\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`profile-pipeline: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
