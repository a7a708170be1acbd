// Collector down: the agent keeps reading while nobody listens, spills past its memory queue to the disk queue,
// and when the collector comes up delivers every line, in order, once.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../../helpers/rsyslogd-process';
import { sleep, waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, expectExactlyOnceInOrder, ShippingFixture } from './shipping-fixture';

interface StatusFile { actions: Array<{ diskBytes: number; memoryMessages: number }>; files: Array<{ linesRead: number }> }

describe('agent with the collector down (disk queue)', function () {
  this.timeout(60_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(async () => {
    writer?.close();
    await fixture.cleanup();
  });

  it('spills to disk while the collector is down and delivers everything in order once it is back', async () => {
    fixture.port = await freePort(); // nobody listens here yet
    const files = ['conn', 'dns'].map((t) => ({ path: path.join(fixture.dir, `${t}.log`), tag: t }));
    writer = new NumberedLineWriter(files);
    fixture.writeConfig(files, { queueSize: 200 });
    await fixture.startAgent();
    for (let i = 0; i < 10; i++) {
      writer.append(0, 500);
      writer.append(1, 500);
      await sleep(100);
    }
    const statusFile = path.join(fixture.workDir, 'agent-status.json');
    const status = (): StatusFile => JSON.parse(fs.readFileSync(statusFile, 'utf8')) as StatusFile;
    await waitUntil(() => status().files.every((f) => f.linesRead === 5000) && status().actions[0].diskBytes > 0, 15_000,
      () => `status: ${JSON.stringify(status())}`);
    expect(status().actions[0].memoryMessages, 'memory queue bounded by queue.size').to.be.at.most(200);
    await sleep(2000); // still down: the agent keeps retrying
    expect(fixture.allMessages()).to.have.length(0);

    await fixture.startCollector();
    const written = writer.written();
    await waitUntil(() => allArrived(written, fixture.tally()), 30_000, () => describeReport(deliveryReport(written, fixture.tally())));
    await sleep(300);
    expectExactlyOnceInOrder(written, fixture.tally());
    expect(await fixture.agent!.stop()).to.equal(0);
  });
});
