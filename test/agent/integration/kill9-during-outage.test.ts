// kill -9 while the collector is down and the disk queue is filling (issue 17, section 3): after the restart the
// disk queue is delivered once and the file resumes after what the queue holds, so nothing is lost, the lines
// arrive in order, and the only repeats are the lines of the last state write that had not completed.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../../helpers/rsyslogd-process';
import { sleep, waitUntil } from './agent-process';
import { firstArrivalOrderBreaks } from './arrival-order';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, ShippingFixture } from './shipping-fixture';

/**
 * The writer adds 40 lines every 20 ms. A kill -9 repeats what was queued (sent, or written to the disk queue)
 * after the file's last completed state write: a disk fsync and a state write, a few tens of ms, i.e. a few
 * batches. 400 lines is 200 ms of writing: slack for a loaded machine, and far below the disk queue's content
 * (thousands of lines) that the bug repeated.
 */
const KILL9_OUTAGE_DUPLICATE_BOUND = 400;

interface StatusFile { actions: Array<{ diskBytes: number; memoryMessages: number }> }

function readStatus(workDir: string): StatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(workDir, 'agent-status.json'), 'utf8')) as StatusFile;
  } catch {
    return undefined; // between the agent's rename and a restart
  }
}

describe('kill -9 during a collector outage (disk queue)', function () {
  this.timeout(90_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(async () => {
    writer?.close();
    writer = undefined;
    await fixture.cleanup();
  });

  it('delivers the disk queue once and resumes the file after it: no loss, in order, repeats only within one state write', async () => {
    fixture.port = await freePort(); // nobody listens yet
    const files = [{ path: path.join(fixture.dir, 'conn.log'), tag: 'conn' }];
    writer = new NumberedLineWriter(files);
    fixture.writeConfig(files, { queueSize: 2000, actionParams: 'queue.maxDiskSpace="1m"' });
    await fixture.startAgent();
    writer.start(20, 40);
    // The memory queue fills with the oldest lines, then (a second without delivery) newer ones go to disk.
    await waitUntil(() => (readStatus(fixture.workDir)?.actions[0].diskBytes ?? 0) > 300_000, 30_000,
      () => `status: ${JSON.stringify(readStatus(fixture.workDir))}`);
    await fixture.agent!.kill9();
    await sleep(300);
    await fixture.startAgent();
    await sleep(1000);
    await fixture.startCollector();
    await sleep(1000);
    writer.stop();
    const written = writer.written();
    const progress = (): string => describeReport(deliveryReport(written, fixture.tally()));
    await waitUntil(() => allArrived(written, fixture.tally()), 60_000, progress);
    await sleep(500); // repeats, if any, arrive after the last new line
    const [report] = deliveryReport(written, fixture.tally());
    if (process.env.NSM_TEST_VERBOSE) console.log(progress());
    expect(report.missing, 'missing').to.deep.equal([]);
    expect(firstArrivalOrderBreaks(fixture.allMessages(), 'conn'), `first arrivals out of order: ${progress()}`).to.equal(0);
    expect(report.duplicates, `duplicates: ${progress()}`).to.be.at.most(KILL9_OUTAGE_DUPLICATE_BOUND);
    expect(await fixture.agent!.stop()).to.equal(0);
  });

  it('property: kill -9 at random moments of an outage (seeded) loses nothing, keeps order, repeats within the bound per kill', async () => {
    // A run: the collector is down, lines arrive steadily, the agent is killed 1-3 times after random delays
    // (sometimes before the memory queue spilled, sometimes with a full disk queue) and restarted after a random
    // pause, then the collector comes up.
    const schedule = fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 1500 }), pauseMs: fc.integer({ min: 50, max: 600 }) }),
      { minLength: 1, maxLength: 3 });
    await fc.assert(fc.asyncProperty(schedule, async (kills) => {
      const run = new ShippingFixture();
      const runWriter = new NumberedLineWriter([{ path: path.join(run.dir, 'conn.log'), tag: 'conn' }]);
      try {
        run.port = await freePort();
        run.writeConfig([{ path: path.join(run.dir, 'conn.log'), tag: 'conn' }], { queueSize: 1000, actionParams: 'queue.maxDiskSpace="512k"' });
        await run.startAgent();
        runWriter.start(20, 40);
        for (const k of kills) {
          await sleep(k.afterMs);
          await run.agent!.kill9();
          await sleep(k.pauseMs);
          await run.startAgent();
        }
        await sleep(500);
        await run.startCollector();
        await sleep(500);
        runWriter.stop();
        const written = runWriter.written();
        const progress = (): string => `kills ${JSON.stringify(kills)}: ${describeReport(deliveryReport(written, run.tally()))}`;
        await waitUntil(() => allArrived(written, run.tally()), 60_000, progress);
        await sleep(500);
        const [report] = deliveryReport(written, run.tally());
        if (process.env.NSM_TEST_VERBOSE) console.log(progress());
        expect(report.missing, progress()).to.deep.equal([]);
        expect(firstArrivalOrderBreaks(run.allMessages(), 'conn'), `first arrivals out of order: ${progress()}`).to.equal(0);
        expect(report.duplicates, `duplicates: ${progress()}`).to.be.at.most(KILL9_OUTAGE_DUPLICATE_BOUND * kills.length);
        expect(await run.agent!.stop()).to.equal(0);
      } finally {
        runWriter.close();
        await run.cleanup();
      }
    }), { numRuns: 4, seed: 1717, endOnFailure: true });
  });
});
