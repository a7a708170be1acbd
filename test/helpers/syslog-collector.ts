// A real syslog collector for tests: a private rsyslogd listening on 127.0.0.1 (imtcp, imudp, imtcp over
// gtls, or imrelp) that writes every message it receives, byte for byte, to a file the test reads back.
//
// Usage:
//   const c = await SyslogCollector.start({ protocol: 'tcp' });      // free port picked; c.port
//   ... send to 127.0.0.1:c.port ...
//   const msgs = await c.waitForMessages(3);                         // Buffer per received message, in order
//   await c.stop();                                                  // in `after`/`afterEach`
//
// What arrives is rsyslog's %rawmsg% with the receive-side mangling turned off
// (parser.escapeControlCharactersOnReceive="off", parser.dropTrailingLFOnReception="off"), so TABs, control
// bytes, CR, invalid UTF-8 and a final LF inside an octet-counted frame come out as sent. Measured exceptions:
// a NUL byte is always stored as the four bytes `#000`, and the framing itself (the LF of LF framing, `LEN SP`
// of octet counting, RELP's envelope) is not part of the message. imtcp accepts both framings on one port
// (a frame starting with a digit is octet-counted). Messages are cut at maxMessageSize (default 64k).
// Pass `port` to restart a collector on the port a previous one used (collector-down tests).

import * as fs from 'fs';
import * as path from 'path';
import { freePort, makeTempDir, RsyslogdProcess, waitFor } from './rsyslogd-process';

export type CollectorProtocol = 'tcp' | 'udp' | 'tls' | 'relp';

export interface CollectorTlsOptions {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface SyslogCollectorOptions {
  protocol: CollectorProtocol;
  /** Listen on this port instead of a fresh free one. */
  port?: number;
  /**
   * Required for protocol 'tls' (clients not authenticated: gtls "anon"), optional for 'relp' (RELP over TLS: clients must
   * present a certificate the CA signed).
   */
  tls?: CollectorTlsOptions;
  maxMessageSize?: number;
  /** Keep the working directory after stop() (default: removed). */
  keepDirectory?: boolean;
}

/** Ends each stored message; printable and absent from test data, so messages with CR/LF split cleanly. */
export const RECORD_END = Buffer.from('<<END-OF-MESSAGE>>\n');

export class SyslogCollector {
  private constructor(
    readonly protocol: CollectorProtocol,
    readonly port: number,
    readonly dir: string,
    readonly outputFile: string,
    private readonly process: RsyslogdProcess,
    private readonly keepDirectory: boolean,
  ) {}

  static async start(options: SyslogCollectorOptions): Promise<SyslogCollector> {
    const port = options.port ?? (await freePort());
    const dir = makeTempDir(`collector-${options.protocol}`);
    const workDir = path.join(dir, 'work');
    fs.mkdirSync(workDir);
    const outputFile = path.join(dir, 'received.bin');
    const globals = [
      `workDirectory="${workDir}"`,
      `maxMessageSize="${options.maxMessageSize ?? 65536}"`,
      'parser.escapeControlCharactersOnReceive="off"',
      'parser.dropTrailingLFOnReception="off"',
    ];
    let input: string;
    switch (options.protocol) {
      case 'tcp':
        input = `module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="${port}" ruleset="collect")`;
        break;
      case 'udp':
        input = `module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${port}" ruleset="collect")`;
        break;
      case 'tls': {
        const t = options.tls;
        if (!t) throw new Error('SyslogCollector: protocol "tls" needs tls.{caFile,certFile,keyFile}');
        globals.push(`DefaultNetstreamDriverCAFile="${t.caFile}"`, `DefaultNetstreamDriverCertFile="${t.certFile}"`, `DefaultNetstreamDriverKeyFile="${t.keyFile}"`);
        input =
          'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")\n' +
          `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="collect")`;
        break;
      }
      case 'relp': {
        // With tls: RELP over TLS (librelp's GnuTLS). imrelp always asks the client for a certificate (its default
        // auth mode, fingerprint, refuses every one when no fingerprint is listed): certvalid accepts any the CA signed.
        const t = options.tls;
        const tlsParams = t
          ? ` tls="on" tls.caCert="${t.caFile}" tls.myCert="${t.certFile}" tls.myPrivKey="${t.keyFile}" tls.authMode="certvalid"`
          : '';
        input = `module(load="imrelp")\ninput(type="imrelp" address="127.0.0.1" port="${port}" ruleset="collect"${tlsParams})`;
        break;
      }
    }
    const endText = RECORD_END.toString('latin1').replace('\n', '\\n');
    const config = [
      `global(${globals.join(' ')})`,
      input,
      `template(name="nsmRawRecord" type="string" string="%rawmsg%${endText}")`,
      `ruleset(name="collect") { action(type="omfile" file="${outputFile}" template="nsmRawRecord" flushOnTXEnd="on" asyncWriting="off") }`,
      '',
    ].join('\n');
    const proc = RsyslogdProcess.start(dir, config);
    try {
      await proc.waitUntilBound(port, options.protocol === 'udp' ? 'udp' : 'tcp');
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return new SyslogCollector(options.protocol, port, dir, outputFile, proc, options.keepDirectory ?? false);
  }

  /** Every message received so far, in arrival order. */
  messages(): Buffer[] {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.outputFile);
    } catch {
      return [];
    }
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const end = data.indexOf(RECORD_END, start);
      if (end < 0) break;
      out.push(data.subarray(start, end));
      start = end + RECORD_END.length;
    }
    return out;
  }

  /** Resolves with all messages once at least `count` arrived; rejects after timeoutMs showing what did arrive. */
  async waitForMessages(count: number, timeoutMs = 20_000): Promise<Buffer[]> {
    let got: Buffer[] = [];
    try {
      await waitFor(`${count} messages at the ${this.protocol} collector`, () => {
        if (!this.process.alive) throw new Error(`collector rsyslogd died: ${this.process.output}`);
        got = this.messages();
        return got.length >= count;
      }, timeoutMs, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; got ${got.length}; rsyslogd said: ${this.process.output.trim() || '(nothing)'}`);
    }
    return got;
  }

  /** What rsyslogd printed (errors such as TLS handshake failures). */
  get daemonOutput(): string {
    return this.process.output;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    if (!this.keepDirectory) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGSTOP the collector: a hung process that reads nothing more while its kernel keeps accepting (crash() still works). */
  hang(): void {
    const pid = this.process.pid;
    if (pid === undefined || !this.process.alive) throw new Error('SyslogCollector.hang: rsyslogd is not running');
    process.kill(pid, 'SIGSTOP');
  }

  /** The pid of the rsyslogd process (for looking its sockets up). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** SIGKILL the collector (a crash), keeping its directory so messages() still works. */
  async crash(): Promise<void> {
    await this.process.kill();
  }
}
