// `nsm sensor -i lo -f 'port N'` as a real subprocess: the test makes a UDP exchange and TCP connections on
// 127.0.0.1:N, sends SIGTERM, and finds them in conn.log with Zeek's states; the sensor must flush and write #close.

import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { readZeekLog } from '../logs/zeek-log-reader';

const ROOT = path.resolve(__dirname, '../../../..');
const NSM = path.join(ROOT, 'bin', 'nsm');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
  let sensor: ChildProcess | undefined;
  let servers: { port: number; tcp: net.Server; udp: dgram.Socket } | undefined;
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-live-'));
  });
  after(async () => {
    if (sensor && sensor.exitCode === null && sensor.signalCode === null) sensor.kill('SIGKILL');
    if (servers) {
      servers.udp.close();
      await new Promise<void>((resolve) => (servers as { tcp: net.Server }).tcp.close(() => resolve()));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('logs the connections it saw and writes #close on SIGTERM', async () => {
    servers = await listenBoth();
    const port = servers.port;
    const logDir = path.join(tmp, 'logs');
    const proc = spawn(process.execPath, [NSM, 'sensor', '-i', 'lo', '-f', `port ${port}`, '-l', logDir, '--profile', 'zeek', '-C'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    sensor = proc; // -C: loopback packets carry partial (offloaded) checksums
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

    for (let i = 0; i < 100 && !stderr.includes('listening on lo'); i++) {
      if (proc.exitCode !== null) break;
      await sleep(100);
    }
    expect(stderr, 'sensor did not start').to.include('listening on lo');

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
    proc.kill('SIGTERM');
    const timeout = sleep(20_000).then(() => 'timeout' as const);
    const code = await Promise.race([exited, timeout]);
    expect(code, `sensor did not stop: ${stderr}`).to.equal(0);
    expect(stderr.trim()).to.equal('nsm sensor: listening on lo');

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
  });
});
