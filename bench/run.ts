// `npm run bench`: runs each registered bench in turn (or only those named on the command line: `node dist/bench/run.js agent`).
// Adding a bench is one line in BENCHES.

import { runAgentBench } from './agent/agent-bench';
import { runSensorBench } from './sensor/sensor-bench';

const BENCHES: Array<{ name: string; run: () => Promise<unknown> }> = [
  { name: 'agent', run: () => runAgentBench() },
  { name: 'sensor', run: () => runSensorBench() },
];

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  for (const bench of BENCHES) {
    if (names.length > 0 && !names.includes(bench.name)) continue;
    process.stdout.write(`== bench ${bench.name}\n`);
    await bench.run();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
