// What a running sensor is doing, for its operators: a status file rewritten every few seconds (for `nsm status`) and,
// in live capture, a stats line in its own log at a fixed interval (Zeek's stats.log and capture-loss figures): packets
// and their rate, kernel drops and the loss ratio, connections open and logged, weirds.

import type { LiveCaptureStats } from './capture/live-capture-source';
import type { Logger } from '../src/core/logger';
import type { SensorPipelineStats } from './pipeline';

export const SENSOR_STATUS_FILE_NAME = 'sensor-status.json';

export interface SensorCaptureLoss {
  /** libpcap ps_recv: packets that passed the filter, dropped ones included (Linux). */
  kernelReceived: number;
  /** libpcap ps_drop: lost because the capture buffer was full (the sensor fell behind). */
  kernelDropped: number;
  /** libpcap ps_ifdrop: dropped by the interface. */
  interfaceDropped: number;
  /** kernelDropped / kernelReceived, in percent (Zeek's capture_loss percent_lost). */
  lossPercent: number;
}

export interface SensorStatus extends SensorPipelineStats {
  mode: 'live' | 'file';
  /** The interface or the capture file. */
  source: string;
  filter?: string;
  logDir: string;
  /** Live capture only, once libpcap reports it. */
  capture?: SensorCaptureLoss;
}

/** Packets the kernel dropped, in percent of what passed the filter (Zeek's capture_loss percent_lost). */
export function lossPercentOf(stats: LiveCaptureStats): number {
  // Linux's ps_recv already includes the dropped packets, so it is the base for the loss ratio.
  return stats.kernelReceived > 0 ? (100 * stats.kernelDropped) / stats.kernelReceived : 0;
}

/** The loss figures from libpcap's counters (undefined before the capture is open). */
export function captureLoss(stats: LiveCaptureStats | undefined): SensorCaptureLoss | undefined {
  if (stats === undefined) return undefined;
  const lossPercent = lossPercentOf(stats);
  return {
    kernelReceived: stats.kernelReceived,
    kernelDropped: stats.kernelDropped,
    interfaceDropped: stats.interfaceDropped,
    lossPercent: Math.round(lossPercent * 100) / 100,
  };
}

/** Logs one stats line per interval: the counters and the packet rate since the previous line. */
export class SensorStatsLog {
  private timer: NodeJS.Timeout | undefined;
  private lastPackets = 0;
  private lastAt = Date.now();

  constructor(
    private readonly status: () => SensorStatus,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.log(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes the line now (also called by the interval). */
  log(): void {
    const s = this.status();
    const now = Date.now();
    const seconds = Math.max((now - this.lastAt) / 1000, 1e-3);
    const rate = Math.round((s.packets - this.lastPackets) / seconds);
    this.lastPackets = s.packets;
    this.lastAt = now;
    this.logger.info('stats', {
      packets: s.packets,
      packets_per_s: rate,
      dropped: s.capture?.kernelDropped,
      loss_percent: s.capture?.lossPercent,
      active_connections: s.activeConnections,
      connections_logged: s.connections,
      weirds: s.weirds,
    });
  }
}
