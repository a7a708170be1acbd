// Runs a private rsyslogd (foreground, own config, pid file and work directory) for tests, and the small
// network helpers those tests need: a free loopback port and "is this port listening yet" from /proc/net.

import { spawn, type ChildProcess } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Every rsyslogd a test started, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port free for both TCP and UDP on 127.0.0.1 right now (the kernel's pick, checked for UDP too). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port found on 127.0.0.1 after 20 attempts');
}

/** True when some socket listens (TCP) or is bound (UDP) on this local port, read from /proc/net. */
export function isPortBound(port: number, kind: 'tcp' | 'udp'): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const wantedState = kind === 'tcp' ? '0A' : '07';
  for (const file of [`/proc/net/${kind}`, `/proc/net/${kind}6`]) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      if (cols[1].endsWith(`:${hexPort}`) && cols[3] === wantedState) return true;
    }
  }
  return false;
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nsm-${prefix}-`));
}

/** One rsyslogd run in the foreground with the given config text, in its own directory. */
export class RsyslogdProcess {
  private stderrText = '';
  private exited = false;
  private exitInfo = '';

  private constructor(
    readonly dir: string,
    readonly configFile: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (d: Buffer) => (this.stderrText += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (this.stderrText += d.toString()));
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = `code=${code} signal=${signal}`;
      running.delete(child);
    });
  }

  /** Writes `config` to DIR/rsyslog.conf and starts `rsyslogd -n -f ... -i ...`; env adds to process.env (e.g. TZ). */
  static start(dir: string, config: string, env: Record<string, string> = {}): RsyslogdProcess {
    if (!fs.existsSync(RSYSLOGD)) throw new Error(`${RSYSLOGD} is missing: install Debian package rsyslog`);
    const configFile = path.join(dir, 'rsyslog.conf');
    fs.writeFileSync(configFile, config);
    const child = spawn(RSYSLOGD, ['-n', '-f', configFile, '-i', path.join(dir, 'rsyslogd.pid')], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    return new RsyslogdProcess(dir, configFile, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** What rsyslogd printed (its own errors and warnings). */
  get output(): string {
    return this.stderrText;
  }

  /** Waits for a port, failing early and loudly if rsyslogd exits (bad config, port taken). */
  async waitUntilBound(port: number, kind: 'tcp' | 'udp', timeoutMs = 10_000): Promise<void> {
    await waitFor(`rsyslogd to listen on ${kind}/${port}`, () => {
      if (this.exited) throw new Error(`rsyslogd exited (${this.exitInfo}): ${this.stderrText.trim()}`);
      return isPortBound(port, kind);
    }, timeoutMs);
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }

  /** SIGKILL at once: a collector crash. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}
