// `nsm sensor -r` through the real command (bin/nsm): default profile and log directory, JSON output, and each kind
// of bad input as one clear line on stderr with a non-zero exit and no stack trace.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BlockWriter, buildPcap } from '../capture/synthetic-captures';
import { readZeekLog } from '../logs/zeek-log-reader';

const ROOT = path.resolve(__dirname, '../../../..');
const NSM = path.join(ROOT, 'bin', 'nsm');
const HTTP_PCAP = path.join(ROOT, 'test', 'fixtures', 'pcaps', 'http-curl.pcap');

function nsm(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NSM, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).to.not.equal(0);
  expect(r.status).to.not.equal(null);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
  expect(r.stderr).to.not.match(/\n\s+at /);
}

describe('nsm sensor command', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-cli-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a file into $NSM_HOME/logs/current with the elsa columns by default', () => {
    const r = nsm(['sensor', '-C', '-r', HTTP_PCAP], { NSM_HOME: tmp });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal(''); // not a TTY: no progress bar
    const conn = readZeekLog(path.join(tmp, 'logs', 'current', 'conn.log'));
    expect(conn.fields).to.have.length(19);
    expect(conn.fields).to.not.include('local_resp');
    expect(conn.rows[0].get('conn_state')).to.equal('SF');
    expect(conn.meta[conn.meta.length - 1]).to.match(/^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  });

  it('a file read writes no status file unless asked; --status-file gets the final counters', () => {
    const r = nsm(['sensor', '-C', '-r', HTTP_PCAP], { NSM_HOME: tmp });
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.existsSync(path.join(tmp, 'spool'))).to.equal(false);
    const statusFile = path.join(tmp, 'st', 'sensor-status.json');
    const r2 = nsm(['sensor', '-C', '-r', HTTP_PCAP, '-l', path.join(tmp, 'l2'), '--status-file', statusFile]);
    expect(r2.status, r2.stderr).to.equal(0);
    const conn = readZeekLog(path.join(tmp, 'l2', 'conn.log'));
    const packets = conn.rows.reduce((n, row) => n + Number(row.get('orig_pkts')) + Number(row.get('resp_pkts')), 0);
    const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Record<string, unknown>;
    expect(status).to.include({ state: 'stopped', mode: 'file', source: HTTP_PCAP, packets, connections: conn.rows.length, activeConnections: 0 });
    expect(status.capture).to.equal(undefined);
  });

  it('a loopback capture read without -C: one checksum-offloading warning naming -C, in the status file too; none with -C or on good checksums', () => {
    // Recorded on lo, where the kernel leaves checksums to the (absent) NIC: every TCP/UDP checksum is wrong.
    const statusFile = path.join(tmp, 'status.json');
    const r = nsm(['sensor', '-r', HTTP_PCAP, '-l', path.join(tmp, 'l1'), '--status-file', statusFile]);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^nsm sensor: warning: the capture file likely has invalid TCP checksums \(\d+ bad of \d+ packets\), most likely from checksum offloading .* -C /);
    // The packets were dropped, as the warning says: no connection was analyzed.
    expect(fs.existsSync(path.join(tmp, 'l1', 'http.log'))).to.equal(false);
    const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { checksumOffloading?: { badTcp: number; packets: number } };
    expect(status.checksumOffloading?.badTcp).to.be.greaterThan(0);
    expect(status.checksumOffloading?.badTcp).to.equal(status.checksumOffloading?.packets);

    const udp = nsm(['sensor', '-r', path.join(ROOT, 'test', 'fixtures', 'pcaps', 'dns-dig.pcap'), '-l', path.join(tmp, 'l2')]);
    expect(udp.stderr).to.match(/^nsm sensor: warning: the capture file likely has invalid UDP checksums/);

    const ignored = nsm(['sensor', '-C', '-r', HTTP_PCAP, '-l', path.join(tmp, 'l3')]);
    expect(ignored.status, ignored.stderr).to.equal(0);
    expect(ignored.stderr).to.equal('');

    // A capture from a real network (Zeek's Q-in-Q trace): checksums right, no warning.
    const good = nsm(['sensor', '-r', path.join(ROOT, 'test', 'fixtures', 'zeek-cases', 'core-q-in-q', 'q-in-q.pcap'), '-l', path.join(tmp, 'l4')]);
    expect(good.status, good.stderr).to.equal(0);
    expect(good.stderr).to.equal('');
    expect(readZeekLog(path.join(tmp, 'l4', 'conn.log')).rows.length).to.be.greaterThan(0);
  });

  it('rejects a --stats-interval that is not a positive number', () => {
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-l', tmp, '--stats-interval', '0']), /--stats-interval: not a positive number of seconds: 0/);
  });

  it('without NSM_HOME uses logs/current under the working directory; -l, --profile zeek and --json are honoured', () => {
    const r1 = nsm(['sensor', '-C', '-r', HTTP_PCAP], { NSM_HOME: '' }, tmp);
    expect(r1.status, r1.stderr).to.equal(0);
    expect(fs.existsSync(path.join(tmp, 'logs', 'current', 'conn.log'))).to.equal(true);
    const out = path.join(tmp, 'json');
    const r2 = nsm(['sensor', '-C', '-r', HTTP_PCAP, '-l', out, '--profile', 'zeek', '--json']);
    expect(r2.status, r2.stderr).to.equal(0);
    const lines = fs.readFileSync(path.join(out, 'conn.log'), 'utf8').trimEnd().split('\n');
    expect(lines).to.have.length(1);
    const row = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(row).to.include({ 'id.resp_p': 18080, proto: 'tcp', conn_state: 'SF', local_resp: true, ip_proto: 6 });
  });

  it('without -C drops loopback packets with offloaded checksums as Zeek does, reporting bad_TCP_checksum', () => {
    const out = path.join(tmp, 'checksums');
    const r = nsm(['sensor', '-r', HTTP_PCAP, '-l', out, '--profile', 'zeek']);
    expect(r.status, r.stderr).to.equal(0);
    const conn = readZeekLog(path.join(out, 'conn.log'));
    expect(conn.rows[0].get('history')).to.match(/^C/);
    expect(readZeekLog(path.join(out, 'weird.log')).rows.map((w) => w.get('name'))).to.include('bad_TCP_checksum');
  });

  it('applies a BPF filter to a file', () => {
    const out = path.join(tmp, 'filtered');
    const r = nsm(['sensor', '-C', '-r', HTTP_PCAP, '-f', 'tcp[tcpflags] & tcp-syn != 0', '-l', out, '--profile', 'zeek']);
    expect(r.status, r.stderr).to.equal(0);
    const conn = readZeekLog(path.join(out, 'conn.log'));
    expect(conn.rows[0].get('history')).to.equal('Sh');
    expect(conn.rows[0].get('orig_pkts')).to.equal('1');
  });

  it('reports bad input as one line without a stack trace', () => {
    const garbage = path.join(tmp, 'garbage.pcap');
    fs.writeFileSync(garbage, 'this is not a capture file at all\n');
    const networks = path.join(tmp, 'networks.cfg');
    fs.writeFileSync(networks, '# site\n10.0.0.0/8   Private\n10.1.0.0/99  broken\n');
    expectOneLineError(nsm(['sensor', '-r', path.join(tmp, 'missing.pcap'), '-l', tmp]), /^nsm: .*missing\.pcap.*ENOENT/);
    expectOneLineError(nsm(['sensor', '-r', garbage, '-l', tmp]), /^nsm: .*garbage\.pcap.*byte 0/);
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-f', 'port 9x', '-l', tmp]), /^nsm: .*filter/);
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '--networks', networks, '-l', tmp]), /^nsm: .*networks\.cfg:3: /);
    expectOneLineError(nsm(['sensor', '-l', tmp]), /^nsm: sensor: give exactly one of -r FILE or -i IFACE$/);
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-i', 'lo', '-l', tmp]), /exactly one/);
    // A bad option value is commander's one line, not followed by the whole help.
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '--profile', 'splunk', '-l', tmp]), /splunk/);
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '--max-connections', 'lots', '-l', tmp]), /^nsm: sensor: --max-connections: .*lots$/);
    expect(fs.existsSync(path.join(tmp, 'conn.log'))).to.equal(false);
  });

  it('a capture file of a link type it cannot decode: one line naming the link type, non-zero exit, no logs', () => {
    const capture = path.join(tmp, 'user0.pcap');
    fs.writeFileSync(capture, buildPcap([{ tsSec: 1700000000, frac: 0, bytes: Buffer.alloc(60, 1), wireLength: 60 }],
      { littleEndian: true, nanoseconds: false, linkType: 147 }));
    const logs = path.join(tmp, 'logs');
    expectOneLineError(nsm(['sensor', '-r', capture, '-l', logs]), /^nsm: user0\.pcap: cannot read link type 147 \(/);
    expect(fs.existsSync(path.join(logs, 'conn.log'))).to.equal(false);
  });

  it('pcapng: an interface of an unknown link type stops the run with its number after the packets before it', () => {
    const w = new BlockWriter(true);
    const udp = Buffer.from('00112233445566778899aabb08004500001c000100004011f9cd7f0000017f0000010035003500080000', 'hex');
    w.shb();
    w.idb(1, []);
    w.idb(147, []);
    w.epb(0, 1700000000n * 1000000n, udp, udp.length);
    w.epb(1, 1700000001n * 1000000n, udp, udp.length);
    const capture = path.join(tmp, 'mixed.pcapng');
    fs.writeFileSync(capture, Buffer.concat(w.parts));
    const logs = path.join(tmp, 'logs');
    expectOneLineError(nsm(['sensor', '-r', capture, '-l', logs, '-C']), /^nsm: .*mixed\.pcapng: cannot read link type 147 \(/);
    // The Ethernet packet before it was processed and logged.
    expect(readZeekLog(path.join(logs, 'conn.log')).rows).to.have.length(1);
  });

  it('-r on a directory names the path', () => {
    expectOneLineError(nsm(['sensor', '-r', tmp, '-l', path.join(tmp, 'logs')]), new RegExp(`^nsm: ${tmp}: .*is a directory$`));
  });

  it('--status-file in a directory that cannot be made is an error at start, with -r too', () => {
    // A regular file where a directory of the path should be: no one, root included, can create it.
    fs.writeFileSync(path.join(tmp, 'plain'), '');
    const status = path.join(tmp, 'plain', 'dir', 'status.json');
    const logs = path.join(tmp, 'logs');
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-l', logs, '--status-file', status]),
      /^nsm: sensor: --status-file .*status\.json: cannot use directory .*plain\/dir: ENOTDIR$/);
    expect(fs.existsSync(path.join(logs, 'conn.log'))).to.equal(false);
  });

  it('-i on an interface that does not exist: the error alone, never "listening on"', () => {
    const r = nsm(['sensor', '-i', 'nosuchif0', '-l', path.join(tmp, 'logs')], { NSM_HOME: tmp });
    expectOneLineError(r, /^nsm: cannot capture on nosuchif0: /);
    expect(r.stderr).to.not.match(/listening/);
  });

  it('--rotate-command naming no executable program fails at start with a non-zero exit', () => {
    const logs = path.join(tmp, 'logs');
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-l', logs, '--rotate-interval', '60', '--rotate-command', path.join(tmp, 'nonexistent')]),
      /^nsm: sensor: --rotate-command .*nonexistent: no such executable file$/);
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-l', logs, '--rotate-interval', '60', '--rotate-command', 'nsm-no-such-program']),
      /^nsm: sensor: --rotate-command nsm-no-such-program: not found on PATH$/);
    const notExecutable = path.join(tmp, 'archive.sh');
    fs.writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    expectOneLineError(nsm(['sensor', '-r', HTTP_PCAP, '-l', logs, '--rotate-interval', '60', '--rotate-command', notExecutable]),
      /no such executable file$/);
    expect(fs.existsSync(path.join(logs, 'conn.log'))).to.equal(false);
  });
});
