// What the pcap and pcapng parsers have in common: step through a file one packet at a time.

import type { PacketHandler } from './capture-source';

export interface CaptureRecordReader {
  /** Delivers the next packet (skipping blocks that carry none). False at a clean end of file; throws CaptureFileError on damage. */
  next(onPacket: PacketHandler): boolean;
  /** File offset of the next unread byte. */
  readonly position: number;
}
