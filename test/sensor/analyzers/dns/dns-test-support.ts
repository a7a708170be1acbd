// Helpers for the DNS tests: a recording ConnectionContext, and DNS messages built field by field.

import type { ConnectionContext } from '../../../../sensor/analyzers/registry';
import { SharedState } from '../../../../sensor/analyzers/shared-state';
import type { LogSchema } from '../../../../sensor/logs/log-schema';
import type { DnsInfo } from '../../../../sensor/analyzers/dns/dns-log';
import type { FileInfo } from '../../../../sensor/analyzers/files/files-log';

export interface RecordingContext extends ConnectionContext {
  /** Rows of the analyzer's own log (dns.log, http.log). */
  rows: DnsInfo[];
  /** files.log rows (file analysis of the bodies a protocol carries), kept apart from the protocol's own rows. */
  files: FileInfo[];
  /** Rows the shared frameworks wrote from the analyzer's data (software.log, notice.log), with their log's path. */
  frameworkRows: { path: string; record: unknown }[];
  weirds: { name: string; addl?: string }[];
  history: string;
  violations: string[];
  services: string[];
  flips: number;
  now: number;
}

const FRAMEWORK_LOGS = new Set(['software', 'notice']);

export function recordingContext(opts: { proto?: 'udp' | 'tcp'; respAddr?: string; respPort?: number } = {}): RecordingContext {
  const ctx: RecordingContext = {
    rows: [], files: [], frameworkRows: [], weirds: [], history: '', violations: [], services: [], flips: 0, now: 1000,
    uid: 'Ctest', proto: opts.proto ?? 'udp', origAddr: '192.0.2.1', origPort: 40000,
    respAddr: opts.respAddr ?? '192.0.2.53', respPort: opts.respPort ?? 53,
    get networkTime() { return ctx.now; },
    get networkTimeMicros() { return Math.round(ctx.now * 1e6); },
    confirmService(name: string) { if (!ctx.services.includes(name)) ctx.services.push(name); },
    weird(name: string, addl?: string) { ctx.weirds.push(addl === undefined ? { name } : { name, addl }); },
    limitReached(name: string, limit: number, max?: number) {
      ctx.weirds.push({ name, addl: max ? `${limit} > ${max}` : String(limit) });
      if (!ctx.history.includes('X')) ctx.history += 'X';
    },
    log<R>(schema: LogSchema<R>, record: R) {
      if (schema.path === 'files') ctx.files.push({ ...(record as unknown as FileInfo) });
      else if (FRAMEWORK_LOGS.has(schema.path)) ctx.frameworkRows.push({ path: schema.path, record });
      else ctx.rows.push({ ...(record as unknown as DnsInfo) });
    },
    violation(reason: string) { ctx.violations.push(reason); },
    flipRoles() { ctx.flips++; },
    shared: new SharedState(),
  };
  return ctx;
}

/** A DNS name in wire format (no compression). */
export function wireName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

export interface Rr {
  name?: Buffer;
  type: number;
  cls?: number;
  ttl?: number;
  rdata: Buffer;
  /** Override the rdlength field. */
  rdlength?: number;
}

export function rr(r: Rr): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt16BE(r.type, 0);
  h.writeUInt16BE(r.cls ?? 1, 2);
  h.writeUInt32BE(r.ttl ?? 300, 4);
  h.writeUInt16BE(r.rdlength ?? r.rdata.length, 8);
  return Buffer.concat([r.name ?? Buffer.from([0xc0, 12]), h, r.rdata]);
}

/** A message: header fields, one question (unless `questions: []`), the given answer records. */
export function message(m: { id: number; qr?: boolean; opcode?: number; aa?: boolean; rd?: boolean; ra?: boolean; rcode?: number;
  question?: { name: string; type: number; cls?: number } | null; answers?: Buffer[]; counts?: number[]; tail?: Buffer }): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(m.id, 0);
  const flags = (m.qr ? 0x8000 : 0) | ((m.opcode ?? 0) << 11) | (m.aa ? 0x0400 : 0) | (m.rd ? 0x0100 : 0) | (m.ra ? 0x0080 : 0) | (m.rcode ?? 0);
  h.writeUInt16BE(flags, 2);
  const q = m.question === null ? undefined : m.question ?? { name: 'example.org', type: 1 };
  const answers = m.answers ?? [];
  const counts = m.counts ?? [q ? 1 : 0, answers.length, 0, 0];
  for (let i = 0; i < 4; i++) h.writeUInt16BE(counts[i], 4 + i * 2);
  const parts: Buffer[] = [h];
  if (q) {
    const tc = Buffer.alloc(4);
    tc.writeUInt16BE(q.type, 0);
    tc.writeUInt16BE(q.cls ?? 1, 2);
    parts.push(wireName(q.name), tc);
  }
  parts.push(...answers);
  if (m.tail) parts.push(m.tail);
  return Buffer.concat(parts);
}
