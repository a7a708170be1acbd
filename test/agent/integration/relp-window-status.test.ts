// The RELP window from the config at work, and what the status file says about it: an agent configured with omrelp
// windowSize="4" delivers everything to real rsyslog imrelp and never has more than 4 messages unacknowledged; the
// status file shows the batches in flight against the transport's limit and how full the RELP window is.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { parseAgentConfigText } from '../../../agent/config/config-loader';
import { prepareWorkDirectory } from '../../../agent/config/work-directory';
import { FileServer, type ActionStatus } from '../../../agent/file-server';
import { StatusReporter, type AgentStatusSnapshot } from '../../../agent/status';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { FakeRelpServer } from '../transport/fake-relp-server';
import { waitUntil } from './agent-process';
import { NumberedLineWriter } from './numbered-line-writer';
import { allArrived, deliveryReport, describeReport, expectExactlyOnceInOrder, ShippingFixture } from './shipping-fixture';

function readStatus(file: string): AgentStatusSnapshot | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as AgentStatusSnapshot;
  } catch {
    return undefined; // not written yet (each write is atomic, so never half a file)
  }
}

describe('RELP window from the config, and batches in flight in the status file', function () {
  this.timeout(60_000);

  describe('agent with omrelp windowSize="4" against rsyslog imrelp', () => {
    let fixture: ShippingFixture;
    let writer: NumberedLineWriter | undefined;
    afterEach(async () => {
      writer?.close();
      await fixture.cleanup();
    });

    it('delivers every line once, in order, never more than 4 unacknowledged; the status file shows the window', async () => {
      fixture = new ShippingFixture('relp');
      await fixture.startCollector();
      const files = [{ path: path.join(fixture.dir, 'conn.log'), tag: 'conn' }];
      writer = new NumberedLineWriter(files);
      fixture.writeConfig(files, { actionParams: 'windowSize="4"' });
      await fixture.startAgent();
      const statusFile = path.join(fixture.workDir, 'agent-status.json');
      // Bursts larger than a batch (500), so with the default window 128 frames would be written at once.
      for (let i = 0; i < 4; i++) writer.append(0, 600);
      const written = writer.written();
      // Every snapshot written meanwhile (every 0.5 s) must keep the limits.
      const seen: ActionStatus[] = [];
      await waitUntil(() => {
        const s = readStatus(statusFile)?.actions[0];
        if (s) seen.push(s);
        return allArrived(written, fixture.tally());
      }, 40_000, () => describeReport(deliveryReport(written, fixture.tally())));
      expect(await fixture.agent!.stop()).to.equal(0);
      expectExactlyOnceInOrder(written, fixture.tally());

      const last = readStatus(statusFile);
      expect(last?.state).to.equal('stopped');
      const action = last!.actions[0];
      expect(action.name).to.equal(`relp://127.0.0.1:${fixture.port}`);
      expect(action.delivered).to.equal(2400);
      expect({ batchesInFlight: action.batchesInFlight, maxBatchesInFlight: action.maxBatchesInFlight }).to.deep.equal({ batchesInFlight: 0, maxBatchesInFlight: 2 });
      // The window filled (4 written before any acknowledgement came back) and was never exceeded.
      expect(action.relp).to.deep.equal({ window: 4, unacknowledged: 0, mostUnacknowledged: 4 });
      expect(seen.length, 'status snapshots read while sending').to.be.above(0);
      for (const s of seen) {
        expect(s.relp?.window).to.equal(4);
        expect(s.relp?.mostUnacknowledged).to.be.at.most(4);
        expect(s.batchesInFlight).to.be.at.most(s.maxBatchesInFlight);
      }
    });
  });

  describe('status file while a collector withholds acknowledgements', () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
    });

    it('shows 2 of 2 batches in flight and a full window for RELP, at most 16 for TCP (it waits for TCP acknowledgements), then 0 once acknowledged', async () => {
      const dir = makeTempDir('relp-status');
      cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      const relp = await FakeRelpServer.start();
      cleanup.push(() => relp.stop());
      const tcp = await SyslogCollector.start({ protocol: 'tcp' });
      cleanup.push(() => tcp.stop());

      const workDir = path.join(dir, 'work');
      const logFile = path.join(dir, 'conn.log');
      const lines = 1200; // more than two batches of 500
      fs.writeFileSync(logFile, Array.from({ length: lines }, (_, i) => `conn\t${String(i).padStart(9, '0')}\tx`).join('\n') + '\n');
      const config = parseAgentConfigText([
        `global(workDirectory="${workDir}")`,
        'module(load="imfile" mode="inotify" PollingInterval="1")',
        `input(type="imfile" File="${logFile}" Tag="conn:" Facility="local7" Severity="info")`,
        `local7.* action(type="omrelp" target="127.0.0.1" port="${relp.port}" windowSize="3")`,
        `local7.* action(type="omfwd" target="127.0.0.1" port="${tcp.port}" protocol="tcp")`,
        '',
      ].join('\n'), 'agent.conf', { defaultWorkDirectory: workDir, checkWorkDirectory: false });
      expect(config.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      prepareWorkDirectory(workDir);
      const server = new FileServer({ config, logger: silentLogger });
      const reporter = new StatusReporter(workDir, 'h', () => server.status(), silentLogger, 100);
      server.start();
      reporter.start();
      cleanup.push(async () => {
        await server.stop();
        await reporter.stop();
      });
      const statusFile = reporter.file;
      const actions = (): ActionStatus[] => readStatus(statusFile)?.actions ?? [];

      await waitFor('two RELP batches in flight in the status file', () => actions()[0]?.batchesInFlight === 2, 20_000);
      const held = actions();
      expect(held[0]).to.deep.include({ name: `relp://127.0.0.1:${relp.port}`, batchesInFlight: 2, maxBatchesInFlight: 2, delivered: 0 });
      expect(held[0].relp).to.deep.equal({ window: 3, unacknowledged: 3, mostUnacknowledged: 3 });
      expect(relp.received, 'the collector got exactly a window').to.have.length(3);
      expect(held[1]).to.deep.include({ name: `tcp://127.0.0.1:${tcp.port}`, maxBatchesInFlight: 16 });
      expect(held[1].batchesInFlight).to.be.at.most(16);
      expect(held[1]).to.not.have.property('relp');

      relp.autoAck = true;
      relp.ack();
      await waitFor('everything delivered in the status file', () => actions()[0]?.delivered === lines && actions()[1]?.delivered === lines, 20_000);
      const done = actions();
      expect(done.map((a) => a.batchesInFlight)).to.deep.equal([0, 0]);
      expect(done[0].relp).to.deep.equal({ window: 3, unacknowledged: 0, mostUnacknowledged: 3 });
      expect(relp.maxUnacknowledged).to.equal(3);
      expect(relp.received).to.have.length(lines);
      expect((await tcp.waitForMessages(lines)).length).to.equal(lines);
    });
  });
});
