// Reads a pcap or pcapng file (format chosen by its magic) in chunks and hands each packet to the pipeline,
// optionally through a BPF filter; yields to the event loop between batches so stop() and signals get through.

import * as fs from 'fs';
import * as path from 'path';
import { CaptureFileError } from './capture-file-error';
import type { CaptureRecordReader } from './capture-record-reader';
import type { CaptureSource, PacketHandler, ProgressHandler } from './capture-source';
import { ChunkedFileReader, DEFAULT_CHUNK_BYTES } from './chunked-file-reader';
import { isPcapMagic, PcapReader } from './pcap-reader';
import { isPcapngMagic, PcapngReader } from './pcapng-reader';

/** Decides per packet whether it passes the user's filter (see bpf-filter.ts). */
export interface PacketFilter {
  matches(linkType: number, frame: Buffer, offset: number, capLength: number, wireLength: number): boolean;
}

/** Packets delivered between event-loop yields and progress reports. */
const PACKETS_PER_BATCH = 4096;

export class FileCaptureSource implements CaptureSource {
  readonly description: string;
  private stopped = false;

  constructor(
    private readonly file: ChunkedFileReader,
    private readonly reader: CaptureRecordReader,
    private readonly filter: PacketFilter | undefined,
  ) {
    this.description = `file ${file.path}`;
  }

  /** Opens the file and checks its header now, so a file that is not a capture fails before run(). */
  static open(filePath: string, filter?: PacketFilter, chunkBytes = DEFAULT_CHUNK_BYTES): FileCaptureSource {
    let file: ChunkedFileReader;
    try {
      // Opening a directory succeeds on Linux and only the first read fails (EISDIR, without the path): ask first.
      if (fs.statSync(filePath, { throwIfNoEntry: false })?.isDirectory() === true) throw new Error('is a directory');
      file = new ChunkedFileReader(filePath, chunkBytes);
    } catch (e) {
      throw new CaptureFileError(`${filePath}: cannot open capture file: ${(e as Error).message}`);
    }
    try {
      const name = path.basename(filePath);
      if (file.fileSize < 4 || !file.ensure(0, 4)) {
        throw new CaptureFileError(`${name}: not a capture file at byte 0 (only ${file.fileSize} bytes)`, 0);
      }
      let reader: CaptureRecordReader;
      if (isPcapMagic(file.buffer, 0)) reader = new PcapReader(file);
      else if (isPcapngMagic(file.buffer, 0)) reader = new PcapngReader(file);
      else {
        const magic = file.buffer.readUInt32BE(0).toString(16).padStart(8, '0');
        throw new CaptureFileError(`${name}: not a pcap or pcapng file at byte 0 (magic 0x${magic})`, 0);
      }
      return new FileCaptureSource(file, reader, filter);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  async run(onPacket: PacketHandler, onProgress?: ProgressHandler): Promise<void> {
    const filter = this.filter;
    const deliver: PacketHandler = filter
      ? (lt, frame, off, cap, wire, sec, usec) => {
          if (filter.matches(lt, frame, off, cap, wire)) onPacket(lt, frame, off, cap, wire, sec, usec);
        }
      : onPacket;
    let packets = 0;
    try {
      while (!this.stopped) {
        let more = true;
        for (let i = 0; i < PACKETS_PER_BATCH && (more = this.reader.next(deliver)); i++) packets++;
        onProgress?.(this.reader.position, this.file.fileSize, packets);
        if (!more) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.file.close();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Releases the file without reading it (run() does this itself when it ends). */
  close(): void {
    this.file.close();
  }

  /** The link type of a classic pcap file (known from its header); undefined for pcapng, where it is per interface. */
  get firstLinkType(): number | undefined {
    return this.reader instanceof PcapReader ? this.reader.linkType : undefined;
  }
}
