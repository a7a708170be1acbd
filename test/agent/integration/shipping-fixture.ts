// Shared set-up for the agent's end-to-end tests: a temp directory, an rsyslog config naming the files and a real
// rsyslog collector, the agent subprocess, and the accounting of which numbered lines arrived (missing, duplicated).

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir } from '../../helpers/rsyslogd-process';
import { SyslogCollector } from '../../helpers/syslog-collector';
import { AgentProcess } from './agent-process';
import { parseNumbered } from './numbered-line-writer';

export interface MonitoredSpec {
  path: string;
  /** Syslog tag (with colon) and the TAG written inside each numbered line (without). */
  tag: string;
}

export function agentConfigText(opts: {
  workDirectory: string;
  files: MonitoredSpec[];
  port: number;
  /** Messages the memory queue holds before spilling to disk (rsyslog `queue.size`). */
  queueSize?: number;
  pollingIntervalSeconds?: number;
  /** tcp: omfwd (LF framing); relp: omrelp, which confirms each message at the application level. */
  protocol?: 'tcp' | 'relp';
  /** More action parameters, written as they are, e.g. `windowSize="4"`. */
  actionParams?: string;
}): string {
  const queue = (opts.queueSize !== undefined ? ` queue.size="${opts.queueSize}"` : '') + (opts.actionParams ? ` ${opts.actionParams}` : '');
  const action = opts.protocol === 'relp'
    ? `action(type="omrelp" target="127.0.0.1" port="${opts.port}"${queue})`
    : `action(type="omfwd" target="127.0.0.1" port="${opts.port}" protocol="tcp"${queue})`;
  return [
    `global(workDirectory="${opts.workDirectory}")`,
    `module(load="imfile" mode="inotify" PollingInterval="${opts.pollingIntervalSeconds ?? 1}")`,
    ...opts.files.map((f) => `input(type="imfile" File="${f.path}" Tag="${f.tag}:" Facility="local7" Severity="info")`),
    `local7.* ${action}`,
    '',
  ].join('\n');
}

/** A temp dir with the agent's config, work dir and log, and every collector started on one port (restarts included). */
export class ShippingFixture {
  readonly dir = makeTempDir('agent-e2e');
  readonly workDir = path.join(this.dir, 'work');
  readonly configFile = path.join(this.dir, 'agent.conf');
  readonly collectors: SyslogCollector[] = [];
  port = 0;
  agent: AgentProcess | undefined;

  constructor(readonly protocol: 'tcp' | 'relp' = 'tcp') {
    fs.mkdirSync(this.workDir);
  }

  async startCollector(): Promise<SyslogCollector> {
    const c = await SyslogCollector.start({ protocol: this.protocol, port: this.port || undefined, keepDirectory: true });
    this.port = c.port;
    this.collectors.push(c);
    return c;
  }

  get collector(): SyslogCollector {
    return this.collectors[this.collectors.length - 1];
  }

  writeConfig(files: MonitoredSpec[], extra: { queueSize?: number; actionParams?: string } = {}): void {
    fs.writeFileSync(this.configFile, agentConfigText({ workDirectory: this.workDir, files, port: this.port, protocol: this.protocol, ...extra }));
  }

  async startAgent(): Promise<AgentProcess> {
    this.agent = new AgentProcess({ configFile: this.configFile, workDir: this.workDir, logFile: path.join(this.dir, 'agent.log') });
    await this.agent.start();
    return this.agent;
  }

  /** Every message received by every collector instance, in order. */
  allMessages(): Buffer[] {
    return this.collectors.flatMap((c) => c.messages());
  }

  tally(): ReceivedTally {
    return tallyNumbered(this.allMessages());
  }

  async cleanup(): Promise<void> {
    await AgentProcess.killAll();
    for (const c of this.collectors) await c.stop().catch(() => undefined);
    for (const c of this.collectors) fs.rmSync(c.dir, { recursive: true, force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface TagTally {
  /** How often each sequence number arrived. */
  counts: Map<number, number>;
  /** Arrival positions where a sequence number was lower than one already seen (reordering or re-send). */
  outOfOrder: number;
}

export type ReceivedTally = Map<string, TagTally>;

export function tallyNumbered(messages: Buffer[]): ReceivedTally {
  const tally: ReceivedTally = new Map();
  const highest = new Map<string, number>();
  for (const m of messages) {
    const n = parseNumbered(m.toString('latin1'));
    if (!n) continue;
    let t = tally.get(n.tag);
    if (!t) tally.set(n.tag, (t = { counts: new Map(), outOfOrder: 0 }));
    t.counts.set(n.seq, (t.counts.get(n.seq) ?? 0) + 1);
    if (n.seq < (highest.get(n.tag) ?? -1)) t.outOfOrder++;
    highest.set(n.tag, Math.max(n.seq, highest.get(n.tag) ?? -1));
  }
  return tally;
}

export interface DeliveryReport {
  tag: string;
  written: number;
  distinctReceived: number;
  missing: number[];
  /** Extra copies beyond the first, summed over all lines. */
  duplicates: number;
  outOfOrder: number;
}

/** Compares what was written (sequence numbers 0..count-1 per tag) with what arrived. */
export function deliveryReport(written: Array<{ tag: string; count: number }>, tally: ReceivedTally): DeliveryReport[] {
  return written.map(({ tag, count }) => {
    const t = tally.get(tag) ?? { counts: new Map<number, number>(), outOfOrder: 0 };
    const missing: number[] = [];
    let duplicates = 0;
    for (let s = 0; s < count; s++) {
      const c = t.counts.get(s) ?? 0;
      if (c === 0) missing.push(s);
      else duplicates += c - 1;
    }
    return { tag, written: count, distinctReceived: count - missing.length, missing, duplicates, outOfOrder: t.outOfOrder };
  });
}

/** True once every written line of every tag arrived at least once. */
export function allArrived(written: Array<{ tag: string; count: number }>, tally: ReceivedTally): boolean {
  return deliveryReport(written, tally).every((r) => r.missing.length === 0);
}

export function describeReport(reports: DeliveryReport[]): string {
  return reports.map((r) => `${r.tag}: written ${r.written}, received ${r.distinctReceived}, missing ${r.missing.length}` +
    (r.missing.length ? ` (first ${r.missing.slice(0, 10).join(',')})` : '') + `, duplicates ${r.duplicates}, out of order ${r.outOfOrder}`).join('; ');
}

/** Asserts exactly-once, in-order delivery of every written line (the guarantee for restarts and outages). */
export function expectExactlyOnceInOrder(written: Array<{ tag: string; count: number }>, tally: ReceivedTally, label = ''): void {
  for (const r of deliveryReport(written, tally)) {
    expect(r.missing, `${label}${r.tag} missing`).to.deep.equal([]);
    expect(r.duplicates, `${label}${r.tag} duplicates`).to.equal(0);
    expect(r.outOfOrder, `${label}${r.tag} out of order`).to.equal(0);
  }
}
