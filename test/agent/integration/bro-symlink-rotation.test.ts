// Bro/Zeek's layout: logs/current is a symlink to a spool directory, and at rotation the link is re-pointed to a
// fresh spool directory. The agent monitors logs/current/conn.log and must ship the lines written before the
// switch (including those Bro appends to the old file just after it) and after it: all, once.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { sleep, waitUntil } from './agent-process';
import { numberedLine } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, ShippingFixture } from './shipping-fixture';

describe('agent with a Bro-style logs/current symlink replaced at rotation', function () {
  this.timeout(60_000);
  let fixture: ShippingFixture;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(() => fixture.cleanup());

  it('ships every line before and after the symlink is re-pointed to a new spool directory', async () => {
    const logs = path.join(fixture.dir, 'logs');
    const spool = (n: number): string => path.join(logs, `spool-${n}`);
    const current = path.join(logs, 'current');
    fs.mkdirSync(spool(1), { recursive: true });
    fs.symlinkSync(spool(1), current);
    let seq = 0;
    const write = (dir: string, count: number): void => {
      let text = '';
      for (let i = 0; i < count; i++) text += numberedLine('conn', seq++, 100) + '\n';
      fs.appendFileSync(path.join(dir, 'conn.log'), text);
    };
    write(spool(1), 300);
    await fixture.startCollector();
    fixture.writeConfig([{ path: path.join(current, 'conn.log'), tag: 'conn' }]);
    await fixture.startAgent();
    const written = (): Array<{ tag: string; count: number }> => [{ tag: 'conn', count: seq }];
    await waitUntil(() => allArrived(written(), fixture.tally()), 15_000, () => describeReport(deliveryReport(written(), fixture.tally())));

    for (let rotation = 2; rotation <= 3; rotation++) {
      write(spool(rotation - 1), 50);
      // Re-point the link atomically (ln -sfn does symlink + rename), as Bro's rotation does.
      fs.mkdirSync(spool(rotation));
      write(spool(rotation), 20);
      const tmpLink = path.join(logs, `.current.${rotation}`);
      fs.symlinkSync(spool(rotation), tmpLink);
      fs.renameSync(tmpLink, current);
      write(spool(rotation - 1), 30); // the old file gets its last lines after the switch
      await sleep(200);
      write(spool(rotation), 100);
      // Bro rotates hourly: let this rotation be shipped before the next. (Two link switches within the tailer's
      // rotation grace period, 5 s, would skip the middle file: it drains the old file before looking at the path.)
      await waitUntil(() => allArrived(written(), fixture.tally()), 20_000, () => describeReport(deliveryReport(written(), fixture.tally())));
    }
    await waitUntil(() => allArrived(written(), fixture.tally()), 30_000, () => describeReport(deliveryReport(written(), fixture.tally())));
    await sleep(300);
    const [r] = deliveryReport(written(), fixture.tally());
    expect(r.missing).to.deep.equal([]);
    expect(r.duplicates).to.equal(0);
    expect(await fixture.agent!.stop()).to.equal(0);
  });
});
