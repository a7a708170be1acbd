// Entry points for the sensor: open a capture file (pcap or pcapng, optional BPF filter) or a live interface.

import { basename } from 'path';
import { BpfFilter } from './bpf-filter';
import { CaptureFileError } from './capture-file-error';
import { isReadableLinkType, unreadableLinkTypeMessage } from './link-types';
import type { CaptureSource } from './capture-source';
import { FileCaptureSource } from './file-capture-source';
import { LiveCaptureSource } from './live-capture-source';

export { CaptureFileError } from './capture-file-error';
export type { CaptureSource, PacketHandler, ProgressHandler } from './capture-source';

/**
 * Opens `path` and validates its header now: throws CaptureFileError for a missing file, a file that is not a
 * capture or an invalid filter. Damage further in surfaces as a rejected run() after the good packets.
 */
export function openCaptureFile(path: string, opts: { filter?: string; chunkBytes?: number } = {}): CaptureSource {
  const filter = opts.filter !== undefined && opts.filter.trim() !== '' ? new BpfFilter(opts.filter) : undefined;
  const source = FileCaptureSource.open(path, filter, opts.chunkBytes);
  // Classic pcap names its one link type in the header: refuse one the decoder cannot read before any output.
  const linkType = source.firstLinkType;
  if (linkType !== undefined && !isReadableLinkType(linkType)) {
    source.close();
    throw new CaptureFileError(`${basename(path)}: ${unreadableLinkTypeMessage(linkType)}`, 20);
  }
  // Classic pcap has one link type: compile now so a bad expression fails before any output is written.
  if (filter && source.firstLinkType !== undefined) {
    try {
      filter.prepare(source.firstLinkType, path);
    } catch (e) {
      source.stop();
      source.close();
      throw e;
    }
  }
  return source;
}

export function openLiveCapture(iface: string, opts: { filter?: string; snaplen?: number; promisc?: boolean } = {}): CaptureSource {
  return new LiveCaptureSource(iface, opts);
}

