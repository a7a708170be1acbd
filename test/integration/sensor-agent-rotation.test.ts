// The sensor and the agent together, as deployed: `nsm sensor -i lo --rotate-interval 1` writes conn.log and renames
// it every second while `nsm agent` tails it (rsyslog imfile config) and ships to a real rsyslogd. Every conn.log row
// of every rotated file must reach the collector exactly once, and every TCP connection the test made is among them.

import { expect } from 'chai';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { AgentProcess, sleep, waitUntil } from '../agent/integration/agent-process';
import { agentConfigText } from '../agent/integration/shipping-fixture';
import { makeTempDir } from '../helpers/rsyslogd-process';
import { SyslogCollector } from '../helpers/syslog-collector';
import { SensorProcess } from '../sensor/live/sensor-process';

const CONNECTIONS = 24;

/** Data rows (not `#` lines) of every file in `dir` whose name is conn.log or a rotated conn.*.log. */
/**
 * Every conn row in the directory. The sensor rotates while this reads: a file listed and then renamed before it was
 * opened (ENOENT) means the listing is stale, so it is taken again (the rows are counted once, from one listing).
 */
function connRowsOnDisk(dir: string): string[] {
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.readdirSync(dir)
        .filter((n) => /^conn(\..+)?\.log$/.test(n))
        .flatMap((n) => fs.readFileSync(path.join(dir, n), 'latin1').split('\n'))
        .filter((l) => /^\d/.test(l));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw err;
    }
  }
}

describe('sensor and agent: conn.log rotated every second while the agent ships it', function () {
  this.timeout(90_000);
  let dir: string;
  let collector: SyslogCollector | undefined;
  let sensor: SensorProcess | undefined;
  let agent: AgentProcess | undefined;
  let server: net.Server | undefined;

  before(() => {
    dir = makeTempDir('sensor-agent');
  });
  after(async () => {
    sensor?.kill();
    await agent?.kill9();
    await collector?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (collector) fs.rmSync(collector.dir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every row of every rotated file exactly once', async () => {
    server = net.createServer((s) => {
      s.on('data', () => s.end('ok\n'));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => (server as net.Server).listen(0, '127.0.0.1', () => resolve()));
    const port = ((server as net.Server).address() as net.AddressInfo).port;

    const logDir = path.join(dir, 'logs');
    const workDir = path.join(dir, 'work');
    fs.mkdirSync(logDir);
    fs.mkdirSync(workDir);
    collector = await SyslogCollector.start({ protocol: 'tcp' });
    const configFile = path.join(dir, 'agent.conf');
    fs.writeFileSync(configFile, agentConfigText({ workDirectory: workDir, files: [{ path: path.join(logDir, 'conn.log'), tag: 'bro_conn' }], port: collector.port }));
    agent = new AgentProcess({ configFile, workDir, logFile: path.join(dir, 'agent.log') });
    await agent.start();
    sensor = await SensorProcess.start(['-i', 'lo', '-f', `tcp port ${port}`, '-l', logDir, '-C', '--rotate-interval', '1']);

    // Connections spread over about five seconds, so rows land in several files while the agent is reading.
    const clientPorts: number[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      clientPorts.push(await new Promise<number>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1', () => sock.write(`hello ${i}\n`));
        let local = 0;
        sock.on('connect', () => (local = sock.localPort as number));
        sock.on('data', () => undefined);
        sock.on('end', () => sock.end());
        sock.on('close', () => resolve(local));
        sock.on('error', reject);
      }));
      await sleep(200);
    }
    // Closed connections are logged after Zeek's close delay (5 s of wall clock in live capture).
    await waitUntil(() => connRowsOnDisk(logDir).length >= CONNECTIONS, 30_000, () => `${connRowsOnDisk(logDir).length} rows on disk`);
    expect(await sensor.stop('SIGTERM', 20_000), sensor.stderr).to.deep.equal({ code: 0, signal: null });
    expect(fs.existsSync(path.join(logDir, 'conn.log')), 'the last rotation renames conn.log too').to.equal(false);

    const onDisk = connRowsOnDisk(logDir);
    const rotatedFiles = fs.readdirSync(logDir).filter((n) => /^conn\..+\.log$/.test(n));
    expect(rotatedFiles.length, rotatedFiles.join(' ')).to.be.at.least(3);
    const received = (): string[] => collector!.messages()
      .map((m) => m.toString('latin1'))
      .map((m) => m.slice(m.indexOf('bro_conn: ') + 'bro_conn: '.length))
      .filter((l) => /^\d/.test(l));
    await waitUntil(() => received().length >= onDisk.length, 30_000, () => `${received().length} of ${onDisk.length} rows at the collector\n${agent!.logTail()}`);
    await sleep(500); // anything beyond would be a duplicate: give it the chance to show
    expect(received().slice().sort()).to.deep.equal(onDisk.slice().sort());
    expect(new Set(received()).size).to.equal(received().length);

    const respPortColumn = (row: string): string => row.split('\t')[5];
    const origPortColumn = (row: string): number => Number(row.split('\t')[3]);
    const tcpRows = received().filter((r) => respPortColumn(r) === String(port));
    expect(tcpRows.map(origPortColumn).sort((a, b) => a - b)).to.deep.equal(clientPorts.slice().sort((a, b) => a - b));
    expect(await agent.stop()).to.equal(0);
  });
});
