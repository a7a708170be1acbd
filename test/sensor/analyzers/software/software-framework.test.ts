// The software and notice frameworks on their own: Zeek's tracking rules (once per host and version a day, a new
// version of the same software logged again, local hosts only by default), the vulnerable-version notice with Zeek's
// msg and sub (the three hosts of Zeek's own vulnerable.zeek test), notice suppression by identifier, and the
// vulnerable-software table's syntax with `file:line:` errors.

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import type { LogSchema } from '../../../../sensor/logs/log-schema';
import { noticeFramework } from '../../../../sensor/analyzers/notice/notice-framework';
import { NoticeInfo, noticeLog } from '../../../../sensor/analyzers/notice/notice-log';
import { SharedState } from '../../../../sensor/analyzers/shared-state';
import {
  configureSoftware, DEFAULT_VULNERABLE_SOFTWARE, softwareFramework,
} from '../../../../sensor/analyzers/software/software-framework';
import { SoftwareInfo, softwareLog } from '../../../../sensor/analyzers/software/software-log';
import {
  parseVulnerableSoftware, VulnerableSoftwareConfigError,
} from '../../../../sensor/analyzers/software/vulnerable-software';
import { REPO_ROOT } from '../../../helpers/fixture-paths';

/** A sink that keeps the rows each log got, at a network time the test moves. */
class Sink {
  readonly shared = new SharedState();
  readonly software: SoftwareInfo[] = [];
  readonly notices: NoticeInfo[] = [];
  now = 1_000_000;
  constructor() {
    this.shared.advanceTime(this.now);
  }
  get networkTimeMicros(): number {
    return this.now * 1e6;
  }
  log<R>(schema: LogSchema<R>, record: R): void {
    if (schema === (softwareLog as unknown)) this.software.push(record as unknown as SoftwareInfo);
    else if (schema === (noticeLog as unknown)) this.notices.push(record as unknown as NoticeInfo);
    else throw new Error(`unexpected log ${schema.path}`);
  }
  at(seconds: number): this {
    this.now = seconds;
    this.shared.advanceTime(seconds);
    return this;
  }
}

function browser(sink: Sink, host: string, ua: string): boolean {
  return softwareFramework(sink.shared).found(sink, { host, unparsedVersion: ua, softwareType: 'HTTP::BROWSER' });
}

describe('software framework (Software::found / register) and notice framework', () => {
  it('logs a software once per host and version, a new version again, and again after a day', () => {
    const s = new Sink();
    browser(s, '10.0.0.1', 'Java/1.8.0_402');
    browser(s, '10.0.0.1', 'Java/1.8.0_402');
    s.at(s.now + 700); // past the 10 min found cache: the per-host tracking still knows it
    browser(s, '10.0.0.1', 'Java/1.8.0_402');
    browser(s, '10.0.0.2', 'Java/1.8.0_402');
    browser(s, '10.0.0.1', 'Java/1.8.0_411');
    browser(s, '10.0.0.1', 'Java/1.8.0_402'); // seen before on this host: not logged again
    expect(s.software.map((r) => `${r.host} ${r.unparsedVersion}`)).to.deep.equal([
      '10.0.0.1 Java/1.8.0_402', '10.0.0.2 Java/1.8.0_402', '10.0.0.1 Java/1.8.0_411',
    ]);
    s.at(s.now + 86_400);
    browser(s, '10.0.0.1', 'Java/1.8.0_402');
    expect(s.software).to.have.length(4);
    expect(s.notices).to.deep.equal([]);
  });

  it('tracks local hosts only by default (the run\'s local networks), all hosts when asked', () => {
    const s = new Sink();
    expect(browser(s, '8.8.8.8', 'curl/7.88.1')).to.equal(false);
    expect(browser(s, '192.168.1.5', 'curl/7.88.1')).to.equal(true);
    s.shared.localNets = LocalNetworks.parse('8.8.8.0/24', 'test', { includePrivateAddressSpace: false });
    expect(browser(s, '8.8.8.9', 'curl/7.88.1')).to.equal(true);
    expect(browser(s, '192.168.1.6', 'curl/7.88.1')).to.equal(false);
    configureSoftware(s.shared, { assetTracking: 'ALL_HOSTS' });
    expect(browser(s, '192.168.1.6', 'curl/7.88.1')).to.equal(true);
    expect(s.software.map((r) => r.host)).to.deep.equal(['192.168.1.5', '8.8.8.9', '192.168.1.6']);
  });

  it("raises Software::Vulnerable_Version as Zeek's vulnerable.zeek test does (1.7.0.15 and 1.6.0.43 in range, 1.6.0.50 not)", () => {
    const s = new Sink();
    configureSoftware(s.shared, {
      assetTracking: 'ALL_HOSTS',
      vulnerable: parseVulnerableSoftware('Java max=1.6.0.43\nJava min=1.7 max=1.7.0.20\n', 'zeek-test'),
    });
    const fw = softwareFramework(s.shared);
    for (const [host, minor, minor3] of [['1.2.3.4', 7, 15], ['1.2.3.5', 6, 43], ['1.2.3.6', 6, 50]] as const) {
      fw.found(s, { host, name: 'Java', version: { major: 1, minor, minor2: 0, minor3 }, softwareType: 'Software::UNKNOWN' });
    }
    expect(s.notices.map((n) => [n.note, n.msg, n.sub, n.src, n.uid, n.actions, n.suppressFor])).to.deep.equal([
      ['Software::Vulnerable_Version', '1.2.3.4 is running Java 1.7.0.15 which is vulnerable.', 'Java 1.7.0.15', '1.2.3.4',
        undefined, ['Notice::ACTION_LOG'], 3600],
      ['Software::Vulnerable_Version', '1.2.3.5 is running Java 1.6.0.43 which is vulnerable.', 'Java 1.6.0.43', '1.2.3.5',
        undefined, ['Notice::ACTION_LOG'], 3600],
    ]);
  });

  it('by default notices a client on Java up to 1.7.0_10 and not one after it', () => {
    const s = new Sink();
    for (const ua of ['Java/1.7.0_09', 'Java/1.7.0_10', 'Java/1.7.0_11', 'Java/1.8.0_402', 'Mozilla/4.0 (Windows 7 6.1) Java/1.6.0_31']) {
      browser(s, '10.1.1.1', ua);
    }
    expect(s.software).to.have.length(5);
    expect(s.notices.map((n) => n.sub)).to.deep.equal(['Java 1.7.0.9', 'Java 1.7.0.10', 'Java 1.6.0.31']);
  });

  it('suppresses a notice with an identifier for suppress_for seconds of network time, never one without', () => {
    const s = new Sink();
    const notices = noticeFramework(s.shared);
    const raise = () => notices.raise(s, { note: 'Test::Note', msg: 'm', identifier: 'x' });
    expect(raise()).to.equal(true);
    s.at(s.now + 3599);
    expect(raise()).to.equal(false);
    s.at(s.now + 2);
    expect(raise()).to.equal(true);
    expect(notices.raise(s, { note: 'Test::Note', msg: 'no id' })).to.equal(true);
    expect(notices.raise(s, { note: 'Test::Note', msg: 'no id' })).to.equal(true);
    expect(notices.raise(s, { note: 'Test::Other', identifier: 'x', suppressFor: 0 })).to.equal(true);
    expect(notices.raise(s, { note: 'Test::Other', identifier: 'x', suppressFor: 0 })).to.equal(true);
    expect(s.notices).to.have.length(6);
    expect(notices.suppressed).to.equal(1);
  });

  it('fills uid, id, dst, p and proto from the connection a notice is about', () => {
    const s = new Sink();
    noticeFramework(s.shared).raise(s, {
      note: 'Test::Conn',
      conn: { uid: 'C1', proto: 'tcp', origAddr: '10.0.0.1', origPort: 5555, respAddr: '10.0.0.2', respPort: 80 },
    });
    expect(s.notices[0]).to.deep.include({ uid: 'C1', src: '10.0.0.1', dst: '10.0.0.2', p: 80, proto: 'tcp' });
  });
});

describe('vulnerable software table (conf.d/vulnerable-software.cfg)', () => {
  it('the shipped file is the built-in default: Java up to 1.7.0.10', () => {
    const file = path.join(REPO_ROOT, 'conf.d', 'vulnerable-software.cfg');
    expect(parseVulnerableSoftware(fs.readFileSync(file, 'utf8'), file)).to.deep.equal(DEFAULT_VULNERABLE_SOFTWARE);
    expect([...DEFAULT_VULNERABLE_SOFTWARE]).to.deep.equal([['Java', [{ max: { major: 1, minor: 7, minor2: 0, minor3: 10 } }]]]);
  });

  it('reads quoted names, min and max in any order, addl, comments', () => {
    const t = parseVulnerableSoftware('# c\n"Apple Mail"  max=2.1084 # old\nFlash max=11.5.502.146  min=11\nwu max=2.6.2-1\n', 'f');
    expect([...t]).to.deep.equal([
      ['Apple Mail', [{ max: { major: 2, minor: 1084 } }]],
      ['Flash', [{ min: { major: 11 }, max: { major: 11, minor: 5, minor2: 502, minor3: 146 } }]],
      ['wu', [{ max: { major: 2, minor: 6, minor2: 2, addl: '1' } }]],
    ]);
  });

  it('names the file and line of each mistake', () => {
    const bad: [string, string][] = [
      ['Java\n', 'f.cfg:1: Java: no max=VERSION'],
      ['\nJava max=1.7.x\n', 'f.cfg:2: max: "1.7.x" is not a version'],
      ['Java max=1 max=2\n', 'f.cfg:1: max given twice'],
      ['Java upto=1.7\n', 'f.cfg:1: "upto=1.7": expected min=VERSION or max=VERSION'],
      ['"Apple Mail max=2\n', 'f.cfg:1: the quoted software name has no closing "'],
    ];
    for (const [text, message] of bad) {
      expect(() => parseVulnerableSoftware(text, 'f.cfg'), text).to.throw(VulnerableSoftwareConfigError, message);
    }
  });
});

describe('software framework memory bound', () => {
  it('100,000 local hosts with distinct 1 KB user agents stay within the budget (heap measured after GC)', () => {
    // A child with --expose-gc, so the heap is measured after collection: the tables hold what they keep, no more.
    const script = `
      const { SharedState } = require(${JSON.stringify(require.resolve('../../../../sensor/analyzers/shared-state'))});
      const sw = require(${JSON.stringify(require.resolve('../../../../sensor/analyzers/software/software-framework'))});
      const shared = new SharedState();
      shared.advanceTime(1e9);
      sw.configureSoftware(shared, { memoryBudgetBytes: 8 * 1024 * 1024 });
      let rows = 0;
      const sink = { shared, networkTimeMicros: 1e15, log() { rows++; } };
      const fw = sw.softwareFramework(shared);
      global.gc();
      const before = process.memoryUsage().heapUsed;
      const pad = 'x'.repeat(1000);
      for (let i = 0; i < 100000; i++) {
        fw.found(sink, { host: '10.' + (i >> 16) + '.' + ((i >> 8) & 255) + '.' + (i & 255),
          unparsedVersion: 'Agent' + i + '/1.' + (i % 100) + ' ' + pad, softwareType: 'HTTP::BROWSER' });
      }
      global.gc();
      const grown = process.memoryUsage().heapUsed - before;
      console.log(JSON.stringify({ rows, grown, trackedBytes: fw.trackedBytes, cacheBytes: fw.cacheBytes,
        evicted: fw.evictedHosts }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { rows: number; grown: number; trackedBytes: number; cacheBytes: number; evicted: number };
    expect(r.rows).to.equal(100_000);
    expect(r.trackedBytes).to.be.at.most(4 * 1024 * 1024 + 2000);
    expect(r.cacheBytes).to.be.at.most(2 * 1024 * 1024);
    expect(r.evicted).to.be.greaterThan(90_000);
    // Unbounded, the tables would hold about 200 MB of these strings.
    expect(r.grown, `heap grew ${r.grown} bytes`).to.be.below(24 * 1024 * 1024);
  });
});
