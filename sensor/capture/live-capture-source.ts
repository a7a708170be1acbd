// Live capture from an interface through libpcap (the `pcap` package): the kernel applies the BPF filter,
// packets arrive as events and go straight to the handler; run() resolves when stop() is called.

import pcap = require('pcap');
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

// libpcap's pcap_lookupnet warning (an interface without an IPv4 address) only affects netmask-relative filters;
// the package prints it with console.warn, which would interleave with the sensor's own output.
(pcap as unknown as { warningHandler: (msg: string) => void }).warningHandler = () => undefined;

const DEFAULT_SNAPLEN = 262144;
const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
/** libpcap packet-buffer timeout: batches wakeups under load, bounds latency when quiet. */
const BUFFER_TIMEOUT_MS = 100;

export class LiveCaptureSource implements CaptureSource {
  readonly description: string;
  private session: pcap.PcapSession | undefined;
  private finish: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly iface: string, private readonly opts: LiveCaptureOptions = {}) {
    this.description = `interface ${iface}${opts.filter ? ` filter "${opts.filter}"` : ''}`;
  }

  run(onPacket: PacketHandler, onProgress?: ProgressHandler): Promise<void> {
    if (this.stopped) return Promise.resolve();
    let session: pcap.PcapSession;
    try {
      session = pcap.createSession(this.iface, {
        filter: this.opts.filter ?? '',
        snap_length: this.opts.snaplen ?? DEFAULT_SNAPLEN,
        buffer_size: this.opts.bufferBytes ?? DEFAULT_BUFFER_BYTES,
        buffer_timeout: BUFFER_TIMEOUT_MS,
        promiscuous: this.opts.promisc ?? true,
      });
    } catch (e) {
      return Promise.reject(new CaptureFileError(`cannot capture on ${this.iface}: ${(e as Error).message}`));
    }
    this.session = session;
    const linkType = linkTypeFromPcapName(session.link_type);
    let packets = 0;
    let bytes = 0;
    session.on('packet', (raw: pcap.PacketWithHeader) => {
      const h = raw.header;
      const wireLength = h.readUInt32LE(12);
      const capLength = Math.min(h.readUInt32LE(8), raw.buf.length);
      packets++;
      bytes += capLength;
      onPacket(linkType, raw.buf, 0, capLength, wireLength, h.readUInt32LE(0), h.readUInt32LE(4));
      if ((packets & 1023) === 0) onProgress?.(bytes, 0, packets);
    });
    return new Promise<void>((resolve) => {
      this.finish = resolve;
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.session) {
      this.session.close();
      this.session = undefined;
    }
    this.finish?.();
    this.finish = undefined;
  }
}
