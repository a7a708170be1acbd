// `nsm sensor -i lo -f 'port N'` as a real subprocess: the test makes a UDP exchange and TCP connections on
// 127.0.0.1:N, sends SIGTERM, and finds them in conn.log with Zeek's states; the sensor must flush, write #close and
// end with a capture summary whose packet count is exactly the packets conn.log accounts for. While it runs it logs
// stats lines and keeps a status file, whose last snapshot agrees with conn.log.

import { expect } from 'chai';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { readZeekLog } from '../logs/zeek-log-reader';
import { parseCaptureSummary, SensorProcess, sleep } from './sensor-process';

/** A TCP server and a UDP echo socket on the same free port of 127.0.0.1 (bounded retries). */
async function listenBoth(): Promise<{ port: number; tcp: net.Server; udp: dgram.Socket }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer((sock) => {
      sock.on('data', (d) => sock.end(Buffer.concat([Buffer.from('echo:'), d])));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      udp.on('message', (msg, rinfo) => udp.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
      return { port, tcp, udp };
    }
    udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}

async function tcpExchange(port: number, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(payload));
    const local = (): number => sock.localPort as number;
    let clientPort = 0;
    sock.on('connect', () => (clientPort = local()));
    sock.on('data', () => undefined);
    sock.on('end', () => sock.end());
    sock.on('close', () => resolve(clientPort));
    sock.on('error', reject);
    sock.setTimeout(5000, () => reject(new Error('tcp exchange timed out')));
  });
}

async function udpExchange(port: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const answered = new Promise<void>((resolve, reject) => {
      sock.once('message', () => resolve());
      setTimeout(() => reject(new Error('no UDP answer')), 5000).unref();
    });
    sock.send('nsm live probe', port, '127.0.0.1');
    await answered;
    return sock.address().port;
  } finally {
    sock.close();
  }
}

describe('nsm sensor -i lo (live capture)', () => {
  let sensor: SensorProcess | undefined;
  let servers: { port: number; tcp: net.Server; udp: dgram.Socket } | undefined;
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-live-'));
  });
  after(async () => {
    sensor?.kill();
    if (servers) {
      servers.udp.close();
      await new Promise<void>((resolve) => (servers as { tcp: net.Server }).tcp.close(() => resolve()));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('logs the connections it saw, writes #close on SIGTERM and sums up the capture', async () => {
    servers = await listenBoth();
    const port = servers.port;
    const logDir = path.join(tmp, 'logs');
    // -C: loopback packets carry partial (offloaded) checksums
    const statusFile = path.join(tmp, 'spool', 'sensor-status.json');
    const proc = await SensorProcess.start(['-i', 'lo', '-f', `port ${port}`, '-l', logDir, '--profile', 'zeek', '-C',
      '--status-file', statusFile, '--stats-interval', '0.5']);
    sensor = proc;

    const udpClient = await udpExchange(port);
    const tcpClients: number[] = [];
    for (let i = 0; i < 3; i++) tcpClients.push(await tcpExchange(port, `hello ${i}\n`));

    // Closed TCP connections leave the flow table after Zeek's close delay (live mode: wall clock); wait for them,
    // bounded, so the capture has surely delivered everything before the signal.
    const connLog = path.join(logDir, 'conn.log');
    for (let i = 0; i < 150; i++) {
      const rows = fs.existsSync(connLog) ? fs.readFileSync(connLog, 'utf8').split('\n').filter((l) => /^\d/.test(l)) : [];
      if (rows.length >= 3) break;
      await sleep(100);
    }
    // A stats line after the traffic (bounded wait), and the status file while running.
    const statsLines = (): string[] => proc.stderrLines().filter((l) => / INFO sensor: stats /.test(l));
    for (let i = 0; i < 50 && !statsLines().some((l) => !/ packets=0 /.test(l)); i++) await sleep(100);
    expect(statsLines().some((l) => !/ packets=0 /.test(l)), proc.stderr).to.equal(true);
    expect(statsLines()[0]).to.match(/^\S+ INFO sensor: stats packets=\d+ packets_per_s=\d+ dropped=0 loss_percent=0 active_connections=\d+ connections_logged=\d+ weirds=\d+$/);
    const running = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Record<string, unknown>;
    expect(running).to.include({ state: 'running', mode: 'live', source: 'lo', filter: `port ${port}`, logDir, pid: proc.proc.pid });

    const exit = await proc.stop('SIGTERM', 20_000);
    expect(exit, `sensor did not stop: ${proc.stderr}`).to.deep.equal({ code: 0, signal: null });
    const lines = proc.stderrLines().filter((l) => !/ INFO sensor: stats /.test(l));
    expect(lines, proc.stderr).to.have.length(2);
    expect(lines[0]).to.equal('nsm sensor: listening on lo');
    const summary = parseCaptureSummary(lines[1]);

    const table = readZeekLog(connLog);
    expect(table.meta[table.meta.length - 1]).to.match(/^#close\t/);
    const byClient = new Map(table.rows.map((r) => [`${r.get('proto')}:${r.get('id.orig_p')}`, r]));
    for (const p of tcpClients) {
      const row = byClient.get(`tcp:${p}`);
      expect(row, `tcp connection from port ${p} missing`).to.not.equal(undefined);
      expect(row?.get('id.resp_p')).to.equal(String(port));
      expect(row?.get('conn_state')).to.equal('SF');
      expect(row?.get('history')).to.match(/^ShAD.*[Ff].*[Ff]/);
      expect(Number(row?.get('orig_bytes'))).to.equal(8);
      expect(Number(row?.get('resp_bytes'))).to.equal(13);
    }
    const udp = byClient.get(`udp:${udpClient}`);
    expect(udp, 'udp exchange missing').to.not.equal(undefined);
    expect(udp?.get('conn_state')).to.equal('SF');
    expect(udp?.get('history')).to.equal('Dd');
    expect(udp?.get('orig_pkts')).to.equal('1');
    expect(udp?.get('resp_pkts')).to.equal('1');
    expect(table.rows).to.have.length(4); // the filter kept everything else out
    // Every packet the capture delivered belongs to one of these connections, and each is counted once.
    const loggedPackets = table.rows.reduce((n, r) => n + Number(r.get('orig_pkts')) + Number(r.get('resp_pkts')), 0);
    expect(summary).to.deep.equal({ packets: loggedPackets, iface: 'lo', dropped: 0, percent: 0, ifDropped: 0 });
    // The last snapshot, written at the stop: every connection logged, none open, the packets conn.log accounts for.
    const stopped = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Record<string, unknown>;
    expect(stopped).to.include({ state: 'stopped', packets: loggedPackets, ipPackets: loggedPackets, connections: 4, activeConnections: 0 });
    expect(stopped.capture).to.deep.include({ kernelDropped: 0, lossPercent: 0 });
  });
});
