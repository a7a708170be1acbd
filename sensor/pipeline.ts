// The sensor's data path, wired once: CaptureSource → PacketDecoder → ConnTracker (with the analyzer registry) →
// log writers. Owns the end of a run: flush every open connection, write #close, even when the capture fails midway.

import { AnalyzerRegistry } from './analyzers/registry';
import type { CaptureSource, ProgressHandler } from './capture/capture-source';
import { formatAddress, transportChecksumOk } from './decode/checksum';
import { DecodedPacket, WeirdReporter } from './decode/decoded-packet';
import { PacketDecoder } from './decode/packet-decoder';
import { ConnRecord, WeirdRecord } from './flows/conn-record';
import { ConnTracker } from './flows/conn-tracker';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from './flows/likely-server-ports';
import { LocalNetworks } from './flows/local-networks';
import { UidSource } from './flows/uid';
import { connLog } from './logs/conn-log';
import { LogWriterSet } from './logs/log-writer-set';
import { weirdLog } from './logs/weird-log';

/** Zeek's peer_description default: the weird.log `peer` column. */
export const SENSOR_PEER = 'zeek';

export interface SensorPipelineOptions {
  source: CaptureSource;
  logs: LogWriterSet;
  localNets: LocalNetworks;
  /** Defaults to one with Zeek's default likely server ports and no analyzers. */
  analyzers?: AnalyzerRegistry;
  uidSource?: UidSource;
  /** Zeek's -C: accept packets with bad IP/TCP/UDP checksums. */
  ignoreChecksums?: boolean;
  /**
   * Live capture: rows reach the disk at least this often (ms), and idle connections expire by wall clock when no
   * packets arrive. File mode needs neither: buffers flush when full and at the end.
   */
  liveFlushIntervalMs?: number;
  onProgress?: ProgressHandler;
}

export interface SensorRunSummary {
  packets: number;
  /** Packets handed to connection tracking (IP, decoded). */
  ipPackets: number;
  connections: number;
  weirds: number;
}

export class SensorPipeline {
  private readonly decoder: PacketDecoder;
  private readonly tracker: ConnTracker;
  private readonly pkt = new DecodedPacket();
  private readonly summary: SensorRunSummary = { packets: 0, ipPackets: 0, connections: 0, weirds: 0 };
  private lastSecond = -1;
  private running = false;

  constructor(private readonly opts: SensorPipelineOptions) {
    const logs = opts.logs;
    const onConnection = (rec: ConnRecord): void => {
      this.summary.connections++;
      logs.write(connLog, rec);
    };
    const onWeird = (rec: WeirdRecord): void => {
      this.summary.weirds++;
      logs.write(weirdLog, rec);
    };
    this.decoder = new PacketDecoder(decoderWeirds(onWeird), { ignoreChecksums: opts.ignoreChecksums });
    this.tracker = new ConnTracker({
      localNets: opts.localNets,
      analyzers: opts.analyzers ?? new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS }),
      onConnection,
      onWeird,
      uidSource: opts.uidSource,
      // Without a checksum verdict the tracker accepts every packet (Zeek -C).
      checksum: opts.ignoreChecksums ? undefined : transportChecksumOk,
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
        // Idle link: let wall-clock time expire connections as Zeek's live mode does.
        const now = Math.floor(Date.now() / 1000);
        if (now > this.lastSecond) {
          this.lastSecond = now;
          tracker.advanceTime(now);
        }
        logs.flush();
      }, this.opts.liveFlushIntervalMs);
    }
    let failure: unknown;
    try {
      await source.run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
        summary.packets++;
        if (tsSec > this.lastSecond) {
          // Timers run on the packet clock; once per second of capture time is enough for Zeek's timeouts.
          this.lastSecond = tsSec;
          tracker.advanceTime(tsSec);
        }
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
    logs.close();
    if (failure !== undefined) throw failure;
    return { ...summary };
  }

  /** Stops reading (signal, test): run() then flushes connections, writes #close and resolves. */
  stop(): void {
    this.opts.source.stop();
  }
}

/**
 * Turns the decoder's weirds into weird.log rows as Zeek does: a flow weird (addresses known, ports 0) once the IP
 * header was decoded, a net weird (no id) below that.
 */
function decoderWeirds(onWeird: (rec: WeirdRecord) => void): WeirdReporter {
  return {
    weird(name: string, pkt: DecodedPacket, addl?: string): void {
      const rec: WeirdRecord = {
        tsSec: pkt.tsSec,
        tsUsec: pkt.tsUsec,
        name,
        addl: addl === '' ? undefined : addl,
        notice: false,
        peer: SENSOR_PEER,
        source: '',
      };
      const v = pkt.ipVersion;
      const len = v === 4 ? 4 : 16;
      if (
        v !== 0 &&
        pkt.srcAddrOffset > 0 &&
        pkt.dstAddrOffset > 0 &&
        pkt.srcAddrOffset + len <= pkt.data.length &&
        pkt.dstAddrOffset + len <= pkt.data.length
      ) {
        rec.origAddr = formatAddress(pkt.data, pkt.srcAddrOffset, v);
        rec.respAddr = formatAddress(pkt.data, pkt.dstAddrOffset, v);
        rec.origPort = 0;
        rec.respPort = 0;
      }
      onWeird(rec);
    },
  };
}
