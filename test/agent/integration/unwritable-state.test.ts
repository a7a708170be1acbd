// A state file that cannot be written, with the real agent (issue 17, section 5): a directory at the state path,
// and a full disk under the work directory (a small tmpfs). The agent logs it once, stops reading that file instead of shipping lines it could not checkpoint, stops
// promptly on SIGTERM, and once the path is fixed a restart ships every line, repeating at most one batch.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { defaultStateFileName } from '../../../agent/config/state-file-name';
import { AgentProcess, sleep, waitUntil } from './agent-process';
import { firstArrivalOrderBreaks } from './arrival-order';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, ShippingFixture } from './shipping-fixture';
import { mountSmallTmpfs } from '../../helpers/small-tmpfs';

/**
 * What the agent may ship before its first state write has failed (the announcing write races the first batch):
 * the writer adds 10 lines every 20 ms, so one batch is a handful of lines; 100 is slack for a loaded machine.
 */
const REPEATED_BOUND = 100;

describe('agent with a state file that cannot be written', function () {
  this.timeout(90_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  let mounted: string | undefined;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(async () => {
    writer?.close();
    writer = undefined;
    await AgentProcess.killAll();
    if (mounted) {
      try {
        execFileSync('umount', [mounted]);
      } catch {
        execFileSync('umount', ['-l', mounted]);
      }
      mounted = undefined;
    }
    await fixture.cleanup();
  });

  it('a directory at its path: logs it once, holds that file, stops promptly on SIGTERM, and after the fix ships everything with repeats within one batch', async () => {
    await fixture.startCollector();
    const conn = path.join(fixture.dir, 'conn.log');
    const files = [{ path: conn, tag: 'conn' }];
    writer = new NumberedLineWriter(files);
    fixture.writeConfig(files);
    const statePath = path.join(fixture.workDir, defaultStateFileName(conn));
    fs.mkdirSync(statePath);
    await fixture.startAgent();
    writer.start(20, 10);
    await sleep(2000);
    const log = (): string => fs.readFileSync(path.join(fixture.dir, 'agent.log'), 'utf8');
    await waitUntil(() => /cannot write state file/.test(log()), 10_000, () => fixture.agent!.logTail());
    const shippedWhileBroken = fixture.tally().get('conn')?.counts.size ?? 0;
    expect(shippedWhileBroken, 'lines shipped although they could not be checkpointed').to.be.at.most(REPEATED_BOUND);
    expect(await fixture.agent!.stop(), 'SIGTERM exit code').to.equal(0);
    const errors = log().split('\n').filter((l) => / ERROR /.test(l));
    expect(errors.filter((l) => /cannot write state file/.test(l)), 'one line per cause').to.have.length(1);
    expect(fs.readdirSync(fixture.workDir).filter((f) => f.endsWith('.tmp')), 'temp files left').to.deep.equal([]);

    fs.rmdirSync(statePath);
    await fixture.startAgent();
    await sleep(1000);
    writer.stop();
    const written = writer.written();
    const progress = (): string => describeReport(deliveryReport(written, fixture.tally()));
    await waitUntil(() => allArrived(written, fixture.tally()), 60_000, progress);
    await sleep(500);
    const [report] = deliveryReport(written, fixture.tally());
    if (process.env.NSM_TEST_VERBOSE) console.log(`shipped while broken ${shippedWhileBroken}; ${progress()}`);
    expect(report.missing).to.deep.equal([]);
    expect(report.duplicates, progress()).to.be.at.most(REPEATED_BOUND);
    expect(firstArrivalOrderBreaks(fixture.allMessages(), 'conn')).to.equal(0);
    expect(fs.statSync(statePath).isFile(), 'the state file is written once the path is free').to.equal(true);
    expect(await fixture.agent!.stop()).to.equal(0);
  });

  it('a full disk under the work directory: logs the cause once, holds the file, stops promptly, then ships everything with repeats within one batch', async function () {
    mountSmallTmpfs(fixture.workDir, '512k');
    mounted = fixture.workDir;
    await fixture.startCollector();
    const conn = path.join(fixture.dir, 'conn.log');
    const files = [{ path: conn, tag: 'conn' }];
    writer = new NumberedLineWriter(files);
    fixture.writeConfig(files);
    await fixture.startAgent();
    writer.start(20, 10);
    await sleep(1000);
    const filler = path.join(fixture.workDir, 'filler');
    /** Fills the tmpfs to the last page (again): appends until ENOSPC. */
    const topUp = (): void => {
      const fd = fs.openSync(filler, 'a');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
    };
    topUp();
    const log = (): string => fs.readFileSync(path.join(fixture.dir, 'agent.log'), 'utf8');
    const count = (re: RegExp): number => log().split('\n').filter((l) => re.test(l)).length;
    await waitUntil(() => /cannot write state file/.test(log()), 10_000, () => fixture.agent!.logTail());
    // A state write in flight when the disk filled frees its old page at its rename, and the next write can take it
    // (the agent then rightly ships again: those lines are checkpointed). Keep the disk full for a second, taking
    // back every page a rename frees, so the agent ends up failing with nothing in flight: full for good.
    // If a write still slips through (a rename freed a page between two top-ups), that window proves nothing: the
    // agent had space. Up to three tries for a 2 s window in which no state write succeeded.
    let shippedWhileFull = -1;
    for (let attempt = 0; attempt < 3 && shippedWhileFull < 0; attempt++) {
      for (const until = Date.now() + 1000; Date.now() < until;) {
        topUp();
        await sleep(5);
      }
      await sleep(300);
      topUp();
      const recoveries = count(/state file written again/);
      const shippedBefore = fixture.tally().get('conn')?.counts.size ?? 0;
      await sleep(2000);
      if (count(/state file written again/) === recoveries) {
        shippedWhileFull = (fixture.tally().get('conn')?.counts.size ?? 0) - shippedBefore;
      }
    }
    expect(shippedWhileFull, 'a 2 s window with the disk full for good').to.be.at.least(0);
    expect(shippedWhileFull, 'lines shipped that could not be checkpointed').to.be.at.most(REPEATED_BOUND);
    const recoveries = count(/state file written again/);
    expect(await fixture.agent!.stop(), 'SIGTERM exit code').to.equal(0);
    const stateErrors = log().split('\n').filter((l) => / ERROR /.test(l) && /state file/.test(l));
    // One line per cause (a failure logged again only after a write succeeded in between), plus the one at shutdown
    // saying which offset the next start reads from.
    expect(stateErrors.filter((l) => /cannot write state file/.test(l)), 'one line per cause').to.have.length(1 + recoveries);
    expect(stateErrors[0]).to.match(/no space left on device/);
    // (The status file's writer, src/core/status-file.ts, is not part of this: only the state file's temp files count.)
    expect(fs.readdirSync(fixture.workDir).filter((f) => f.startsWith('.imfile-state') && f.endsWith('.tmp')), 'temp files left').to.deep.equal([]);

    fs.rmSync(filler);
    await fixture.startAgent();
    await sleep(1000);
    writer.stop();
    const written = writer.written();
    const progress = (): string => describeReport(deliveryReport(written, fixture.tally()));
    await waitUntil(() => allArrived(written, fixture.tally()), 60_000, progress);
    await sleep(500);
    const [report] = deliveryReport(written, fixture.tally());
    if (process.env.NSM_TEST_VERBOSE) console.log(`shipped while full ${shippedWhileFull}; ${progress()}`);
    expect(report.missing).to.deep.equal([]);
    expect(report.duplicates, progress()).to.be.at.most(REPEATED_BOUND);
    expect(firstArrivalOrderBreaks(fixture.allMessages(), 'conn')).to.equal(0);
    expect(await fixture.agent!.stop()).to.equal(0);
  });
});
