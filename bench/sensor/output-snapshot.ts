// Writes the sensor's logs for every committed fixture and Zeek case capture (and any extra captures named) with a
// seeded uid source and a pinned clock, so two trees' outputs compare with `diff -r`: the byte-identity check every
// hot-path change must pass. Each capture runs with and without -C, in ASCII and JSON, in both log profiles.
// Usage: node dist/bench/sensor/output-snapshot.js OUTDIR [--capture FILE]... [--only-extra]

import * as fs from 'fs';
import * as path from 'path';
import { openCaptureFile } from '../../sensor/capture/open-capture';
import { LocalNetworks } from '../../sensor/flows/local-networks';
import { UidSource } from '../../sensor/flows/uid';
import { LogFormat, LogWriterSet } from '../../sensor/logs/log-writer-set';
import type { ProfileName } from '../../sensor/logs/log-schema';
import { SensorPipeline } from '../../sensor/pipeline';
import { findCaptures } from './mixed-capture-builder';
import { SOURCE_DIRS } from './sensor-bench';

interface Variant {
  label: string;
  ignoreChecksums: boolean;
  format: LogFormat;
  profile: ProfileName;
}

const VARIANTS: Variant[] = [];
for (const ignoreChecksums of [false, true]) {
  for (const format of ['ascii', 'json'] as const) {
    for (const profile of ['elsa', 'zeek'] as const) {
      VARIANTS.push({ label: `${ignoreChecksums ? 'C' : 'c'}-${format}-${profile}`, ignoreChecksums, format, profile });
    }
  }
}

/** A fixed #open/#close time: the snapshot must depend on the packets only. */
const PINNED_CLOCK = (): Date => new Date(Date.UTC(2020, 0, 1));

async function snapshotOne(capture: string, outDir: string, variants: Variant[]): Promise<void> {
  for (const v of variants) {
    const dir = path.join(outDir, v.label);
    fs.mkdirSync(dir, { recursive: true });
    let outcome = 'ok';
    try {
      const summary = await new SensorPipeline({
        source: openCaptureFile(capture),
        logs: new LogWriterSet({ dir, profile: v.profile, format: v.format, clock: PINNED_CLOCK }),
        localNets: LocalNetworks.zeekDefault(),
        uidSource: new UidSource('snapshot'),
        ignoreChecksums: v.ignoreChecksums,
      }).run();
      outcome = JSON.stringify(summary);
    } catch (err) {
      outcome = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    fs.writeFileSync(path.join(dir, 'summary.txt'), outcome + '\n');
  }
}

async function main(argv: string[]): Promise<void> {
  const outDir = argv[0];
  if (outDir === undefined || outDir.startsWith('--')) throw new Error('usage: output-snapshot OUTDIR [--capture FILE]... [--only-extra]');
  const extra: string[] = [];
  for (let i = 1; i < argv.length; i++) if (argv[i] === '--capture') extra.push(argv[++i]);
  const captures = argv.includes('--only-extra') ? [] : findCaptures(SOURCE_DIRS);
  for (const capture of captures) {
    const name = `${path.basename(path.dirname(capture))}--${path.basename(capture)}`;
    await snapshotOne(capture, path.join(outDir, name), VARIANTS);
  }
  // Large captures (the bench's mixed file): as the bench runs them (-C), in both formats.
  for (const capture of extra) {
    const chosen = VARIANTS.filter((v) => v.ignoreChecksums && (v.label.endsWith('ascii-elsa') || v.label.endsWith('json-zeek')));
    await snapshotOne(capture, path.join(outDir, `extra--${path.basename(capture)}`), chosen);
  }
  process.stdout.write(`snapshot: ${captures.length + extra.length} captures into ${outDir}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`output-snapshot: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
