// Fan-out: each line goes to every action whose selector matches its file's facility/severity, in order, once;
// the file's checkpoint waits for all of them, so a restart duplicates nothing in either collector.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { sleep, waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, expectExactlyOnceInOrder, ShippingFixture, tallyNumbered } from './shipping-fixture';

describe('agent fan-out to several actions by selector', function () {
  this.timeout(60_000);
  let fixture: ShippingFixture;
  let other: SyslogCollector | undefined;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(async () => {
    writer?.close();
    await other?.stop();
    await fixture.cleanup();
  });

  it('routes local7 lines to both actions and local6 lines only to *.*, exactly once across a restart', async () => {
    const local7Collector = await fixture.startCollector();
    other = await SyslogCollector.start({ protocol: 'tcp' });
    const web = { path: path.join(fixture.dir, 'web.log'), tag: 'web' };
    const db = { path: path.join(fixture.dir, 'db.log'), tag: 'db' };
    fs.writeFileSync(fixture.configFile, [
      `$WorkDirectory ${fixture.workDir}`,
      '$ModLoad imfile',
      `$InputFileName ${web.path}`, '$InputFileTag web:', '$InputFileFacility local7', '$InputFileSeverity info', '$InputRunFileMonitor',
      `$InputFileName ${db.path}`, '$InputFileTag db:', '$InputFileFacility local6', '$InputFileSeverity info', '$InputRunFileMonitor',
      `local7.* @@127.0.0.1:${local7Collector.port}`,
      `*.* @@(o)127.0.0.1:${other.port}`,
      '',
    ].join('\n'));
    writer = new NumberedLineWriter([web, db]);
    writer.append(0, 1000);
    writer.append(1, 1000);
    const agent = await fixture.startAgent();
    writer.start(20, 10);
    await sleep(800);
    expect(await agent.stop()).to.equal(0);
    writer.append(0, 100);
    writer.append(1, 100);
    await fixture.startAgent();
    await sleep(500);
    writer.stop();
    const written = writer.written();
    const everywhere = (): ReturnType<typeof tallyNumbered> => tallyNumbered(other!.messages());
    await waitUntil(() => allArrived(written, everywhere()), 20_000, () => describeReport(deliveryReport(written, everywhere())));
    await waitUntil(() => allArrived(written.slice(0, 1), tallyNumbered(local7Collector.messages())), 20_000,
      () => describeReport(deliveryReport(written.slice(0, 1), tallyNumbered(local7Collector.messages()))));
    await sleep(300);
    expectExactlyOnceInOrder(written, everywhere(), '*.* ');
    const local7 = tallyNumbered(local7Collector.messages());
    expect([...local7.keys()], 'local7 collector got only local7 lines').to.deep.equal(['web']);
    const [webReport] = deliveryReport(written.slice(0, 1), local7);
    expect(webReport.missing).to.deep.equal([]);
    expect(webReport.duplicates).to.equal(0);
    expect(await fixture.agent!.stop()).to.equal(0);
  });
});
