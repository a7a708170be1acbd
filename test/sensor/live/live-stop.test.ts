// Stopping `nsm sensor -i lo`: SIGTERM and SIGINT end a capture on a quiet filter (no packet ever arrives to wake
// libpcap) with exit 0, and packets the kernel had to drop while the sensor was frozen show up in its final summary.

import { expect } from 'chai';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readZeekLog } from '../logs/zeek-log-reader';
import { parseCaptureSummary, SensorProcess, sleep } from './sensor-process';

/** A UDP socket bound to a free port of 127.0.0.1 (sink or probe target). */
async function boundUdp(): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

/** conn.log after a stop: absent (nothing captured) or complete, ending with #close. */
function expectClosedOrAbsent(connLog: string): void {
  if (!fs.existsSync(connLog)) return;
  const meta = readZeekLog(connLog).meta;
  expect(meta[meta.length - 1], `${connLog} not closed`).to.match(/^#close\t/);
}

describe('nsm sensor -i lo: stop and capture loss', () => {
  const sensors: SensorProcess[] = [];
  const sockets: dgram.Socket[] = [];
  let tmp: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-live-stop-'));
  });
  after(() => {
    for (const s of sensors) s.kill();
    for (const s of sockets) s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 on ${signal} when no packet ever matches the filter`, async function () {
      this.timeout(30000);
      // A bound socket reserves the port, so nothing else on this machine sends to it during the test.
      const quiet = await boundUdp();
      sockets.push(quiet.socket);
      const logDir = path.join(tmp, `quiet-${signal}`);
      const sensor = await SensorProcess.start(['-i', 'lo', '-f', `udp port ${quiet.port}`, '-l', logDir]);
      sensors.push(sensor);
      const exit = await sensor.stop(signal, 5000);
      expect(exit, `sensor still running after ${signal}: ${sensor.stderr}`).to.deep.equal({ code: 0, signal: null });
      const lines = sensor.stderrLines();
      expect(lines, sensor.stderr).to.have.length(2);
      expect(lines[0]).to.equal('nsm sensor: listening on lo');
      expect(parseCaptureSummary(lines[1])).to.deep.equal({ packets: 0, iface: 'lo', dropped: 0, percent: 0, ifDropped: 0 });
      expectClosedOrAbsent(path.join(logDir, 'conn.log'));
      // Without --status-file a live sensor keeps its status under the home, and says it stopped.
      const status = JSON.parse(fs.readFileSync(path.join(sensor.home, 'spool', 'sensor-status.json'), 'utf8')) as Record<string, unknown>;
      expect(status).to.include({ state: 'stopped', mode: 'live', source: 'lo', packets: 0, connections: 0 });
    });
  }

  it('reports the packets the kernel dropped while the sensor could not read', async function () {
    this.timeout(60000);
    const sink = await boundUdp();
    sockets.push(sink.socket);
    const logDir = path.join(tmp, 'loss');
    const sensor = await SensorProcess.start(['-i', 'lo', '-f', `udp port ${sink.port}`, '-l', logDir, '-C']);
    sensors.push(sensor);

    // Freeze the sensor and push far more than its 64 MiB capture ring holds (each datagram is one ~60 KB lo packet).
    sensor.proc.kill('SIGSTOP');
    const client = dgram.createSocket('udp4');
    sockets.push(client);
    const datagram = Buffer.alloc(60000, 0x61);
    const DATAGRAMS = 3000;
    for (let sent = 0; sent < DATAGRAMS; sent += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () => new Promise<void>((resolve) => client.send(datagram, sink.port, '127.0.0.1', () => resolve()))),
      );
    }
    sensor.proc.kill('SIGCONT');
    await sleep(1000); // let it read what the ring kept; the counts below hold however much it got through
    const exit = await sensor.stop('SIGTERM', 20_000);
    expect(exit, `sensor did not stop: ${sensor.stderr}`).to.deep.equal({ code: 0, signal: null });

    const lines = sensor.stderrLines();
    expect(lines, sensor.stderr).to.have.length(2);
    const summary = parseCaptureSummary(lines[1]);
    expect(summary.dropped, lines[1]).to.be.greaterThan(0);
    expect(summary.percent, lines[1]).to.be.greaterThan(0).and.at.most(100);
    expect(summary.packets + summary.dropped, lines[1]).to.be.at.most(2 * DATAGRAMS); // lo: out and in copies at most
    // What was delivered is exactly what conn.log accounts for: the one flow of the flood.
    const connLog = path.join(logDir, 'conn.log');
    const rows = fs.existsSync(connLog) ? readZeekLog(connLog).rows : [];
    const logged = rows.reduce((n, r) => n + Number(r.get('orig_pkts')) + Number(r.get('resp_pkts')), 0);
    expect(logged).to.equal(summary.packets);
    expect(summary.packets, 'the ring kept some packets').to.be.greaterThan(0);
    expectClosedOrAbsent(connLog);
  });
});
