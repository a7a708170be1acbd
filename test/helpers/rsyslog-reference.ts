// The ground truth for "byte-identical to rsyslog": a private rsyslogd with imfile monitoring the given files
// and omfwd shipping them to the given listeners, configured the way a sensor's rsyslog is (RainerScript
// `input(type="imfile")`, or the legacy `$InputFileName` block form). Start it, write lines, read what the
// listener got, stop it.
//
//   const ref = await RsyslogReference.start({
//     files: [{ path: '/tmp/x/conn.log', tag: 'bro_conn:' }],
//     targets: [{ protocol: 'tcp', port: listenerPort, template: 'RSYSLOG_TraditionalForwardFormat' }],
//   });
//   ... append lines; wait for the listener ...
//   await ref.stop();
//
// Facts worth knowing when using it (rsyslogd 8.2302): imfile reads files that exist at startup from their
// start (no state file yet); a last line without LF is held until its LF arrives; empty lines are not sent;
// omfwd to a port nobody listens on retries with growing pauses, so start the listener first.

import * as fs from 'fs';
import * as path from 'path';
import type { ForwardTemplate, TcpFraming } from '../../agent/config/agent-config';
import { makeTempDir, RsyslogdProcess, waitFor } from './rsyslogd-process';

export const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export interface ReferenceFile {
  path: string;
  /** Exactly as configured, e.g. `bro_conn:`. */
  tag: string;
  /** Numeric facility (default 23 = local7) and severity (default 6 = info). */
  facility?: number;
  severity?: number;
  /** Configure this file with the legacy `$InputFileName` block instead of `input(type="imfile")`. */
  legacy?: boolean;
}

export interface ReferenceTarget {
  protocol: 'tcp' | 'udp';
  host?: string;
  port: number;
  template: ForwardTemplate;
  framing?: TcpFraming;
}

export interface RsyslogReferenceOptions {
  files: ReferenceFile[];
  targets: ReferenceTarget[];
  /** `global(maxMessageSize=...)`; rsyslog's default is 8192. */
  maxMessageSize?: number;
  /** Extra environment for rsyslogd, e.g. `{ TZ: 'America/New_York' }`. */
  env?: Record<string, string>;
}

export class RsyslogReference {
  private constructor(
    readonly dir: string,
    readonly configText: string,
    private readonly process: RsyslogdProcess,
  ) {}

  static async start(options: RsyslogReferenceOptions): Promise<RsyslogReference> {
    const dir = makeTempDir('rsyslog-reference');
    const workDir = path.join(dir, 'work');
    fs.mkdirSync(workDir);
    const lines: string[] = [];
    const globals = [`workDirectory="${workDir}"`];
    if (options.maxMessageSize !== undefined) globals.push(`maxMessageSize="${options.maxMessageSize}"`);
    lines.push(`global(${globals.join(' ')})`, 'module(load="imfile")');
    options.files.forEach((f, i) => {
      const facility = FACILITY_NAMES[f.facility ?? 23];
      const severity = SEVERITY_NAMES[f.severity ?? 6];
      if (f.legacy) {
        lines.push(
          `$InputFileName ${f.path}`,
          `$InputFileTag ${f.tag}`,
          `$InputFileStateFile nsm-reference-${i}`,
          `$InputFileSeverity ${severity}`,
          `$InputFileFacility ${facility}`,
          '$InputRunFileMonitor',
        );
      } else {
        lines.push(`input(type="imfile" file="${f.path}" tag="${f.tag}" facility="${facility}" severity="${severity}")`);
      }
    });
    for (const t of options.targets) {
      const framing = t.protocol === 'tcp' && t.framing === 'octet-counted' ? ' TCP_Framing="octet-counted"' : '';
      lines.push(
        `*.* action(type="omfwd" target="${t.host ?? '127.0.0.1'}" port="${t.port}" protocol="${t.protocol}" template="${t.template}"${framing})`,
      );
    }
    lines.push('');
    const configText = lines.join('\n');
    const proc = RsyslogdProcess.start(dir, configText, options.env);
    // rsyslogd has no "ready" signal for imfile; its pid file appears once startup is done.
    await waitFor('rsyslogd pid file', () => {
      if (!proc.alive) throw new Error(`rsyslogd exited: ${proc.output}`);
      return fs.existsSync(path.join(dir, 'rsyslogd.pid'));
    }, 10_000);
    return new RsyslogReference(dir, configText, proc);
  }

  get daemonOutput(): string {
    return this.process.output;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
