// The analyzers attached to one connection, and the only place that calls them: every delivery goes through one
// try/catch per call (an analyzer that throws is removed from that connection with an `analyzer_failed` weird and the
// run goes on), protocol violations detach (and, for a confirmed analyzer, write analyzer.log and take back its
// service, as Zeek 8's DPD and analyzer logging scripts do), and content signatures attach analyzers on any port.

import type { LogSchema } from '../logs/log-schema';
import { analyzerLog, FAILURE_DATA_MAX_SIZE } from './analyzer-log';
import { CONTENT_DETECTION_BUFFER } from './registry';
import type { Analyzer, AnalyzerInstance, AnalyzerTransport, ConnectionContext } from './registry';
import type { SharedState } from './shared-state';

/** What the set needs from its connection (sensor/flows/connection.ts implements it). */
export interface AnalyzedConnection {
  readonly uid: string;
  readonly proto: string;
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
  readonly networkTime: number;
  readonly services: string[];
  /**
   * Payload bytes one side has sent so far, as conn.log's orig_bytes/resp_bytes would count them now (TCP: by sequence
   * numbers, the current packet included). Zeek's DPD::ignore_violations_after is checked against both sides' sum.
   */
  payloadBytes(isOrig: boolean): number;
  /** Zeek's history string (TCP: which SYNs were seen); optional for connections that keep none. */
  readonly history?: string;
  weird(name: string, addl?: string, source?: string): void;
  /** Adds `code` to the history the first time `mask` is seen (Zeek's CheckHistory). */
  checkHistory(mask: number, code: string): boolean;
  flipRoles(): void;
  readonly host: { log<R>(schema: LogSchema<R>, record: R): void };
}

/**
 * nsm's weird for an analyzer that threw (Zeek's C++ analyzers do not throw; its Spicy analyzers turn a parse error
 * into a protocol violation, which has no weird): addl is `NAME: message`, source the analyzer's name.
 */
export const ANALYZER_FAILED_WEIRD = 'analyzer_failed';

/**
 * Zeek's DPD::ignore_violations_after: a violation once the connection carried more payload than this (both sides)
 * is ignored, the analyzer stays attached.
 */
export const IGNORE_VIOLATIONS_AFTER = 10 * 1024;

/** The history bit for Zeek's HIST_ANALYZER_LIMIT_REACHED (`X`): above every bit the TCP and UDP code use. */
const HIST_ANALYZER_LIMIT_REACHED = 0x40000000;

/** One analyzer on one connection: its instance and its view of the connection. */
class Attached implements ConnectionContext {
  instance: AnalyzerInstance = {};
  removed = false;
  violated = false;
  /** A violation raised during the current delivery, applied when that delivery returns (see AnalyzerSet.violation). */
  pendingViolation: { reason: string; data: string | undefined } | undefined = undefined;

  constructor(
    private readonly set: AnalyzerSet,
    private readonly conn: AnalyzedConnection,
    readonly analyzer: Analyzer,
    readonly shared: SharedState,
  ) {}

  get uid(): string { return this.conn.uid; }
  get proto(): AnalyzerTransport { return this.conn.proto === 'udp' ? 'udp' : 'tcp'; }
  get origAddr(): string { return this.conn.origAddr; }
  get origPort(): number { return this.conn.origPort; }
  get respAddr(): string { return this.conn.respAddr; }
  get respPort(): number { return this.conn.respPort; }
  get networkTime(): number { return this.conn.networkTime; }
  get partial(): boolean | undefined {
    const h = this.conn.history;
    return h === undefined || this.conn.proto !== 'tcp' ? undefined : !/[SH]/i.test(h);
  }
  // Exact: a capture time in seconds with 6 decimals is within a quarter microsecond of its double.
  get networkTimeMicros(): number { return Math.round(this.conn.networkTime * 1e6); }

  confirmService(name: string): void {
    const service = name.toLowerCase();
    if (!this.conn.services.includes(service)) this.conn.services.push(service);
  }

  weird(name: string, addl?: string): void {
    this.conn.weird(name, addl ?? '', this.analyzer.name);
  }

  limitReached(name: string, limit: number, max?: number): void {
    this.conn.weird(name, max !== undefined && max > 0 ? `${limit} > ${max}` : String(limit), this.analyzer.name);
    this.conn.checkHistory(HIST_ANALYZER_LIMIT_REACHED, 'X');
  }

  log<R>(schema: LogSchema<R>, record: R): void {
    this.conn.host.log(schema, record);
  }

  violation(reason: string, data?: string): void {
    this.set.violation(this, reason, data);
  }

  flipRoles(): void {
    this.conn.flipRoles();
  }
}

export class AnalyzerSet {
  /** Replaced (never mutated) on detach, so a delivery loop keeps iterating the array it started with. */
  private active: Attached[] = [];
  /**
   * Analyzers a protocol violation detached: they get no more data, but still end() with the connection, as Zeek's
   * script-level state of a disabled analyzer is still finalized when the connection goes (DNS logs what is pending).
   */
  private violated: Attached[] = [];
  /** Content-detected analyzers not yet tried, and which directions have had their first payload looked at. */
  private candidates: readonly Analyzer[];
  private directionsTried = 0;
  /**
   * Per direction (0 originator, 1 responder), the stream's first bytes while a matcher asked for more (TCP only):
   * bounded by CONTENT_DETECTION_BUFFER, dropped once detection is decided.
   */
  private readonly prefix: (Buffer | undefined)[] = [undefined, undefined];
  /** Zeek's c$failed_analyzers: analyzers (by name) that violated after confirming; analyzer.log has their row. */
  private failedAnalyzers: string[] | undefined;
  /** Analyzers whose violation waits for the current delivery to return. */
  private pendingViolations: Attached[] | undefined;
  /**
   * Stream bytes (TCP) kept, once an analyzer was detached by a violation, for an analyzer a signature re-attaches on
   * the direction not yet tried (Zeek's PIA stream buffer, dpd_buffer_size bytes): from the violating payload on.
   */
  private replayBuffer: { isOrig: boolean; data: Buffer }[] | undefined;
  private replayBytes = 0;

  constructor(
    private readonly conn: AnalyzedConnection,
    private readonly shared: SharedState,
    byPort: readonly Analyzer[],
    detectors: readonly Analyzer[],
  ) {
    for (let i = 0; i < byPort.length; i++) this.attach(byPort[i]);
    // Port-attached analyzers keep their signatures: one that matches while the analyzer is still attached does
    // nothing, one that matches after a violation detached it attaches it again (Zeek's PIA, e.g. dpd_http_server).
    this.candidates = detectors;
  }

  get isEmpty(): boolean {
    return this.active.length === 0 && this.candidates.length === 0;
  }

  deliverPacket(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    if (this.candidates.length > 0) this.detect(isOrig, data, offset, length);
    const list = this.active;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.removed || a.instance.deliverPacket === undefined) continue;
      try {
        a.instance.deliverPacket(isOrig, data, offset, length);
      } catch (err) {
        this.failed(a, err);
      }
    }
    if (this.pendingViolations !== undefined) this.applyViolations();
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    if (this.candidates.length > 0) this.detect(isOrig, data, offset, length);
    const list = this.active;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.removed || a.instance.deliverStream === undefined) continue;
      try {
        a.instance.deliverStream(isOrig, data, offset, length);
      } catch (err) {
        this.failed(a, err);
      }
    }
    if (this.pendingViolations !== undefined) this.applyViolations();
    if (this.replayBuffer !== undefined || (this.violated.length > 0 && this.candidates.length > 0)) {
      this.keepForReplay(isOrig, data, offset, length);
    }
  }

  deliverGap(isOrig: boolean, length: number): void {
    const list = this.active;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.removed || a.instance.deliverGap === undefined) continue;
      try {
        a.instance.deliverGap(isOrig, length);
      } catch (err) {
        this.failed(a, err);
      }
    }
    if (this.pendingViolations !== undefined) this.applyViolations();
  }

  endOfStream(isOrig: boolean): void {
    const list = this.active;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.removed || a.instance.endOfStream === undefined) continue;
      try {
        a.instance.endOfStream(isOrig);
      } catch (err) {
        this.failed(a, err);
      }
    }
    if (this.pendingViolations !== undefined) this.applyViolations();
  }

  /** The connection ended: every analyzer's end() (those detached by a violation too), each guarded. */
  end(): void {
    const list = this.violated.length === 0 ? this.active : [...this.violated, ...this.active];
    this.candidates = [];
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if ((a.removed && !a.violated) || a.instance.end === undefined) continue;
      try {
        a.instance.end();
      } catch (err) {
        this.failed(a, err);
      }
    }
    if (this.pendingViolations !== undefined) this.applyViolations();
    this.replayBuffer = undefined;
  }

  /**
   * A violation takes effect when the current delivery returns, as Zeek's DPD script acts on the violation event after
   * the packet: the analyzer still gets the rest of that delivery (a signature's replay and the payload that matched).
   */
  violation(a: Attached, reason: string, data: string | undefined): void {
    if (a.removed || a.pendingViolation !== undefined) return;
    a.pendingViolation = { reason, data };
    (this.pendingViolations ??= []).push(a);
  }

  /**
   * Zeek 8's DPD and analyzer logging scripts on analyzer_violation_info: ignored past IGNORE_VIOLATIONS_AFTER bytes;
   * otherwise the analyzer is detached and, when its service was confirmed, the service leaves conn.log and (the first
   * time for that analyzer on this connection) analyzer.log gets a row.
   */
  private applyViolations(): void {
    const list = this.pendingViolations ?? [];
    this.pendingViolations = undefined;
    for (const a of list) {
      const v = a.pendingViolation;
      a.pendingViolation = undefined;
      if (v !== undefined && !a.removed) this.applyViolation(a, v.reason, v.data);
    }
  }

  private applyViolation(a: Attached, reason: string, data: string | undefined): void {
    const conn = this.conn;
    if (conn.payloadBytes(true) + conn.payloadBytes(false) > IGNORE_VIOLATIONS_AFTER) return;
    a.violated = true;
    this.detach(a);
    const name = a.analyzer.name;
    const at = conn.services.indexOf(name.toLowerCase());
    if (at < 0) return;
    conn.services.splice(at, 1);
    const failed = (this.failedAnalyzers ??= []);
    if (failed.includes(name)) return;
    failed.push(name);
    conn.host.log(analyzerLog, {
      tsMicros: a.networkTimeMicros, kind: 'protocol', name, uid: conn.uid, origAddr: conn.origAddr,
      origPort: conn.origPort, respAddr: conn.respAddr, respPort: conn.respPort, proto: a.proto, reason,
      data: data === undefined ? undefined : data.slice(0, FAILURE_DATA_MAX_SIZE),
    });
  }

  detach(a: Attached): void {
    if (a.removed) return;
    a.removed = true;
    this.active = this.active.filter((x) => x !== a);
    if (a.violated) this.violated.push(a);
  }

  private attach(analyzer: Analyzer): Attached | undefined {
    const a = new Attached(this, this.conn, analyzer, this.shared);
    try {
      a.instance = analyzer.create(a);
    } catch (err) {
      this.conn.weird(ANALYZER_FAILED_WEIRD, `${analyzer.name}: ${messageOf(err)}`, analyzer.name);
      return undefined;
    }
    this.active = [...this.active, a];
    return a;
  }

  /**
   * Start of a direction: attach every candidate whose signature matches it. A matcher that needs more bytes (TCP) is
   * asked again with the direction's first bytes so far, up to CONTENT_DETECTION_BUFFER; an analyzer attached then
   * first gets the bytes of both directions seen before this payload.
   */
  private detect(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    const bit = isOrig ? 1 : 2;
    if ((this.directionsTried & bit) !== 0 || length === 0) return;
    const proto: AnalyzerTransport = this.conn.proto === 'udp' ? 'udp' : 'tcp';
    const dir = isOrig ? 0 : 1;
    const before = this.prefix[dir];
    let buf = data;
    let off = offset;
    let len = length;
    if (before !== undefined) {
      buf = Buffer.concat([before, data.subarray(offset, offset + Math.min(length, CONTENT_DETECTION_BUFFER - before.length))]);
      off = 0;
      len = buf.length;
    }
    const left: Analyzer[] = [];
    let undecided = false;
    for (const analyzer of this.candidates) {
      let hit: boolean | undefined = false;
      let wantsMore = false;
      for (const m of analyzer.detect ?? []) {
        if (m.proto !== proto) continue;
        try {
          hit = m.matches(isOrig, buf, off, len);
        } catch (err) {
          hit = false;
          this.conn.weird(ANALYZER_FAILED_WEIRD, `${analyzer.name}: ${messageOf(err)}`, analyzer.name);
        }
        if (hit === true) break;
        if (hit === undefined) wantsMore = true;
      }
      if (hit === true) {
        // A signature fires once per direction; it attaches nothing while the analyzer is attached (Zeek's PIA).
        if (!this.active.some((x) => x.analyzer === analyzer)) {
          const a = this.attach(analyzer);
          if (a !== undefined) this.replay(a, isOrig, before);
        }
      } else if (wantsMore) {
        undecided = true;
      }
      left.push(analyzer);
    }
    if (undecided && proto === 'tcp' && len < CONTENT_DETECTION_BUFFER) {
      this.prefix[dir] = Buffer.from(buf.subarray(off, off + len));
    } else {
      this.directionsTried |= bit;
      this.prefix[dir] = undefined;
    }
    if (this.directionsTried === 3) {
      this.candidates = [];
      this.prefix[0] = this.prefix[1] = undefined;
      this.replayBuffer = undefined;
    } else {
      this.candidates = left;
    }
  }

  /**
   * An analyzer attached by content gets what was seen before the payload that matched: the other side, then this; or,
   * re-attached after a violation, the stream from the violating payload on (keepForReplay).
   */
  private replay(a: Attached, isOrig: boolean, before: Buffer | undefined): void {
    const other = this.prefix[isOrig ? 1 : 0];
    const deliver = a.instance.deliverStream;
    if (deliver === undefined) return;
    try {
      for (const chunk of this.replayBuffer ?? []) {
        if (!a.removed) deliver.call(a.instance, chunk.isOrig, chunk.data, 0, chunk.data.length);
      }
      if (other !== undefined && !a.removed) deliver.call(a.instance, !isOrig, other, 0, other.length);
      if (before !== undefined && !a.removed) deliver.call(a.instance, isOrig, before, 0, before.length);
    } catch (err) {
      this.failed(a, err);
    }
  }

  /**
   * After a violation, while a signature may still re-attach an analyzer: this payload is kept for its replay (a
   * direction whose start is still kept in `prefix` is not), up to CONTENT_DETECTION_BUFFER bytes in all.
   */
  private keepForReplay(isOrig: boolean, data: Buffer, offset: number, length: number): void {
    if (this.candidates.length === 0 || this.conn.proto !== 'tcp') {
      this.replayBuffer = undefined;
      return;
    }
    if (this.prefix[isOrig ? 0 : 1] !== undefined || this.replayBytes >= CONTENT_DETECTION_BUFFER) return;
    const n = Math.min(length, CONTENT_DETECTION_BUFFER - this.replayBytes);
    (this.replayBuffer ??= []).push({ isOrig, data: Buffer.from(data.subarray(offset, offset + n)) });
    this.replayBytes += n;
  }

  private failed(a: Attached, err: unknown): void {
    // A throw is not a violation: the instance's state is suspect, so it does not get end() either.
    a.violated = false;
    this.violated = this.violated.filter((x) => x !== a);
    this.detach(a);
    this.conn.weird(ANALYZER_FAILED_WEIRD, `${a.analyzer.name}: ${messageOf(err)}`, a.analyzer.name);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
