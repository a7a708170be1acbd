// The software and notice frameworks against Zeek's own policy-script tests (test/fixtures/zeek-policy-cases): the
// flash-version trace through the sensor with Zeek's test settings (all hosts, browser plugins) must give Zeek's
// software.log row for row and field for field; Zeek's vulnerable.zeek test, replayed through the frameworks and the
// zeek-profile writer, must give Zeek's notice.log (header lines and every column but the masked time).

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import type { LogSchema } from '../../../../sensor/logs/log-schema';
import { SharedState } from '../../../../sensor/analyzers/shared-state';
import { shippedRegistry } from '../../../../sensor/analyzers/shipped-analyzers';
import { configureSoftware, SoftwareSettings, softwareFramework } from '../../../../sensor/analyzers/software/software-framework';
import { parseVulnerableSoftware } from '../../../../sensor/analyzers/software/vulnerable-software';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { compareLog } from '../../conformance/log-comparison';
import { readZeekLog } from '../../logs/zeek-log-reader';
import { FIXTURES_DIR } from '../../../helpers/fixture-paths';

const CASES = path.join(FIXTURES_DIR, 'zeek-policy-cases');

async function runFlashCase(dir: string, settings: Partial<SoftwareSettings>): Promise<void> {
  const registry = shippedRegistry();
  configureSoftware(registry.shared, settings);
  await new SensorPipeline({
    source: openCaptureFile(path.join(CASES, 'policy-http-flash-version', 'flash-version.pcap')),
    logs: new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' }),
    localNets: LocalNetworks.zeekDefault(),
    analyzers: registry,
  }).run();
}

/** Zeek's header lines of a log, without the #open/#close times. */
function headerLines(file: string): string[] {
  return fs.readFileSync(file, 'latin1').split('\n').filter((l) => l.startsWith('#') && !/^#(open|close)/.test(l));
}

describe("software.log and notice.log against Zeek's policy-script tests", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-software-zeek-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("flash-version.pcap (all hosts, browser plugins): Zeek's 3 software.log rows, every field", async () => {
    const dir = path.join(tmp, 'flash');
    await runFlashCase(dir, { assetTracking: 'ALL_HOSTS', browserPlugins: true });
    const expectedFile = path.join(CASES, 'policy-http-flash-version', 'expected-software.log');
    const expected = readZeekLog(expectedFile);
    const produced = readZeekLog(path.join(dir, 'software.log'));
    const cmp = compareLog('software.log', expected, produced);
    expect([cmp.expectedRows, cmp.producedRows, cmp.matchedRows]).to.deep.equal([3, 3, 3]);
    expect(cmp.missingColumns).to.deep.equal([]);
    for (const [name, score] of cmp.columns) expect(score.matched, name).to.equal(3);
    expect(headerLines(path.join(dir, 'software.log')).slice(1)).to.deep.equal(headerLines(expectedFile).slice(2));
  });

  it('flash-version.pcap with the defaults: the local browser only, no plugin (Zeek local.zeek loads no browser-plugins script)', async () => {
    const dir = path.join(tmp, 'flash-default');
    await runFlashCase(dir, {});
    const rows = readZeekLog(path.join(dir, 'software.log')).rows;
    expect(rows.map((r) => `${r.get('host')} ${r.get('software_type')} ${r.get('name')}`)).to.deep.equal([
      '192.168.2.76 HTTP::BROWSER AdobeAIR',
    ]);
  });

  it("vulnerable.zeek's three Java hosts: Zeek's notice.log, header and rows", () => {
    const dir = path.join(tmp, 'vulnerable');
    const logs = new LogWriterSet({ dir, profile: 'zeek', format: 'ascii' });
    const shared = new SharedState();
    shared.advanceTime(1_700_000_000);
    configureSoftware(shared, {
      assetTracking: 'ALL_HOSTS',
      vulnerable: parseVulnerableSoftware('Java max=1.6.0.43\nJava min=1.7 max=1.7.0.20\n', 'vulnerable.zeek'),
    });
    const sink = {
      shared,
      networkTimeMicros: 1_700_000_000_000_000,
      log<R>(schema: LogSchema<R>, record: R): void {
        logs.write(schema, record);
      },
    };
    for (const [host, minor, minor3] of [['1.2.3.4', 7, 15], ['1.2.3.5', 6, 43], ['1.2.3.6', 6, 50]] as const) {
      softwareFramework(shared).found(sink, { host, name: 'Java', version: { major: 1, minor, minor2: 0, minor3 }, softwareType: 'Software::UNKNOWN' });
    }
    logs.close();
    const expectedFile = path.join(CASES, 'policy-frameworks-software-vulnerable', 'expected-notice.log');
    const expected = readZeekLog(expectedFile);
    const produced = readZeekLog(path.join(dir, 'notice.log'));
    const cmp = compareLog('notice.log', expected, produced);
    expect([cmp.expectedRows, cmp.producedRows, cmp.matchedRows]).to.deep.equal([2, 2, 2]);
    expect(cmp.missingColumns).to.deep.equal([]);
    expect(produced.fields).to.deep.equal(expected.fields);
    for (let i = 0; i < 2; i++) {
      expect(produced.lines[i].split('\t').slice(1), `row ${i}`).to.deep.equal(expected.lines[i].split('\t').slice(1));
    }
    expect(headerLines(path.join(dir, 'notice.log')).slice(1)).to.deep.equal(headerLines(expectedFile).slice(2));
  });
});
