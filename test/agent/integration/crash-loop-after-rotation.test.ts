// Issue 17 §1, as the hostile user ran it: a rename rotation (the writer still appends to the renamed file), then a
// crash loop (kill -9 and restart every 2.5 s, as systemd's Restart=always does), then a copytruncate. Shipping over
// TCP to a real rsyslogd that counts the numbered lines. The new file at the path must not wait behind the renamed
// one across the restarts: every line must arrive (the agent has the scenario's 2.2 s after its last start to read
// what was written before the truncate), and duplicates stay within the README's kill -9 bound.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { defaultStateFileName } from '../../../agent/config/state-file-name';
import { sleep, waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, ShippingFixture } from './shipping-fixture';

/** Each kill -9 comes 0.3 s after an append of this many lines: at most one such batch is re-sent per kill. */
const APPEND_LINES = 500;
const CRASHES = 5;

/** Waits for `condition` at most `limitMs`, without failing: the scenario goes on at its own pace either way. */
async function waitAtMost(limitMs: number, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition() && Date.now() < deadline) await sleep(50);
}

describe('agent: crash loop after a rename rotation, then copytruncate (real agent, real rsyslog collector)', function () {
  this.timeout(120_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture('tcp'); });
  afterEach(async () => {
    writer?.close();
    writer = undefined;
    await fixture.cleanup();
  });

  it('ships every line written outside the copytruncate window; duplicates within the kill -9 bound', async () => {
    await fixture.startCollector();
    const file = { path: path.join(fixture.dir, 'conn.log'), tag: 'conn' };
    const stateFile = path.join(fixture.workDir, defaultStateFileName(file.path));
    writer = new NumberedLineWriter([file]);
    fixture.writeConfig([file]);
    const progress = (): string => describeReport(deliveryReport(writer!.written(), fixture.tally()));

    // 1. 1,000 lines, graceful restart, 500 more.
    writer.append(0, 1000);
    await fixture.startAgent();
    await waitUntil(() => allArrived(writer!.written(), fixture.tally()), 20_000, progress);
    expect(await fixture.agent!.stop(), 'exit code after SIGTERM').to.equal(0);
    await fixture.startAgent();
    writer.append(0, 500);

    // 2. Rename rotation; the writer appends 100 lines to conn.log.1, then creates conn.log with 400.
    const rotating = writer.rotateByRename(0, 200);
    writer.append(0, 100, true);
    await rotating;
    const rotatedIno = fs.statSync(`${file.path}.1`).ino;
    writer.append(0, 400);

    // 3. Five times, 2.5 s apart: 500 lines, kill -9 0.3 s later, 500 more lines, start again.
    let stateOnRotatedFile = 0;
    for (let crash = 0; crash < CRASHES; crash++) {
      writer.append(0, APPEND_LINES);
      await sleep(300);
      // Informative: a crash while the state still names the renamed file re-reads the new one from its start.
      try {
        if ((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { ino: number }).ino === rotatedIno) stateOnRotatedFile++;
      } catch {
        // not written yet
      }
      await fixture.agent!.kill9();
      writer.append(0, APPEND_LINES);
      await fixture.startAgent();
      await sleep(2200);
    }

    // 4. copytruncate, then 100 lines. Lines the agent has not read when the file is cut are lost to any reader, so
    // the truncate waits (at most the scenario's next 2.5 s) for what was written to arrive; then it happens anyway.
    const beforeTruncate = writer.written();
    await waitAtMost(2500, () => allArrived(beforeTruncate, fixture.tally()));
    writer.copyTruncate(0);
    writer.append(0, 100);

    const written = writer.written();
    await waitAtMost(30_000, () => allArrived(written, fixture.tally()));
    await sleep(500);
    const [report] = deliveryReport(written, fixture.tally());
    if (process.env.NSM_TEST_VERBOSE) console.log(`      ${describeReport([report])}; kills with the state on conn.log.1: ${stateOnRotatedFile}`);
    expect(report.written).to.equal(7100);
    expect(report.missing.length, `lines never received (${describeReport([report])})\n${fixture.agent!.logTail()}`).to.equal(0);
    // README, kill -9: at most the batches confirmed while one state write was in flight: here one append per kill.
    expect(report.duplicates, 'duplicates').to.be.at.most(APPEND_LINES * CRASHES);
    expect(await fixture.agent!.stop()).to.equal(0);
  });
});
