// Log rotation on network time (Zeek's Log::default_rotation_interval): at each multiple of the interval every open
// log is closed and renamed `conn.<open time>.log`, once more at the end, and no row is lost, repeated or reordered:
// the rotated files together hold exactly the rows of an unrotated run. `--rotate-command` gets Zeek's arguments.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { UidSource } from '../../../sensor/flows/uid';
import { zeekMetaTimestamp } from '../../../sensor/logs/log-formatter';
import { LogWriterSet, RotatedLog } from '../../../sensor/logs/log-writer-set';
import { postprocessorTime } from '../../../sensor/logs/rotation-postprocessor';
import { buildMixedCapture } from '../../../bench/sensor/mixed-capture-builder';
import { SensorPipeline } from '../../../sensor/pipeline';
import { readZeekLog } from './zeek-log-reader';

const ROOT = path.resolve(__dirname, '../../../..');
/** Five seconds of real loopback traffic (curl, dig, openssl, a closed port). */
const SAMPLE_DIR = path.join(ROOT, 'samples');
/** The sample repeated about 8 times, each copy 6.5 s later with its own addresses: about 50 s, 5 connections a copy. */
let LONG = '';
let COPIES = 0;

async function runSensor(dir: string, rotation?: { intervalSeconds: number; calls: { files: RotatedLog[]; terminating: boolean }[] }): Promise<void> {
  await new SensorPipeline({
    source: openCaptureFile(LONG),
    logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
    localNets: LocalNetworks.zeekDefault(),
    uidSource: new UidSource('rotation'),
    ignoreChecksums: true,
    rotation: rotation && {
      intervalSeconds: rotation.intervalSeconds,
      onRotated: (files, terminating) => rotation.calls.push({ files, terminating }),
    },
  }).run();
}

const dataRows = (file: string): string[] => fs.readFileSync(file, 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('log rotation', () => {
  let tmp: string;
  let captureDir: string;
  before(async () => {
    captureDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-rotation-capture-'));
    LONG = path.join(captureDir, 'long.pcap');
    const sampleBytes = fs.statSync(path.join(SAMPLE_DIR, 'loopback-sample.pcap')).size;
    COPIES = (await buildMixedCapture(LONG, sampleBytes * 7.5, [SAMPLE_DIR])).repetitions;
    expect(COPIES).to.be.within(7, 10);
  });
  after(() => fs.rmSync(captureDir, { recursive: true, force: true }));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-rotation-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('rotates at multiples of the interval and at the end; the rotated files hold exactly the unrotated rows', async () => {
    const plain = path.join(tmp, 'plain');
    await runSensor(plain);
    const reference = dataRows(path.join(plain, 'conn.log'));
    expect(reference).to.have.length(5 * COPIES);

    const rotated = path.join(tmp, 'rotated');
    const calls: { files: RotatedLog[]; terminating: boolean }[] = [];
    await runSensor(rotated, { intervalSeconds: 10, calls });

    // Nothing left open: the last rotation (terminating) renamed the current files too.
    expect(fs.existsSync(path.join(rotated, 'conn.log'))).to.equal(false);
    expect(calls.length).to.be.at.least(2);
    expect(calls.map((c) => c.terminating)).to.deep.equal([...calls.slice(1).map(() => false), true]);
    const connFiles = calls.flatMap((c) => c.files).filter((f) => f.path === 'conn');
    expect(connFiles.length).to.be.at.least(4);
    const rows: string[] = [];
    for (const f of connFiles) {
      expect(path.dirname(f.file)).to.equal(rotated);
      expect(path.basename(f.file)).to.equal(`conn.${zeekMetaTimestamp(new Date(f.openedAt * 1000))}.log`);
      expect(f.closedAt).to.be.at.least(f.openedAt);
      const table = readZeekLog(f.file);
      expect(table.meta[table.meta.length - 1]).to.match(/^#close\t/);
      rows.push(...dataRows(f.file));
    }
    for (const c of calls.filter((x) => !x.terminating)) {
      for (const f of c.files) expect(f.closedAt % 10, `rotation at ${f.closedAt}`).to.equal(0);
    }
    expect(rows).to.deep.equal(reference);
    // Every file in the directory is one the rotations reported: none overwritten, none stray.
    expect(fs.readdirSync(rotated).sort()).to.deep.equal(calls.flatMap((c) => c.files.map((f) => path.basename(f.file))).sort());
  });

  it('nsm sensor --rotate-command runs the program on each rotated file with Zeek\'s postprocessor arguments', () => {
    const record = path.join(tmp, 'calls.txt');
    const script = path.join(tmp, 'postprocess.sh');
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s|' "$@" >> '${record}'\necho >> '${record}'\n`, { mode: 0o755 });
    const logDir = path.join(tmp, 'logs');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nsm'), 'sensor', '-C', '-r', LONG, '-l', logDir,
      '--rotate-interval', '10', '--rotate-command', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).to.equal(0);
    const calls = fs.readFileSync(record, 'utf8').trimEnd().split('\n').map((l) => l.replace(/\|$/, '').split('|'));
    expect(calls.length).to.be.at.least(2);
    const time = /^\d\d-\d\d-\d\d_\d\d\.\d\d\.\d\d$/;
    for (const [file, logPath, open, close, terminating, writer] of calls) {
      expect(fs.existsSync(file), file).to.equal(true);
      expect(path.basename(file)).to.match(new RegExp(`^${logPath}\\.\\d{4}(-\\d\\d){5}(-\\d+)?\\.log$`));
      expect(open).to.match(time);
      expect(close).to.match(time);
      expect(terminating).to.match(/^[01]$/);
      expect(writer).to.equal('ascii');
    }
    expect(calls[calls.length - 1][4]).to.equal('1');
    expect(calls.filter((c) => c[1] === 'conn').reduce((n, c) => n + dataRows(c[0]).length, 0)).to.equal(5 * COPIES);
    expect(postprocessorTime(0)).to.equal(`${String(new Date(0).getFullYear() % 100).padStart(2, '0')}-${String(new Date(0).getMonth() + 1).padStart(2, '0')}-${String(new Date(0).getDate()).padStart(2, '0')}_${String(new Date(0).getHours()).padStart(2, '0')}.00.00`);
  });

  it('rejects a --rotate-interval that is not a whole positive number, and --rotate-command without it', () => {
    const nsm = (args: string[]): { status: number | null; stderr: string } =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'nsm'), 'sensor', '-r', LONG, '-l', tmp, ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(nsm(['--rotate-interval', '1.5']).stderr).to.match(/--rotate-interval: not a whole positive number of seconds: 1\.5/);
    expect(nsm(['--rotate-command', '/bin/true']).stderr).to.match(/--rotate-command needs --rotate-interval/);
  });
});
