// `node dist/test/sensor/flows/zeek-conn-compare.js [case...]`: prints, per Zeek case, how many conn.log rows
// the flows stage reproduces exactly on its columns and what differs (a development aid beside the test).
import { compareWithBaseline, conformanceCases, trackCapture } from './zeek-case-runner';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  let rows = 0;
  let matched = 0;
  for (const c of conformanceCases()) {
    if (only.length > 0 && !only.includes(c.name)) continue;
    const run = await trackCapture(c.trace, { ignoreChecksums: c.ignoreChecksums, reportGapsForPartial: c.reportGapsForPartial });
    const cmp = compareWithBaseline(c, run);
    rows += cmp.expectedRows;
    matched += cmp.matchedRows;
    console.log(`${cmp.matchedRows === cmp.expectedRows && cmp.diffs.length === 0 ? 'OK  ' : 'DIFF'} ${c.name}${c.extraScript ? ' (extra script)' : ''}: ${cmp.matchedRows}/${cmp.expectedRows}`);
    for (const d of cmp.diffs) console.log(`      ${d.key}: ${d.diffs.join('; ')}`);
  }
  console.log(`rows matched ${matched}/${rows}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
