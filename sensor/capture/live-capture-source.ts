// Live capture from an interface through libpcap (the `pcap` package's native session): the kernel applies the BPF
// filter, a timer drains the capture ring into the handler, and stop() leaves nothing that keeps the process alive.

import { CaptureFileError } from './capture-file-error';
import type { CaptureSource, PacketHandler, ProgressHandler } from './capture-source';
import { linkTypeFromPcapName } from './link-types';

export interface LiveCaptureOptions {
  filter?: string;
  snaplen?: number;
  promisc?: boolean;
  /** Kernel ring buffer (bytes); large so bursts are not dropped while JavaScript is busy. */
  bufferBytes?: number;
}

/** Counters of one live capture: what this source delivered and what libpcap says the kernel saw. */
export interface LiveCaptureStats {
  /** Packets handed to the PacketHandler. */
  packets: number;
  /** Captured bytes handed to the PacketHandler. */
  bytes: number;
  /** libpcap ps_recv: packets that passed the filter (Linux counts the dropped ones too, and on lo both directions). */
  kernelReceived: number;
  /** libpcap ps_drop: packets lost because the capture ring was full (the sensor fell behind). */
  kernelDropped: number;
  /** libpcap ps_ifdrop: packets the interface or its driver dropped since the capture started (0 when unknown). */
  interfaceDropped: number;
}

/**
 * The methods of pcap@3.1.0's native PcapSession (build/Release/pcap_binding.node) this source uses. We drive the
 * binding directly because the package's JavaScript wrapper always starts a referenced uv_poll on the capture socket
 * that only a later matching packet can release (pcap_breakloop is checked by libpcap only after it reads a block), so
 * a stopped capture on a quiet link kept the process alive forever.
 */
interface NativePcapSession {
  /** Opens `device` in non-blocking mode; returns the package's LINKTYPE_* name. Throws libpcap's message. */
  open_live(
    device: string, filter: string, bufferBytes: number, snapLength: number, dumpFile: string,
    onPacket: () => void, monitorMode: boolean, bufferTimeoutMs: number, onWarning: (msg: string) => void,
    promiscuous: boolean,
  ): string;
  /**
   * Reads every packet ready in the ring, calling onPacket once per packet with it copied into `frame` and its
   * pcap header (native-endian u32 sec, usec, caplen, len) in `header`. Returns 0 when drained, -1 on a libpcap error,
   * -2 once close() was called and a block arrived: the native side has then run pcap_close and must not be read again.
   */
  dispatch(frame: Buffer, header: Buffer): number;
  /** pcap_breakloop: only flags the handle; see dispatch() for when it is really closed. */
  close(): void;
  /** Throws once the handle is closed. */
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
}

// require() of a .node file is typed `any` by @types/node; the interface above states the part we rely on.
const nativeBinding = require('pcap/build/Release/pcap_binding') as { PcapSession: new () => NativePcapSession };

const DEFAULT_SNAPLEN = 262144;
const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
/** libpcap packet-buffer timeout (TPACKET_V3 block retire): batches wakeups under load, bounds latency when quiet. */
const BUFFER_TIMEOUT_MS = 100;
/** How often the ring is drained. One drain empties it, so this only adds latency; the ring absorbs the gap. */
const DRAIN_INTERVAL_MS = 20;
/** After stop, how often to offer libpcap the chance to close the handle (it can only when a block has arrived). */
const CLOSE_RETRY_MS = 1000;
const PCAP_ERROR_BREAK = -2;

/** One opened libpcap handle and the buffers it copies packets into. */
class OpenedSession {
  /** The native side ran pcap_close: any further dispatch() would read a freed handle. */
  private handleClosed = false;

  constructor(readonly native: NativePcapSession, readonly frame: Buffer, readonly header: Buffer) {}

  /** Delivers every packet ready now; returns libpcap's verdict (0 drained, -1 error, -2 closed). */
  drain(): number {
    if (this.handleClosed) return PCAP_ERROR_BREAK;
    const result = this.native.dispatch(this.frame, this.header);
    if (result === PCAP_ERROR_BREAK) this.handleClosed = true;
    return result;
  }

  kernelStats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number } | undefined {
    if (this.handleClosed) return undefined;
    try {
      return this.native.stats();
    } catch {
      return undefined;
    }
  }

  /**
   * Breaks libpcap's loop and releases the handle as soon as libpcap lets us: on a quiet link that is when the next
   * matching block arrives, so the retry timer is unref'd and never holds the process open.
   */
  close(): void {
    this.native.close();
    if (this.handleClosed) return;
    const retry = setInterval(() => {
      if (this.drain() < 0) clearInterval(retry);
    }, CLOSE_RETRY_MS);
    retry.unref();
  }
}

export class LiveCaptureSource implements CaptureSource {
  readonly description: string;
  private session: OpenedSession | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private finish: ((error?: unknown) => void) | undefined;
  private stopped = false;
  private packets = 0;
  private bytes = 0;
  /** Kernel counters read just before the handle was closed (they die with it). */
  private finalKernelStats: { ps_recv: number; ps_drop: number; ps_ifdrop: number } | undefined;

  constructor(private readonly iface: string, private readonly opts: LiveCaptureOptions = {}) {
    this.description = `interface ${iface}${opts.filter ? ` filter "${opts.filter}"` : ''}`;
  }

  run(onPacket: PacketHandler, onProgress?: ProgressHandler): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.session) return Promise.reject(new Error(`live capture on ${this.iface} is already running`));
    const native = new nativeBinding.PcapSession();
    const snaplen = this.opts.snaplen ?? DEFAULT_SNAPLEN;
    const frame = Buffer.alloc(snaplen);
    // A Uint32Array view reads the header in the platform's byte order, as libpcap's memcpy wrote it.
    const headerWords = new Uint32Array(4);
    const header = Buffer.from(headerWords.buffer);
    let linkType = 0;
    let failed = false;
    const deliver = (): void => {
      if (failed || this.session === undefined) return;
      const capLength = Math.min(headerWords[2], snaplen);
      this.packets++;
      this.bytes += capLength;
      try {
        onPacket(linkType, frame, 0, capLength, headerWords[3], headerWords[0], headerWords[1]);
      } catch (err) {
        // A throw here would unwind through libpcap's C loop; end the capture and report it from run() instead.
        failed = true;
        this.end(err);
        return;
      }
      if ((this.packets & 1023) === 0) onProgress?.(this.bytes, 0, this.packets);
    };
    let linkName: string;
    try {
      linkName = native.open_live(
        this.iface, this.opts.filter ?? '', this.opts.bufferBytes ?? DEFAULT_BUFFER_BYTES, snaplen, '', deliver,
        false, BUFFER_TIMEOUT_MS,
        // pcap_lookupnet's warning (no IPv4 address on the interface) only matters to netmask-relative filters.
        () => undefined,
        this.opts.promisc ?? true,
      );
    } catch (e) {
      return Promise.reject(new CaptureFileError(`cannot capture on ${this.iface}: ${(e as Error).message}`));
    }
    linkType = linkTypeFromPcapName(linkName);
    const session = new OpenedSession(native, frame, header);
    this.session = session;
    const done = new Promise<void>((resolve, reject) => {
      this.finish = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    this.drainTimer = setInterval(() => {
      const result = session.drain();
      if (result < 0 && this.session === session) {
        this.end(new CaptureFileError(
          `capture on ${this.iface} failed: libpcap read error ${result} (was the interface taken down or removed?)`,
        ));
      }
    }, DRAIN_INTERVAL_MS);
    return done;
  }

  stop(): void {
    this.stopped = true;
    this.end(undefined);
  }

  /** Whether libpcap opened the interface: run() opens it before it returns, so this is known right after the call. */
  get capturing(): boolean {
    return this.session !== undefined;
  }

  /** Counters so far; after stop() the kernel's as they were at the stop. Undefined until a capture has opened. */
  stats(): LiveCaptureStats | undefined {
    const kernel = this.session?.kernelStats() ?? this.finalKernelStats;
    if (kernel === undefined) return undefined;
    return {
      packets: this.packets,
      bytes: this.bytes,
      kernelReceived: kernel.ps_recv,
      kernelDropped: kernel.ps_drop,
      interfaceDropped: kernel.ps_ifdrop,
    };
  }

  /** Ends the running capture (once): timer cleared, counters kept, handle closed, run() settled. */
  private end(error: unknown): void {
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.finalKernelStats = session.kernelStats();
    session.close();
    const finish = this.finish;
    this.finish = undefined;
    finish?.(error);
  }
}
