// The sensor's data path, wired once: CaptureSource → PacketDecoder → ConnTracker (with the analyzer registry) →
// log writers. Owns the end of a run: flush every open connection, write #close, even when the capture fails midway.

import { AnalyzerRegistry } from './analyzers/registry';
import { shippedRegistry } from './analyzers/shipped-analyzers';
import { CaptureFileError } from './capture/capture-file-error';
import type { CaptureSource, ProgressHandler } from './capture/capture-source';
import { isReadableLinkType, unreadableLinkTypeMessage } from './capture/link-types';
import { transportChecksumOk } from './decode/checksum';
import { DecodedPacket } from './decode/decoded-packet';
import { PacketDecoder } from './decode/packet-decoder';
import { ConnRecord, WeirdRecord } from './flows/conn-record';
import { ConnTracker } from './flows/conn-tracker';
import { LocalNetworks } from './flows/local-networks';
import { UidSource } from './flows/uid';
import { connLog } from './logs/conn-log';
import { LogWriterSet, RotatedLog } from './logs/log-writer-set';
import { ChecksumOffloadCheck, ChecksumOffloadVerdict } from './checksum-offload-check';
import { packetWeirdReporter } from './logs/packet-weirds';
import { weirdLog } from './logs/weird-log';
import { WeirdPolicy, WeirdPolicyOptions } from './logs/weird-policy';

/** Timers due before a rotation boundary fire this much before it, so their rows go to the files being closed. */
const ROTATION_EPSILON_SEC = 1e-6;

/** Zeek's peer_description default: the weird.log `peer` column. */
export const SENSOR_PEER = 'zeek';

export interface SensorPipelineOptions {
  source: CaptureSource;
  logs: LogWriterSet;
  localNets: LocalNetworks;
  /** Defaults to every shipped analyzer (shippedRegistry()), with Zeek's default likely server ports. */
  analyzers?: AnalyzerRegistry;
  uidSource?: UidSource;
  /** Zeek's -C: accept packets with bad IP/TCP/UDP checksums. */
  ignoreChecksums?: boolean;
  /**
   * Called once if most TCP or UDP checksums are bad (checksum offloading; see ChecksumOffloadCheck), at most ten
   * seconds of network time into the capture or at its end. The verdict also stays in stats().
   */
  onChecksumOffloading?: (verdict: ChecksumOffloadVerdict) => void;
  /**
   * Live capture: rows reach the disk at least this often (ms), and idle connections expire by wall clock when no
   * packets arrive. File mode needs neither: buffers flush when full and at the end.
   */
  liveFlushIntervalMs?: number;
  onProgress?: ProgressHandler;
  /** Weird sampling and logging policy; Zeek's defaults when absent. */
  weirdPolicy?: Partial<WeirdPolicyOptions>;
  /** Log rotation (Zeek's Log::default_rotation_interval); none when absent. */
  rotation?: LogRotationOptions;
  /** Most connections tracked at once (ConnTracker's maxConnections; default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Keep each connection's MAC addresses for conn.log's orig_l2_addr / resp_l2_addr (Zeek's mac-logging). */
  recordL2Addresses?: boolean;
  /** Buffered out-of-order TCP bytes over all connections (default DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES). */
  maxTotalReassemblyBytes?: number;
}

export interface LogRotationOptions {
  /**
   * Every log is closed and renamed (`conn.<open time>.log`) when network time reaches a multiple of this many
   * seconds (on the hour for 3600, as broctl rotates), and once more at the end of the run.
   */
  intervalSeconds: number;
  /** Called with the files each rotation closed; `terminating` for the last one, at the end of the run. */
  onRotated: (files: RotatedLog[], terminating: boolean) => void;
}

export interface SensorRunSummary {
  packets: number;
  /** Packets handed to connection tracking (IP, decoded). */
  ipPackets: number;
  connections: number;
  /** weird.log rows written (after Zeek's sampling and weird policy). */
  weirds: number;
}

/** A rotation interval the pipeline accepts: a whole positive number of seconds. */
export function isRotationInterval(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds > 0;
}

/** The run's counters so far, and connections still open (for status files and stats lines while it runs). */
export interface SensorPipelineStats extends SensorRunSummary {
  activeConnections: number;
  /** Connections ended early because the connection limit was reached (each still logged). */
  evictedConnections: number;
  /** Network-time timers pending (follows activeConnections: dead timers are dropped). */
  pendingTimers: number;
  /** Out-of-order TCP bytes buffered over all connections now. */
  reassemblyBytes: number;
  /** Times the global reassembly budget made a stream skip ahead over its holes. */
  reassemblyOverflows: number;
  /** Set once most TCP/UDP checksums were found bad (checksum offloading): what to tell the operator. */
  checksumOffloading?: ChecksumOffloadVerdict;
}

export class SensorPipeline {
  private readonly decoder: PacketDecoder;
  private readonly tracker: ConnTracker;
  private readonly analyzers: AnalyzerRegistry;
  private readonly pkt = new DecodedPacket();
  private readonly summary: SensorRunSummary = { packets: 0, ipPackets: 0, connections: 0, weirds: 0 };
  private lastSecond = -1;
  /** Network time (seconds) of the next rotation; -1 until the first packet sets the clock. */
  private nextRotation = -1;
  private running = false;
  /** Live capture words the checksum-offloading warning for an interface; a file for a capture file. */
  private readonly offload: ChecksumOffloadCheck;

  constructor(private readonly opts: SensorPipelineOptions) {
    this.offload = new ChecksumOffloadCheck(opts.liveFlushIntervalMs === undefined);
    const interval = opts.rotation?.intervalSeconds;
    if (interval !== undefined && !isRotationInterval(interval)) {
      throw new Error(`log rotation interval must be a whole positive number of seconds, not ${interval}`);
    }
    const logs = opts.logs;
    // Every weird, from the decoder or from connection tracking, passes Zeek's sampling and weird policy first.
    const weirds = new WeirdPolicy((rec: WeirdRecord): void => {
      this.summary.weirds++;
      logs.write(weirdLog, rec);
    }, opts.weirdPolicy, (rec) => this.offload.countWeird(rec.name));
    const onConnection = (rec: ConnRecord): void => {
      this.summary.connections++;
      weirds.connectionEnded(rec.uid);
      logs.write(connLog, rec);
    };
    const onWeird = (rec: WeirdRecord): void => {
      weirds.report(rec);
    };
    this.decoder = new PacketDecoder(packetWeirdReporter(onWeird, SENSOR_PEER), { ignoreChecksums: opts.ignoreChecksums });
    this.analyzers = opts.analyzers ?? shippedRegistry();
    this.analyzers.shared.localNets = opts.localNets;
    this.tracker = new ConnTracker({
      localNets: opts.localNets,
      analyzers: this.analyzers,
      onConnection,
      onWeird,
      // Analyzers' own logs (dns.log, http.log, ...) go to the same writer set: same directory, profile and format.
      onLog: (schema, record) => logs.write(schema, record),
      uidSource: opts.uidSource,
      // Without a checksum verdict the tracker accepts every packet (Zeek -C).
      checksum: opts.ignoreChecksums ? undefined : transportChecksumOk,
      maxConnections: opts.maxConnections,
      recordL2Addresses: opts.recordL2Addresses,
      maxTotalReassemblyBytes: opts.maxTotalReassemblyBytes,
    });
  }

  /**
   * Reads the source to its end (or until stop()), then flushes every connection and closes the logs. A capture error
   * (damaged file) is rethrown after the logs are complete for the packets before it.
   */
  async run(): Promise<SensorRunSummary> {
    if (this.running) throw new Error('sensor pipeline is already running');
    this.running = true;
    const { source, logs } = this.opts;
    const decoder = this.decoder;
    const tracker = this.tracker;
    const pkt = this.pkt;
    const summary = this.summary;
    let timer: NodeJS.Timeout | undefined;
    if (this.opts.liveFlushIntervalMs !== undefined) {
      timer = setInterval(() => {
        // Idle link: let wall-clock time expire connections (and rotate logs) as Zeek's live mode does.
        const now = Math.floor(Date.now() / 1000);
        if (now > this.lastSecond) this.newSecond(now);
        logs.flush();
      }, this.opts.liveFlushIntervalMs);
    }
    let failure: unknown;
    /** The last link type seen and found readable (pcapng interfaces and live links name theirs per packet). */
    let readableLinkType = -1;
    try {
      await source.run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
        if (linkType !== readableLinkType) {
          if (!isReadableLinkType(linkType)) throw new CaptureFileError(`${source.description}: ${unreadableLinkTypeMessage(linkType)}`);
          readableLinkType = linkType;
        }
        summary.packets++;
        // Timers run on the packet clock; once per second of capture time is enough for Zeek's timeouts.
        if (tsSec > this.lastSecond) this.newSecond(tsSec);
        if (decoder.decode(linkType, frame, offset, capLength, wireLength, tsSec, tsUsec, pkt)) {
          summary.ipPackets++;
          tracker.processPacket(pkt);
        }
      }, this.opts.onProgress);
    } catch (err) {
      failure = err;
    } finally {
      if (timer) clearInterval(timer);
    }
    tracker.flushAll();
    this.reportOffloading(this.offload.atEnd(summary.packets));
    // After every connection ended, as Zeek's zeek_done: analyzers write what they kept across connections.
    this.analyzers.shared.endOfInput();
    // Zeek rotates once more when it terminates, so the last stretch of rows is handed on like every other.
    if (this.opts.rotation) this.opts.rotation.onRotated(logs.rotate(), true);
    logs.close();
    if (failure !== undefined) throw failure;
    return { ...summary };
  }

  /**
   * Network time reached a new second: expire connections and, when a rotation boundary lies in between, rotate the
   * logs at it: rows of connections that ended before the boundary stay in the old files, later ones start the new.
   */
  private newSecond(sec: number): void {
    this.lastSecond = sec;
    const logs = this.opts.logs;
    const rotation = this.opts.rotation;
    if (rotation !== undefined) {
      const interval = rotation.intervalSeconds;
      if (this.nextRotation < 0) this.nextRotation = (Math.floor(sec / interval) + 1) * interval;
      if (sec >= this.nextRotation) {
        // Named for the boundary even when the first packet past it came later (a quiet second has no packets).
        const boundary = Math.floor(sec / interval) * interval;
        this.nextRotation = boundary + interval;
        this.tracker.advanceTime(boundary - ROTATION_EPSILON_SEC);
        this.analyzers.shared.advanceTime(boundary - ROTATION_EPSILON_SEC);
        this.analyzers.shared.rotation(boundary);
        logs.setNetworkTime(boundary);
        rotation.onRotated(logs.rotate(boundary), false);
      }
    }
    this.tracker.advanceTime(sec);
    this.analyzers.shared.advanceTime(sec);
    logs.setNetworkTime(sec);
    this.reportOffloading(this.offload.atSecond(sec, this.summary.packets));
  }

  private reportOffloading(verdict: ChecksumOffloadVerdict | undefined): void {
    if (verdict !== undefined) this.opts.onChecksumOffloading?.(verdict);
  }

  stats(): SensorPipelineStats {
    const tracker = this.tracker.stats();
    return {
      ...this.summary,
      activeConnections: tracker.active,
      evictedConnections: tracker.evicted,
      pendingTimers: tracker.timers,
      reassemblyBytes: tracker.reassemblyBytes,
      reassemblyOverflows: tracker.reassemblyOverflows,
      ...(this.offload.warning === undefined ? {} : { checksumOffloading: this.offload.warning }),
    };
  }

  /** Stops reading (signal, test): run() then flushes connections, writes #close and resolves. */
  stop(): void {
    this.opts.source.stop();
  }
}
