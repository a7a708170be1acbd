// Restarts and the state file: a graceful restart (SIGTERM, start again) loses and duplicates nothing, and the
// state file holds the file's identity and the confirmed offset, replaced atomically (never seen torn).

import { expect } from 'chai';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { defaultStateFileName } from '../../../agent/config/state-file-name';
import { sleep, waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, expectExactlyOnceInOrder, ShippingFixture } from './shipping-fixture';

describe('agent restart and state file (real agent, real rsyslog collector)', function () {
  this.timeout(60_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture(); });
  afterEach(async () => {
    writer?.close();
    writer = undefined;
    await fixture.cleanup();
  });

  it('graceful restarts while lines keep coming lose nothing and duplicate nothing', async () => {
    await fixture.startCollector();
    const files = ['alpha', 'beta'].map((t) => ({ path: path.join(fixture.dir, `${t}.log`), tag: t }));
    writer = new NumberedLineWriter(files);
    writer.append(0, 2000);
    writer.append(1, 2000);
    fixture.writeConfig(files);
    await fixture.startAgent();
    writer.start(20, 10);
    for (let round = 0; round < 2; round++) {
      await sleep(1000);
      expect(await fixture.agent!.stop(), 'exit code after SIGTERM').to.equal(0);
      await sleep(500); // lines written while the agent is down
      await fixture.startAgent();
    }
    await sleep(1000);
    writer.stop();
    const written = writer.written();
    await waitUntil(() => allArrived(written, fixture.tally()), 20_000, () => describeReport(deliveryReport(written, fixture.tally())));
    await sleep(500);
    expectExactlyOnceInOrder(written, fixture.tally());
    expect(await fixture.agent!.stop()).to.equal(0);
  });

  it('state file: identity (dev, ino, fingerprint of the first 256 bytes) and the delivered offset, replaced atomically', async () => {
    await fixture.startCollector();
    const file = { path: path.join(fixture.dir, 'conn.log'), tag: 'conn' };
    writer = new NumberedLineWriter([file]);
    fixture.writeConfig([file]);
    const stateFile = path.join(fixture.workDir, defaultStateFileName(file.path));
    await fixture.startAgent();
    writer.start(5, 20);
    // While the agent ships, read the state file as often as we can: every read must be a whole JSON document
    // and the offset never goes backwards.
    let reads = 0;
    let lastOffset = -1;
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      let text: string;
      try {
        text = fs.readFileSync(stateFile, 'utf8');
      } catch {
        await sleep(1);
        continue;
      }
      const state = JSON.parse(text) as { offset: number };
      expect(state.offset).to.be.at.least(lastOffset);
      lastOffset = state.offset;
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    writer.stop();
    expect(reads, 'state file reads during shipping').to.be.greaterThan(50);
    const written = writer.written();
    await waitUntil(() => allArrived(written, fixture.tally()), 20_000, () => describeReport(deliveryReport(written, fixture.tally())));
    expect(await fixture.agent!.stop()).to.equal(0);

    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    const st = fs.statSync(file.path);
    const head = Buffer.alloc(256);
    const fd = fs.openSync(file.path, 'r');
    fs.readSync(fd, head, 0, 256, 0);
    fs.closeSync(fd);
    expect(state).to.include({
      version: 1, path: file.path, dev: st.dev, ino: st.ino,
      fingerprint: createHash('sha256').update(head).digest('hex'),
      offset: st.size, // everything was delivered, so the confirmed offset is the end of the file
    });
    const leftovers = fs.readdirSync(fixture.workDir).filter((n) => n.endsWith('.tmp'));
    expect(leftovers, 'temp files left behind').to.deep.equal([]);
  });
});
