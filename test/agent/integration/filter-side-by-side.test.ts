// Filters side by side with real rsyslogd: the SAME config with property filters, `~`, `& stop`, if/else blocks, a
// selector block and `stop` is run by rsyslogd (imfile+omfwd) and by `nsm agent` on the same files; each shipper sends to three
// listeners of its own (one per action), and what each pair of listeners received must be byte-identical apart from
// the timestamp. Also: a line every filter drops still moves the file's checkpoint.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { defaultStateFileName } from '../../../agent/config/state-file-name';
import { StreamDeframer } from '../../../agent/transport/framing';
import { makeTempDir, RsyslogdProcess, waitFor } from '../../helpers/rsyslogd-process';
import { AgentProcess } from './agent-process';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
import { RawCaptureListener } from './raw-capture-listener';

/** A Bro log: the nine header lines, rows, and rows the filters below pick out. */
function broLog(name: string): string {
  const rows = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${name}`,
    '#open\t2026-12-03-20-00-00', '#fields\tts\tuid\tid.orig_h', '#types\ttime\tstring\taddr',
  ];
  for (let i = 0; i < 12; i++) rows.push(`1358985600.${i}\tC${name}${i}\t10.0.0.${i}`);
  rows.push(`1358985601.0\tCalert\tALERT in ${name}`, ` leading space in ${name}`, `drop-me ${name}`, `keep ${name}`, 'x\x00#after nul');
  // Longer than $MaxMessageSize (8096): rsyslog's filters see only its first 8096 bytes, so not this ALERT.
  rows.push(`${'L'.repeat(8100)} ALERT`);
  rows.push('#close\t2026-12-03-21-00-00');
  return rows.join('\n') + '\n';
}

/** The filter program, as one rsyslog config both shippers run; `ports` are the shipper's own three listeners. */
function filterConfig(dir: string, work: string, ports: number[]): string {
  return [
    `global(workDirectory="${work}")`,
    'module(load="imfile" mode="inotify")',
    `input(type="imfile" File="${dir}/conn.log" Tag="bro_conn:" Facility="local7" Severity="info")`,
    `$InputFileName ${dir}/dns.log`,
    '$InputFileTag bro_dns:',
    '$InputFileStateFile stat-bro_dns',
    '$InputFileSeverity notice',
    '$InputFileFacility local6',
    '$InputRunFileMonitor',
    '# Bro header lines never leave; lines with drop-me are discarded the old way.',
    ':msg, startswith, "#" stop',
    ':msg, contains, "drop-me" ~',
    'if $programname == "bro_dns" and not ($msg contains "keep" or $msg contains "C") then stop',
    `local7.* @@127.0.0.1:${ports[0]}`,
    'local6.* {',
    `  :msg, contains, "keep" @@127.0.0.1:${ports[0]}`,
    '}',
    `if $msg contains_i "alert" then {`,
    `  action(type="omfwd" target="127.0.0.1" port="${ports[1]}" protocol="tcp" TCP_Framing="octet-counted")`,
    '  stop',
    `} else if $msg startswith " " then action(type="omfwd" target="127.0.0.1" port="${ports[1]}" protocol="tcp" TCP_Framing="octet-counted")`,
    `:msg, !ereregex, "^[0-9]+\\\\.[0-9]+" @@127.0.0.1:${ports[2]}`,
    '& stop',
    `*.* @@127.0.0.1:${ports[2]}`,
    '',
  ].join('\n');
}

function messages(listener: RawCaptureListener, framing: 'lf' | 'octet-counted'): Buffer[] {
  const out: Buffer[] = [];
  for (const chunks of listener.streams) {
    const deframer = new StreamDeframer(framing);
    for (const c of chunks) out.push(...deframer.push(c));
  }
  return out;
}

/** Per tag, in order, with the RFC 3164 timestamp blanked (the one field allowed to differ). */
function byTag(msgs: Buffer[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of msgs) {
    const s = m.toString('latin1');
    const blanked = s.replace(/^(<\d+>)[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d /, '$1<TIMESTAMP> ');
    expect(blanked, `timestamp in ${s}`).not.to.equal(s);
    const tag = /^<\d+><TIMESTAMP> \S+ (\S+)/.exec(blanked)?.[1] ?? '?';
    (out[tag] ??= []).push(blanked);
  }
  return out;
}

describe('filters side by side with rsyslogd (same config, byte compare per action)', function () {
  this.timeout(90_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await AgentProcess.killAll();
  });

  /** Starts rsyslogd and nsm on the same config (`configFor` gives each its work directory and ports); returns nsm. */
  async function startBoth(dir: string, name: string, configFor: (work: string, side: 'rsyslog' | 'nsm') => string): Promise<AgentProcess> {
    const rsyslogDir = path.join(dir, 'rsyslog');
    fs.mkdirSync(path.join(rsyslogDir, 'work'), { recursive: true });
    const rsyslog = RsyslogdProcess.start(rsyslogDir, configFor(path.join(rsyslogDir, 'work'), 'rsyslog'));
    cleanups.push(() => rsyslog.stop());
    const nsmWork = path.join(dir, 'nsm-work');
    fs.mkdirSync(nsmWork);
    const nsmConfig = path.join(dir, name);
    fs.writeFileSync(nsmConfig, configFor(nsmWork, 'nsm'));
    const agent = new AgentProcess({ configFile: nsmConfig, workDir: nsmWork, logFile: path.join(dir, 'agent.log') });
    await agent.start();
    return agent;
  }

  it('each action receives exactly the lines rsyslogd sends it', async () => {
    const dir = makeTempDir('filter-side-by-side');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'conn.log'), broLog('conn'));
    fs.writeFileSync(path.join(dir, 'dns.log'), broLog('dns'));
    const framings: Array<'lf' | 'octet-counted'> = ['lf', 'octet-counted', 'lf'];
    const start = async (): Promise<{ listeners: RawCaptureListener[]; ports: number[] }> => {
      const listeners = framings.map(() => new RawCaptureListener('tcp'));
      const ports: number[] = [];
      for (const l of listeners) {
        ports.push(await l.listen());
        cleanups.push(() => l.close());
      }
      return { listeners, ports };
    };
    const ref = await start();
    const ours = await start();

    const agent = await startBoth(dir, 'filters.conf', (work, side) => filterConfig(dir, work, side === 'rsyslog' ? ref.ports : ours.ports));

    // Worked out by hand from rsyslog's semantics, and checked against rsyslogd below. conn (local7): 16 rows pass the
    // header and drop-me filters, all to A; its ALERT row to B and stop; its leading-space row to B; rows not starting
    // with digits.dot (3) to C and stop; the 12 rows left to C. dns (local6): rows without "keep" or "C" stop; its
    // ALERT row to B; its keep row to C; its 12 rows to C. The long line: conn's to A and C (its ALERT is past the
    // 8096 bytes filters see), dns's stopped. The local6 block sends dns's keep row to A too. A 18, B 3, C 29.
    const counts = (side: { listeners: RawCaptureListener[] }): number[] => side.listeners.map((l, i) => messages(l, framings[i]).length);
    await waitFor('rsyslogd to send every action its lines', () => counts(ref).reduce((a, b) => a + b, 0) >= 50, 30_000);
    await waitFor(`nsm to send as many (log: ${agent.logTail(5)})`, () => counts(ours).reduce((a, b) => a + b, 0) >= 50, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // room for any extra (wrong) message to show up
    expect(counts(ref), 'rsyslogd: messages per action').to.deep.equal([18, 3, 29]);
    // Listeners A and C serve two actions each (two connections, accepted in either order): compare connection by connection.
    const perConnection = (l: RawCaptureListener, framing: 'lf' | 'octet-counted'): string[] =>
      l.streams.map((chunks) => {
        const deframer = new StreamDeframer(framing);
        return JSON.stringify(Object.entries(byTag(chunks.flatMap((c) => deframer.push(c)))).sort());
      }).sort();
    for (let i = 0; i < framings.length; i++) {
      expect(perConnection(ours.listeners[i], framings[i]), `listener ${i + 1}`).to.deep.equal(perConnection(ref.listeners[i], framings[i]));
    }
    const all = ours.listeners.flatMap((l, i) => messages(l, framings[i]).map((m) => m.toString('latin1')));
    expect(all.filter((m) => / #/.test(m.slice(0, 60))), 'no Bro header line is shipped').to.deep.equal([]);
    expect(all.filter((m) => m.includes('drop-me')), 'no discarded line is shipped').to.deep.equal([]);
    expect(all.filter((m) => m.includes('#after nul')).length, 'a line with a NUL byte goes out whole, to A and C').to.equal(2);
    expect(await agent.stop()).to.equal(0);
  });

  it('rsyslog/62-bro-elsa.conf (paths, work directory and port changed only): both ship the same rows of all 17 logs, no header', async () => {
    const dir = makeTempDir('elsa-config');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const current = path.join(dir, 'logs', 'current');
    fs.mkdirSync(current, { recursive: true });
    const shipped = fs.readFileSync(path.join(PROJECT_ROOT, 'rsyslog', '62-bro-elsa.conf'), 'utf8');
    const logs = [...shipped.matchAll(/File="[^"]*\/([a-z0-9_]+)\.log"/g)].map((m) => m[1]);
    expect(logs).to.have.length(17);
    for (const name of logs) fs.writeFileSync(path.join(current, `${name}.log`), broLog(name));
    const configFor = (work: string, port: number): string => shipped
      .replaceAll('/usr/local/bro/logs/current', current)
      .replace(/workDirectory="[^"]*"/, `workDirectory="${work}"`)
      .replace('port="514"', `port="${port}"`);
    const ref = new RawCaptureListener('tcp');
    const ours = new RawCaptureListener('tcp');
    const refPort = await ref.listen();
    const ourPort = await ours.listen();
    cleanups.push(() => ref.close(), () => ours.close());
    const agent = await startBoth(dir, '62-bro-elsa.conf', (work, side) => configFor(work, side === 'rsyslog' ? refPort : ourPort));

    const rowsPerLog = broLog('x').split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const want = logs.length * rowsPerLog;
    await waitFor(`rsyslogd: ${want} rows`, () => messages(ref, 'lf').length >= want, 30_000);
    await waitFor(`nsm: ${want} rows (log: ${agent.logTail(5)})`, () => messages(ours, 'lf').length >= want, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // room for a header line that should not come
    const fromRsyslog = byTag(messages(ref, 'lf'));
    expect(Object.values(fromRsyslog).flat(), 'rsyslogd with the same config').to.have.length(want);
    expect(byTag(messages(ours, 'lf'))).to.deep.equal(fromRsyslog);
    expect(Object.keys(fromRsyslog).sort()).to.include.members(['bro_known_cert:', 'bro_smtp_entities:', 'bro_tunnel:']);
    expect(messages(ours, 'lf').filter((m) => m.toString('latin1').includes(': #')), 'header lines shipped').to.deep.equal([]);
    expect(await agent.stop()).to.equal(0);
  });

  it('a line every filter drops still moves the checkpoint: the next start does not read it again', async () => {
    const dir = makeTempDir('filter-checkpoint');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const log = path.join(dir, 'conn.log');
    fs.writeFileSync(log, broLog('conn').split('\n').filter((l) => l.startsWith('#')).join('\n') + '\n');
    const listener = new RawCaptureListener('tcp');
    const port = await listener.listen();
    cleanups.push(() => listener.close());
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const config = (filter: string): string => [
      `global(workDirectory="${work}")`,
      `input(type="imfile" File="${log}" Tag="bro_conn:" Facility="local7" Severity="info")`,
      filter,
      `local7.* @@127.0.0.1:${port}`,
      '',
    ].join('\n');
    const configFile = path.join(dir, 'agent.conf');
    const stateFile = path.join(work, defaultStateFileName(log));

    fs.writeFileSync(configFile, config('if $msg startswith "#" then stop'));
    let agent = new AgentProcess({ configFile, workDir: work, logFile: path.join(dir, 'agent1.log') });
    await agent.start();
    const size = fs.statSync(log).size;
    await waitFor('the checkpoint to pass the header lines', () => {
      try {
        return (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { offset: number }).offset === size;
      } catch {
        return false;
      }
    }, 20_000);
    expect(await agent.stop()).to.equal(0);
    expect(listener.tcpBytes().length, 'nothing shipped: every line was a header').to.equal(0);

    // Without the filter now: had the checkpoint stayed at 0, the nine headers would be shipped here.
    fs.writeFileSync(configFile, config(''));
    fs.appendFileSync(log, 'first row\n');
    agent = new AgentProcess({ configFile, workDir: work, logFile: path.join(dir, 'agent2.log') });
    await agent.start();
    await waitFor('the new row', () => messages(listener, 'lf').length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(messages(listener, 'lf').map((m) => m.toString('latin1').replace(/^.* bro_conn: /, ''))).to.deep.equal(['first row']);
    expect(await agent.stop()).to.equal(0);
  });
});
