// End to end with a JSON config: `nsm agent -f agent.json` ships a file's lines to a real rsyslogd collector
// with the facility, severity, tag, hostname and framing the JSON names, and refuses a broken JSON config.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { AgentProcess, NSM_BIN, waitUntil } from '../integration/agent-process';
import { RawCaptureListener } from '../integration/raw-capture-listener';

/** Splits an octet-counted stream (`LEN SP MSG`...); throws at the first byte that is not a frame. */
function octetCountedFrames(stream: Buffer): string[] {
  const frames: string[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    const lengthText = space < 0 ? '' : stream.subarray(at, space).toString('latin1');
    if (!/^[1-9]\d*$/.test(lengthText)) throw new Error(`no frame length at byte ${at}`);
    const length = Number(lengthText);
    frames.push(stream.subarray(space + 1, space + 1 + length).toString('latin1'));
    at = space + 1 + length;
  }
  return frames;
}

describe('nsm agent -f FILE.json (real collector)', function () {
  this.timeout(60_000);
  const dir = makeTempDir('json-agent');
  let collector: SyslogCollector | undefined;
  const raw = new RawCaptureListener('tcp');
  after(async () => {
    await AgentProcess.killAll();
    await collector?.stop();
    await raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ships existing and appended lines as local7.info with the JSON tag and hostname, to each action in its framing', async () => {
    collector = await SyslogCollector.start({ protocol: 'tcp' });
    const rawPort = await raw.listen();
    const workDir = path.join(dir, 'work');
    fs.mkdirSync(workDir);
    const log = path.join(dir, 'conn.log');
    fs.writeFileSync(log, 'first line\nsecond\tline\n');
    const configFile = path.join(dir, 'agent.json');
    fs.writeFileSync(configFile, JSON.stringify({
      workDirectory: workDir,
      watchMode: 'inotify',
      pollIntervalSeconds: 1,
      hostname: 'jsonhost',
      files: [{ path: log, tag: 'bro_conn:', facility: 'local7', severity: 'info' }],
      actions: [
        { selector: 'local7.*', protocol: 'tcp', host: '127.0.0.1', port: collector.port },
        { selector: '*.info', protocol: 'tcp', host: '127.0.0.1', port: rawPort, framing: 'octet-counted' },
      ],
    }, null, 2));
    const agent = new AgentProcess({ configFile, workDir, logFile: path.join(dir, 'agent.log') });
    await agent.start();
    fs.appendFileSync(log, 'third line\n');
    const messages = (await collector.waitForMessages(3)).map((m) => m.toString('latin1'));
    await waitUntil(() => raw.tcpBytes().toString('latin1').includes('third line'), 20_000, () => `octet-counted copy: ${JSON.stringify(raw.tcpBytes().toString('latin1'))}`);
    expect(await agent.stop()).to.equal(0);
    expect(octetCountedFrames(raw.tcpBytes())).to.deep.equal(messages);
    expect(messages).to.have.length(3);
    ['first line', 'second\tline', 'third line'].forEach((line, i) => {
      // local7.info = 23 * 8 + 6 = 190; RFC 3164 timestamp, then the configured hostname and tag.
      expect(messages[i]).to.match(/^<190>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d jsonhost bro_conn: ?/);
      expect(messages[i].endsWith(line), messages[i]).to.equal(true);
    });
    expect(agent.stderrText()).to.equal('');
  });

  it('refuses a broken JSON config with file:line before starting (exit 2)', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{\n  "files": [{ "path": "/a.log", "tag": "a:" }],\n  "actions": [{ "selector": "local7.*", "protocol": "tcp", "host": "h", "port": 99999 }]\n}\n');
    const r = spawnSync(process.execPath, [NSM_BIN, 'agent', '-f', bad, '--work-dir', path.join(dir, 'w-bad')], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include(`${bad}:3: error: actions[0].port: 99999 is more than the maximum 65535`);
    expect(r.stderr).to.include('not starting');
  });
});
