// Sensor under floods (issue 18): runs `nsm sensor -r FILE -C` on generated hostile captures (SYN floods, short
// connections, fragment floods, out-of-order TCP) each in its own process, and reports CPU and wall time, peak RSS,
// the exit status and the conn.log rows written. Sized to run each input in well under a minute; NSM_BENCH_FLOOD=full
// uses the issue's full sizes (2 M SYNs, 3 M fragments, ...). Run alone: `node dist/bench/sensor/flood-bench.js`;
// `npm run bench` runs it after the throughput rows.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFragmentFlood, writeOutOfOrderStream, writeShortConnections, writeSynFlood } from '../../test/sensor/stress/flood-captures';

export interface FloodInput {
  name: string;
  /** Writes the capture and returns its packet count. */
  write: (file: string) => number;
  /** Extra sensor arguments. */
  args?: string[];
}

export interface FloodResult {
  name: string;
  packets: number;
  status: number | null;
  cpuSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  rows: number;
}

/** The issue's inputs at bench size (`full`: the issue's own sizes). */
export function floodInputs(full: boolean): FloodInput[] {
  const k = (small: number, large: number): number => (full ? large : small);
  const ooo = (n: number): FloodInput => ({ name: `${n / 1000}k out-of-order segments, 1 connection`, write: (f) => writeOutOfOrderStream(f, n) });
  return [
    // The issue's own size at both sizes: 2 M SYNs at the defaults must stay within 512 MB peak RSS.
    { name: '2000k SYNs 1 us apart', write: (f) => writeSynFlood(f, 2_000_000, 1) },
    { name: `${k(500, 2000)}k SYNs at 10k/s`, write: (f) => writeSynFlood(f, k(500_000, 2_000_000), 100) },
    { name: `${k(100, 300)}k 0.5 ms connections at 500/s`, write: (f) => writeShortConnections(f, k(100_000, 300_000), 500), args: [] },
    { name: `${k(1000, 3000)}k incomplete fragments`, write: (f) => writeFragmentFlood(f, k(1_000_000, 3_000_000), 100_000) },
    { name: `${k(500, 2000)}k fragments at ${full ? '10k' : '5k'}/s`, write: (f) => writeFragmentFlood(f, k(500_000, 2_000_000), full ? 10_000 : 5_000) },
    ooo(100_000),
    ooo(200_000),
    ooo(400_000),
    {
      name: '30 connections x 10 MB out of order',
      write: (f) => writeOutOfOrderStream(f, 40_000, 30, 256),
    },
  ];
}

/** Child side: runs the CLI in this process and prints its exit status, CPU time and peak RSS as JSON. */
async function childRun(args: string[]): Promise<void> {
  const { main } = await import('../../src/cli/main');
  await main(['node', 'nsm', ...args]);
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({
    status: process.exitCode ?? 0,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRssMb: usage.maxRSS / 1024,
  })}\n`);
}

function countRows(file: string): number {
  if (!fs.existsSync(file)) return 0;
  let rows = 0;
  for (const line of fs.readFileSync(file, 'latin1').split('\n')) if (line !== '' && !line.startsWith('#')) rows++;
  return rows;
}

export function runFloodBench(opts: { full?: boolean; log?: (line: string) => void } = {}): FloodResult[] {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const full = opts.full ?? process.env.NSM_BENCH_FLOOD === 'full';
  const results: FloodResult[] = [];
  log(`sensor flood bench (${full ? 'full size' : 'bench size; NSM_BENCH_FLOOD=full for the issue\'s sizes'}): nsm sensor -r FILE -C, one process each`);
  log(`  ${'input'.padEnd(40)} ${'packets'.padStart(9)} ${'exit'.padStart(4)} ${'cpu s'.padStart(7)} ${'wall s'.padStart(7)} ${'peak RSS'.padStart(9)} ${'conn rows'.padStart(9)}`);
  for (const input of floodInputs(full)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-flood-bench-'));
    try {
      const capture = path.join(dir, 'flood.pcap');
      const packets = input.write(capture);
      const logDir = path.join(dir, 'logs');
      const wall0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [__filename, '--child', 'sensor', '-r', capture, '-C', '-l', logDir, ...(input.args ?? [])], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Wall time from here (it includes starting node): a child that runs out of memory reports nothing itself.
      const wallSeconds = Number(process.hrtime.bigint() - wall0) / 1e9;
      const last = r.stdout.trim().split('\n').pop() ?? '';
      let measured = { status: r.status as number | null, cpuSeconds: NaN, peakRssMb: NaN };
      if (last.startsWith('{')) measured = JSON.parse(last) as typeof measured;
      const result: FloodResult = { name: input.name, packets, ...measured, wallSeconds, rows: countRows(path.join(logDir, 'conn.log')) };
      results.push(result);
      const died = last.startsWith('{') ? '' : ` (died: ${r.signal ?? `exit ${String(r.status)}`}, ${(r.stderr.match(/FATAL ERROR[^\n]*/) ?? [''])[0]})`;
      log(`  ${input.name.padEnd(40)} ${String(packets).padStart(9)} ${String(result.status).padStart(4)} ` +
        `${result.cpuSeconds.toFixed(2).padStart(7)} ${result.wallSeconds.toFixed(2).padStart(7)} ` +
        `${`${result.peakRssMb.toFixed(0)} MB`.padStart(9)} ${String(result.rows).padStart(9)}${died}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    childRun(argv.slice(1)).catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
  } else {
    runFloodBench();
  }
}
