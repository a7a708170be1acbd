// Issue 17 §2: a FIFO (or any non-regular file) at a monitored path must not hang the agent. open(2) of a FIFO
// blocks until a writer comes, and it blocks one of libuv's 4 threads: with one FIFO SIGTERM never completed, with
// four nothing else was read and no status file was written. The agent checks the type without blocking, logs once
// per cause, keeps shipping the other files, stops promptly, and reads the path once a regular file replaces it.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, ShippingFixture } from './shipping-fixture';

describe('agent with a FIFO at a monitored path (real agent, real rsyslog collector)', function () {
  this.timeout(90_000);
  let fixture: ShippingFixture;
  let writer: NumberedLineWriter | undefined;
  beforeEach(() => { fixture = new ShippingFixture('tcp'); });
  afterEach(async () => {
    writer?.close();
    writer = undefined;
    await fixture.cleanup();
  });

  function makeFifos(count: number): Array<{ path: string; tag: string }> {
    const fifos = Array.from({ length: count }, (_, i) => ({ path: path.join(fixture.dir, `pipe${i}.log`), tag: `pipe${i}` }));
    for (const f of fifos) execFileSync('mkfifo', [f.path]);
    return fifos;
  }

  it('one FIFO: the other file still ships, the FIFO is logged once, SIGTERM completes, a regular file replacing it is read', async () => {
    await fixture.startCollector();
    const [fifo] = makeFifos(1);
    const regular = { path: path.join(fixture.dir, 'conn.log'), tag: 'conn' };
    writer = new NumberedLineWriter([regular]);
    writer.append(0, 200);
    fixture.writeConfig([fifo, regular]);
    await fixture.startAgent();
    const written = (): Array<{ tag: string; count: number }> => writer!.written();
    await waitUntil(() => allArrived(written(), fixture.tally()), 20_000, () => describeReport(deliveryReport(written(), fixture.tally())));
    // Several polls (1 s each) later the FIFO has still been reported once.
    writer.append(0, 100);
    await waitUntil(() => allArrived(written(), fixture.tally()), 20_000, () => describeReport(deliveryReport(written(), fixture.tally())));
    await waitUntil(() => fixture.agent!.logTail(1000).split('\n').filter((l) => l.includes('FIFO')).length >= 1, 10_000, () => fixture.agent!.logTail());
    await new Promise((r) => setTimeout(r, 2500));
    const fifoLines = fixture.agent!.logTail(1000).split('\n').filter((l) => l.includes('FIFO'));
    expect(fifoLines, 'log lines about the FIFO').to.have.length(1);
    expect(fifoLines[0]).to.contain(fifo.path).and.contain('not a regular file');

    // A regular file replaces the FIFO: picked up like a file that became readable.
    fs.rmSync(fifo.path);
    fs.writeFileSync(fifo.path, 'pipe0\t000000000\tnow a regular file\n');
    await waitUntil(() => (fixture.tally().get('pipe0')?.counts.get(0) ?? 0) === 1, 20_000, () => fixture.agent!.logTail());

    // stop() throws when SIGTERM does not end the agent within its bound.
    expect(await fixture.agent!.stop(), 'exit code after SIGTERM').to.equal(0);
  });

  it('four FIFOs (libuv\'s whole thread pool): the other file still ships and the status file is written', async () => {
    await fixture.startCollector();
    const fifos = makeFifos(4);
    const regular = { path: path.join(fixture.dir, 'conn.log'), tag: 'conn' };
    writer = new NumberedLineWriter([regular]);
    writer.append(0, 300);
    fixture.writeConfig([...fifos, regular]);
    // start() resolves once the agent wrote its status file (it throws when none comes within its bound).
    await fixture.startAgent();
    const written = writer.written();
    await waitUntil(() => allArrived(written, fixture.tally()), 20_000, () => describeReport(deliveryReport(written, fixture.tally())));
    // The status file is rewritten every 0.5 s (see AgentProcess): wait for one written after every FIFO was looked at.
    const statusFile = path.join(fixture.workDir, 'agent-status.json');
    type Status = { files: Array<{ path: string; state: string; lastError?: string }> };
    const readStatus = (): Status => JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Status;
    await waitUntil(() => fifos.every((f) => readStatus().files.find((s) => s.path === f.path)?.state === 'error'), 20_000,
      () => fs.readFileSync(statusFile, 'utf8'));
    const status = readStatus();
    for (const f of fifos) {
      const entry = status.files.find((s) => s.path === f.path);
      expect(entry?.state, `status of ${f.path}`).to.equal('error');
      expect(entry?.lastError).to.contain('FIFO');
    }
    expect(await fixture.agent!.stop(), 'exit code after SIGTERM').to.equal(0);
  });
});
