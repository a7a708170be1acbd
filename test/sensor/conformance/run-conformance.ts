// `npm run conformance`: runs the sensor on every Zeek case and prints the comparison tables and totals.
// Options: --case SUBSTRING (only matching cases), --verbose (list differing columns), --update-baseline (rewrite the
// committed floor from this run). Exits 1 when a column of the committed floor regressed.

import * as fs from 'fs';
import { BASELINE_FILE, baselineFromResults, checkBaseline, readBaseline } from './conformance-baseline';
import { formatReport, runAllCases } from './conformance-runner';

async function main(argv: string[]): Promise<number> {
  const caseArg = argv.indexOf('--case');
  const only = caseArg >= 0 ? argv[caseArg + 1] : undefined;
  const results = await runAllCases(only === undefined ? undefined : (name) => name.includes(only));
  process.stdout.write(formatReport(results, argv.includes('--verbose')) + '\n');
  if (argv.includes('--update-baseline')) {
    fs.writeFileSync(BASELINE_FILE, JSON.stringify(baselineFromResults(results), null, 1) + '\n');
    process.stdout.write(`baseline written: ${BASELINE_FILE}\n`);
    return 0;
  }
  if (only !== undefined) return 0;
  const regressions = checkBaseline(results, readBaseline());
  for (const r of regressions) process.stdout.write(`REGRESSION ${r}\n`);
  return regressions.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
