// Classic libpcap file format: 24-byte file header then 16-byte record headers, either byte order,
// microsecond or nanosecond timestamps (nanoseconds are truncated to microseconds, as libpcap does for Zeek).

import * as path from 'path';
import { be32, le32 } from '../decode/byte-order';
import { CaptureFileError } from './capture-file-error';
import type { CaptureRecordReader } from './capture-record-reader';
import type { PacketHandler } from './capture-source';
import type { ChunkedFileReader } from './chunked-file-reader';

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Larger captured lengths only come from corrupt headers (libpcap allows up to 256 KiB; TSO captures stay below this). */
const MAX_CAPTURED_LENGTH = 16 * 1024 * 1024;

/** True when the first 4 bytes are a classic pcap magic in either byte order. */
export function isPcapMagic(b: Buffer, off: number): boolean {
  const le = b.readUInt32LE(off);
  const be = b.readUInt32BE(off);
  return le === MAGIC_USEC || le === MAGIC_NSEC || be === MAGIC_USEC || be === MAGIC_NSEC;
}

export class PcapReader implements CaptureRecordReader {
  position = FILE_HEADER_BYTES;
  readonly linkType: number;
  private readonly littleEndian: boolean;
  private readonly nanoseconds: boolean;
  private readonly name: string;

  constructor(private readonly file: ChunkedFileReader) {
    this.name = path.basename(file.path);
    if (!file.ensure(0, FILE_HEADER_BYTES)) {
      throw new CaptureFileError(`${this.name}: truncated pcap file header at byte 0 (needs ${FILE_HEADER_BYTES} bytes, ${file.fileSize} left)`, 0);
    }
    const b = file.buffer;
    const le = b.readUInt32LE(0);
    if (le === MAGIC_USEC || le === MAGIC_NSEC) this.littleEndian = true;
    else if (b.readUInt32BE(0) === MAGIC_USEC || b.readUInt32BE(0) === MAGIC_NSEC) this.littleEndian = false;
    else throw new CaptureFileError(`${this.name}: not a pcap file at byte 0 (magic 0x${b.readUInt32BE(0).toString(16).padStart(8, '0')})`, 0);
    const magic = this.littleEndian ? le : b.readUInt32BE(0);
    this.nanoseconds = magic === MAGIC_NSEC;
    const major = this.u16(b, 4);
    if (major !== 2) throw new CaptureFileError(`${this.name}: unsupported pcap version ${major} at byte 4`, 4);
    // The upper bits of the link-type word carry FCS information (pcap 2.4 files from newer libpcap).
    this.linkType = this.u32(b, 20) & 0x0fffffff;
  }

  next(onPacket: PacketHandler): boolean {
    const file = this.file;
    const at = this.position;
    const left = file.remaining(at);
    if (left === 0) return false;
    if (left < RECORD_HEADER_BYTES || !file.ensure(at, RECORD_HEADER_BYTES)) {
      throw new CaptureFileError(`${this.name}: truncated packet record header at byte ${at} (needs ${RECORD_HEADER_BYTES} bytes, ${left} left)`, at);
    }
    let b = file.buffer;
    let o = at - file.windowStart;
    // One byte-order branch per record, and reads without Buffer's per-call argument checks (the range is ensured above).
    let tsSec: number;
    let tsFrac: number;
    let capLength: number;
    let wireLength: number;
    if (this.littleEndian) {
      tsSec = le32(b, o);
      tsFrac = le32(b, o + 4);
      capLength = le32(b, o + 8);
      wireLength = le32(b, o + 12);
    } else {
      tsSec = be32(b, o);
      tsFrac = be32(b, o + 4);
      capLength = be32(b, o + 8);
      wireLength = be32(b, o + 12);
    }
    if (capLength > MAX_CAPTURED_LENGTH) {
      throw new CaptureFileError(`${this.name}: invalid packet record at byte ${at} (captured length ${capLength} is larger than ${MAX_CAPTURED_LENGTH})`, at);
    }
    const need = RECORD_HEADER_BYTES + capLength;
    if (left < need || !file.ensure(at, need)) {
      throw new CaptureFileError(`${this.name}: truncated packet record at byte ${at} (needs ${need} bytes, ${left} left)`, at);
    }
    b = file.buffer;
    o = at - file.windowStart;
    this.position = at + need;
    if (this.nanoseconds) tsFrac = Math.floor(tsFrac / 1000);
    onPacket(this.linkType, b, o + RECORD_HEADER_BYTES, capLength, wireLength, tsSec, tsFrac);
    return true;
  }

  private u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  private u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
}
