// Side by side with real rsyslogd: the SAME rsyslog config is run by rsyslogd (imfile+omfwd) and by `nsm agent`,
// each shipping the same files to its own raw listener; what the two listeners received must be byte-identical
// apart from the timestamp field. Also: the seed rsyslog/60-bro.conf, run unchanged except for paths and port.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { connLogLine } from '../../../bench/agent/conn-log-generator';
import { StreamDeframer } from '../../../agent/transport/framing';
import { makeTempDir, RsyslogdProcess, waitFor } from '../../helpers/rsyslogd-process';
import { AgentProcess } from './agent-process';
import { RawCaptureListener } from './raw-capture-listener';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const MAX_MESSAGE_SIZE = 2048;

type Mode = { name: string; protocol: 'udp' | 'tcp'; framing: 'lf' | 'octet-counted'; actionLine: (port: number) => string };

// Three spellings of the forwarding action, as deployed configs write them.
const MODES: Mode[] = [
  { name: 'UDP (legacy @host:port)', protocol: 'udp', framing: 'lf', actionLine: (p) => `*.* @127.0.0.1:${p}` },
  { name: 'TCP LF framing (legacy @@host:port)', protocol: 'tcp', framing: 'lf', actionLine: (p) => `*.* @@127.0.0.1:${p}` },
  {
    name: 'TCP octet-counted (action(type="omfwd" TCP_Framing=...))', protocol: 'tcp', framing: 'octet-counted',
    actionLine: (p) => `*.* action(type="omfwd" target="127.0.0.1" port="${p}" protocol="tcp" TCP_Framing="octet-counted")`,
  },
];

/** The awkward content both shippers must treat the same way. Returns the number of messages it should produce. */
function writeAwkwardFile(file: string, label: string): number {
  const parts: Buffer[] = [];
  let messages = 0;
  const line = (b: Buffer | string): void => {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
    parts.push(buf, Buffer.from('\n'));
    if (buf.length > 0) messages++;
  };
  for (let i = 0; i < 20; i++) line(connLogLine(i) + `\t${label}`);
  line(` leading space ${label}`);
  line('');
  line('');
  line(`crlf ${label}\r`);
  line(Buffer.concat([Buffer.from(`binary ${label} `), Buffer.from([0x00, 0x01, 0x7f, 0xff, 0xfe, 0xc3, 0x28, 0x09, 0x1b, 0x80])]));
  line('L'.repeat(3000) + 'M'.repeat(2000) + label); // longer than MaxMessageSize
  line(`after long ${label}`);
  parts.push(Buffer.from(`partial ${label} without newline, `));
  fs.writeFileSync(file, Buffer.concat(parts));
  return messages;
}

function shipperConfig(dir: string, workDirectory: string, actionLine: string): string {
  return [
    `global(workDirectory="${workDirectory}" maxMessageSize="${MAX_MESSAGE_SIZE}")`,
    'module(load="imfile" mode="inotify")',
    `input(type="imfile" File="${dir}/conn.log" Tag="bro_conn:" Facility="local7" Severity="info")`,
    // The legacy block form for the second file (with $InputRunFileMonitor, as rsyslog needs it).
    `$InputFileName ${dir}/dns.log`,
    '$InputFileTag bro_dns:',
    '$InputFileStateFile stat-bro_dns',
    '$InputFileSeverity notice',
    '$InputFileFacility local6',
    '$InputRunFileMonitor',
    actionLine,
    '',
  ].join('\n');
}

/** Messages a listener got, deframed the way the mode frames them. */
function receivedMessages(listener: RawCaptureListener, mode: Mode): Buffer[] {
  if (mode.protocol === 'udp') return listener.datagrams.slice();
  const out: Buffer[] = [];
  for (const chunks of listener.streams) {
    const deframer = new StreamDeframer(mode.framing);
    for (const c of chunks) out.push(...deframer.push(c));
  }
  return out;
}

/** Blanks the RFC 3164 timestamp (`Mmm dd hh:mm:ss`, 15 bytes after the PRI): the only field allowed to differ. */
function withoutTimestamp(message: Buffer): string {
  const priEnd = message.indexOf(0x3e); // '>'
  expect(priEnd, `no PRI in ${message.toString('latin1')}`).to.be.within(1, 4);
  const ts = message.toString('latin1', priEnd + 1, priEnd + 16);
  expect(ts, 'traditional timestamp').to.match(/^[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d$/);
  return message.toString('latin1', 0, priEnd + 1) + '<TIMESTAMP>' + message.toString('latin1', priEnd + 16);
}

/** Per tag, in the order sent: two files are read concurrently, so only the order within one file is defined. */
function byTag(messages: Buffer[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of messages) {
    const s = withoutTimestamp(m);
    const tag = /^<\d+><TIMESTAMP> \S+ (\S+)/.exec(s)?.[1] ?? '?';
    out.set(tag, [...(out.get(tag) ?? []), s]);
  }
  return out;
}

describe('agent side by side with rsyslogd (same config, byte compare)', function () {
  this.timeout(60_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await AgentProcess.killAll();
  });

  for (const mode of MODES) {
    it(`sends exactly rsyslog's bytes: ${mode.name}`, async () => {
      const dir = makeTempDir('side-by-side');
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      const expected = writeAwkwardFile(path.join(dir, 'conn.log'), 'c') + writeAwkwardFile(path.join(dir, 'dns.log'), 'd');

      const rsyslogListener = new RawCaptureListener(mode.protocol);
      const nsmListener = new RawCaptureListener(mode.protocol);
      const rsyslogPort = await rsyslogListener.listen();
      const nsmPort = await nsmListener.listen();
      cleanups.push(() => rsyslogListener.close(), () => nsmListener.close());

      const rsyslogDir = path.join(dir, 'rsyslog');
      fs.mkdirSync(path.join(rsyslogDir, 'work'), { recursive: true });
      const rsyslog = RsyslogdProcess.start(rsyslogDir, shipperConfig(dir, path.join(rsyslogDir, 'work'), mode.actionLine(rsyslogPort)));
      cleanups.push(() => rsyslog.stop());

      const nsmDir = path.join(dir, 'nsm');
      fs.mkdirSync(path.join(nsmDir, 'work'), { recursive: true });
      const nsmConfig = path.join(nsmDir, 'nsm.conf');
      fs.writeFileSync(nsmConfig, shipperConfig(dir, path.join(nsmDir, 'work'), mode.actionLine(nsmPort)));
      const agent = new AgentProcess({ configFile: nsmConfig, workDir: path.join(nsmDir, 'work'), logFile: path.join(nsmDir, 'agent.log') });
      await agent.start();

      const both = (n: number) => async (): Promise<void> => {
        await waitFor(`rsyslog: ${n} messages`, () => receivedMessages(rsyslogListener, mode).length >= n, 20_000);
        await waitFor(`nsm: ${n} messages (log: ${agent.logTail(5)})`, () => receivedMessages(nsmListener, mode).length >= n, 20_000);
      };
      await both(expected)();
      // Complete the held-back last lines; only now may they be sent.
      for (const f of ['conn.log', 'dns.log']) fs.appendFileSync(path.join(dir, f), `completed later\nlast ${f}\n`);
      await both(expected + 4)();
      await new Promise((r) => setTimeout(r, 500)); // room for any extra (wrong) message to show up

      const fromRsyslog = receivedMessages(rsyslogListener, mode);
      const fromNsm = receivedMessages(nsmListener, mode);
      expect(fromRsyslog.length, 'rsyslog message count').to.equal(expected + 4);
      expect(fromNsm.length, 'nsm message count').to.equal(fromRsyslog.length);
      const r = byTag(fromRsyslog);
      const n = byTag(fromNsm);
      expect([...n.keys()].sort()).to.deep.equal([...r.keys()].sort());
      for (const [tag, msgs] of r) expect(n.get(tag), `messages of ${tag}`).to.deep.equal(msgs);
      // The cases that matter, spelled out (rsyslog's behaviour, so nsm's too):
      const conn = r.get('bro_conn:')!;
      expect(conn.some((m) => m.endsWith('bro_conn: leading space c'))).to.equal(true);
      expect(conn.some((m) => m.endsWith('bro_conn: partial c without newline, completed later'))).to.equal(true);
      const long = fromNsm.find((m) => m.includes(Buffer.from('LLLLLLLL')))!;
      expect(long.length, 'a long line is cut to MaxMessageSize').to.equal(MAX_MESSAGE_SIZE);
      expect(fromNsm.some((m) => m.includes(Buffer.from('MMMMMMMM'))), 'the rest of a long line is dropped').to.equal(false);
      expect(fromNsm.some((m) => m.includes(Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x09, 0x1b, 0x80]))), 'binary bytes pass untouched').to.equal(true);
      expect(fromNsm.filter((m) => m.toString('latin1').startsWith('<181>')).length, 'local6.notice PRI').to.equal(expected / 2 + 2);

      expect(await agent.stop()).to.equal(0);
    });
  }

  it('runs the seed rsyslog/60-bro.conf (paths and port changed only): every tagged line arrives; rsyslogd ships none', async () => {
    const dir = makeTempDir('seed-config');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const current = path.join(dir, 'logs', 'current');
    fs.mkdirSync(current, { recursive: true });
    const seed = fs.readFileSync(path.join(PROJECT_ROOT, 'rsyslog', '60-bro.conf'), 'utf8');
    const files = [...seed.matchAll(/^\$InputFileName (\S+)$/gm)].map((m) => path.basename(m[1]));
    const tags = [...seed.matchAll(/^\$InputFileTag (\S+)$/gm)].map((m) => m[1]);
    expect(files).to.have.length(14);
    expect(tags).to.have.length(14);
    const linesPerFile = 5;
    files.forEach((f, i) => {
      let text = '#separator \\x09\n';
      for (let k = 0; k < linesPerFile; k++) text += `${connLogLine(i * 100 + k)}\t${f}\n`;
      fs.writeFileSync(path.join(current, f), text);
    });

    const nsmListener = new RawCaptureListener('tcp');
    const rsyslogListener = new RawCaptureListener('tcp');
    const nsmPort = await nsmListener.listen();
    const rsyslogPort = await rsyslogListener.listen();
    cleanups.push(() => nsmListener.close(), () => rsyslogListener.close());
    const configFor = (work: string, port: number): string => seed
      .replaceAll('/usr/local/bro/logs/current', current)
      .replace('$WorkDirectory /var/spool/rsyslog', `$WorkDirectory ${work}`)
      .replace('@@127.0.0.1:514', `@@127.0.0.1:${port}`);

    const rsyslogDir = path.join(dir, 'rsyslog');
    fs.mkdirSync(path.join(rsyslogDir, 'work'), { recursive: true });
    const rsyslog = RsyslogdProcess.start(rsyslogDir, configFor(path.join(rsyslogDir, 'work'), rsyslogPort));
    cleanups.push(() => rsyslog.stop());

    const nsmWork = path.join(dir, 'nsm-work');
    fs.mkdirSync(nsmWork);
    const nsmConfig = path.join(dir, '60-bro.conf');
    fs.writeFileSync(nsmConfig, configFor(nsmWork, nsmPort));
    const agent = new AgentProcess({ configFile: nsmConfig, workDir: nsmWork, logFile: path.join(dir, 'agent.log') });
    await agent.start();

    const want = files.length * (linesPerFile + 1);
    const got = (): Buffer[] => receivedMessages(nsmListener, MODES[1]);
    await waitFor(`${want} messages from nsm`, () => got().length >= want, 20_000);
    const perTag = new Map<string, number>();
    for (const m of got()) {
      const tag = /^<190>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+)/.exec(m.toString('latin1'))?.[1] ?? `unparsed: ${m.toString('latin1', 0, 60)}`;
      perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
    }
    expect(Object.fromEntries(perTag)).to.deep.equal(Object.fromEntries(tags.map((t) => [t, linesPerFile + 1])));
    // nsm warns, with file:line, about what rsyslog silently ignores.
    expect(agent.stderrText()).to.match(/60-bro\.conf:\d+: warning: .*InputFilePollingInterval/);
    expect(agent.stderrText()).to.match(/60-bro\.conf:\d+: warning: .*InputRunFileMonitor/);
    // rsyslogd 8 with the same config monitors nothing (no $InputRunFileMonitor): the reason nsm exists.
    expect(rsyslog.alive).to.equal(true);
    expect(rsyslogListener.tcpBytes().length, 'bytes rsyslogd shipped').to.equal(0);
    expect(rsyslog.output).to.include('no files configured to be monitored');
    expect(await agent.stop()).to.equal(0);
  });
});
