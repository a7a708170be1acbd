// The one registry protocol analyzers register in, and the contract between connections and analyzers:
// a connection asks the registry which analyzers to attach (by transport and responder port) and feeds them.
// Analyzers write their own logs (dns.log, http.log, ...) through their connection, each declared by one LogSchema,
// so every log shares the connection's uid and the sensor's profile, format and log directory.

import type { LogSchema } from '../logs/log-schema';
import { SharedState } from './shared-state';

export type AnalyzerTransport = 'tcp' | 'udp';

/** What an analyzer instance may know about and do to its connection. */
export interface ConnectionContext {
  readonly uid: string;
  readonly proto: AnalyzerTransport;
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
  /** Network time (seconds) of the packet being processed. */
  readonly networkTime: number;
  /** The same time in whole microseconds: the value of a log's `time` column (e.g. a row's `ts`). */
  readonly networkTimeMicros: number;
  /** The analyzer recognised its protocol: adds `name` to conn.log's service column (once). */
  confirmService(name: string): void;
  /** A weird.log row tied to this connection (source: the analyzer's name). */
  weird(name: string, addl?: string): void;
  /**
   * Zeek's LimitReachedWeird: a weird whose addl is `limit > max` (or `limit` without a max), and `X` in conn.log's
   * history (once per connection).
   */
  limitReached(name: string, limit: number, max?: number): void;
  /** Writes one row to the log `schema` declares (the file is created on its first row, as Zeek does). */
  log<R>(schema: LogSchema<R>, record: R): void;
  /**
   * Zeek's AnalyzerViolation: the traffic is not this analyzer's protocol. As Zeek 8's DPD script does, the analyzer
   * gets no more data after the current call (only end() when the connection ends, to log what it kept); if it had
   * confirmed, its service leaves conn.log's service column and analyzer.log gets a row (once per analyzer and
   * connection) with `reason` and the first 40 bytes of `data` (a byte string, one char per byte; none: unset). Once
   * the connection carried more than 10 KiB of payload, a violation is ignored (DPD::ignore_violations_after).
   */
  violation(reason: string, data?: string): void;
  /** Swaps originator and responder (Zeek's Connection::FlipRoles, e.g. a DNS reply seen before its query). */
  flipRoles(): void;
  /** Cross-connection state shared by every analyzer of the run (expiry on network time, end-of-input hooks). */
  readonly shared: SharedState;
  /**
   * Zeek's TCP IsPartial: no SYN was seen from either side (the capture started mid-connection). Zeek's line-based
   * analyzers (HTTP) skip such connections. Undefined where the connection does not say.
   */
  readonly partial?: boolean;
}

/** One analyzer attached to one connection. Every method is optional; `isOrig` is from the originator's view. */
export interface AnalyzerInstance {
  /** In-order TCP payload (after reassembly). The buffer is only valid during the call. */
  deliverStream?(isOrig: boolean, data: Buffer, offset: number, length: number): void;
  /** `length` bytes of the TCP stream will never arrive (content gap); the stream continues after them. */
  deliverGap?(isOrig: boolean, length: number): void;
  /** One packet's payload as seen (UDP datagrams; TCP segments before reassembly). Valid only during the call. */
  deliverPacket?(isOrig: boolean, data: Buffer, offset: number, length: number): void;
  /**
   * One direction of a TCP stream ended (FIN or RST, after its last in-order byte was delivered): a body delimited by
   * the close ends here. Called at most once per direction.
   */
  endOfStream?(isOrig: boolean): void;
  /** The connection is over (removed from the flow table); flush state, write logs. */
  end?(): void;
}

/**
 * Protocol detection by content (Zeek's DPD signatures): tried on the start of each direction of every connection of
 * its transport, on any port; a match attaches the analyzer, which first gets the bytes already seen (the start of
 * the stream, as Zeek's DPD buffer replays them). `undefined` means "not enough bytes yet": the matcher is asked again
 * with the stream's first bytes so far (up to CONTENT_DETECTION_BUFFER), as a stream signature split over segments.
 */
export interface ContentMatcher {
  readonly proto: AnalyzerTransport;
  matches(isOrig: boolean, data: Buffer, offset: number, length: number): boolean | undefined;
}

/** Bytes of each direction kept for content detection while a matcher needs more (Zeek's dpd_buffer_size). */
export const CONTENT_DETECTION_BUFFER = 1024;

export interface Analyzer {
  /** Zeek's analyzer name (`DNS`); `--disable-analyzer` takes it in any case. */
  readonly name: string;
  /** One line for `nsm sensor --list-analyzers`. */
  readonly description?: string;
  /** Ports it is tried on (Zeek's likely_server_ports). */
  readonly ports: { proto: AnalyzerTransport; port: number }[];
  /** Content signatures that attach it on any port (none: port-based only, as Zeek's DNS). */
  readonly detect?: readonly ContentMatcher[];
  create(conn: ConnectionContext): AnalyzerInstance;
}

export class AnalyzerRegistry {
  private readonly analyzers: Analyzer[] = [];
  /** Key: proto and port as one number (tcp: port, udp: 65536 + port). */
  private readonly byPort = new Map<number, Analyzer[]>();
  private readonly likelyServerPorts = new Set<number>();
  private readonly detectors: { tcp: Analyzer[]; udp: Analyzer[] } = { tcp: [], udp: [] };
  /** State analyzers share across connections; the pipeline advances its clock and calls its hooks. */
  readonly shared = new SharedState();

  /**
   * `likelyServerPorts` seeds the set Zeek's role-flipping heuristic consults (in addition to every registered
   * analyzer's ports); pass ZEEK_DEFAULT_LIKELY_SERVER_PORTS to flip connections exactly as default Zeek does.
   */
  constructor(opts: { likelyServerPorts?: { readonly tcp: readonly number[]; readonly udp: readonly number[] } } = {}) {
    for (const port of opts.likelyServerPorts?.tcp ?? []) this.likelyServerPorts.add(portKey('tcp', port));
    for (const port of opts.likelyServerPorts?.udp ?? []) this.likelyServerPorts.add(portKey('udp', port));
  }

  register(analyzer: Analyzer): void {
    if (this.analyzers.some((a) => a.name === analyzer.name)) {
      throw new Error(`analyzer "${analyzer.name}" is already registered`);
    }
    this.analyzers.push(analyzer);
    for (const { proto, port } of analyzer.ports) {
      const key = portKey(proto, port);
      this.likelyServerPorts.add(key);
      const list = this.byPort.get(key);
      if (list) list.push(analyzer);
      else this.byPort.set(key, [analyzer]);
    }
    for (const matcher of analyzer.detect ?? []) {
      const list = this.detectors[matcher.proto];
      if (!list.includes(analyzer)) list.push(analyzer);
    }
  }

  /** Analyzers with a content signature for this transport (tried on connections their ports did not attach them to). */
  detectorsFor(proto: AnalyzerTransport): readonly Analyzer[] {
    return this.detectors[proto];
  }

  /** Analyzers to attach to a new connection, chosen by transport and responder port. */
  forConnection(proto: AnalyzerTransport, respPort: number): Analyzer[] {
    return this.byPort.get(portKey(proto, respPort)) ?? [];
  }

  /** Zeek's IsLikelyServerPort: used to decide who the originator is when the first packet is no plain SYN. */
  isLikelyServerPort(proto: AnalyzerTransport, port: number): boolean {
    return this.likelyServerPorts.has(portKey(proto, port));
  }

  /** Every registered analyzer, in registration order. */
  list(): readonly Analyzer[] {
    return this.analyzers;
  }
}

function portKey(proto: AnalyzerTransport, port: number): number {
  return proto === 'tcp' ? port : 65536 + port;
}
