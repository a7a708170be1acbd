// pcapng files: sections (SHB, either byte order), interfaces (IDB: link type, if_tsresol, if_tsoffset) and
// packets (EPB, SPB, obsolete OPB); every other block is skipped. Timestamps become whole seconds + microseconds.

import * as path from 'path';
import { CaptureFileError } from './capture-file-error';
import type { CaptureRecordReader } from './capture-record-reader';
import type { PacketHandler } from './capture-source';
import { MAX_RECORD_BYTES, type ChunkedFileReader } from './chunked-file-reader';

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_OPB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export function isPcapngMagic(b: Buffer, off: number): boolean {
  return b.readUInt32BE(off) === BLOCK_SHB;
}

/** Splits a 64-bit tick count (two 32-bit halves) by `unitsPerSec` without BigInt: long division in 16-bit digits. */
export function ticksToSecUsec(high: number, low: number, unitsPerSec: number, out: { sec: number; usec: number }): void {
  if (unitsPerSec > 0xffffffff) {
    // Sub-nanosecond binary resolutions (2^-33 ...) are rare enough to pay for BigInt.
    const v = (BigInt(high) << 32n) | BigInt(low);
    const u = BigInt(unitsPerSec);
    out.sec = Number(v / u);
    out.usec = Number(((v % u) * 1000000n) / u);
    return;
  }
  let q = 0;
  let r = 0;
  const digits0 = high >>> 16, digits1 = high & 0xffff, digits2 = low >>> 16, digits3 = low & 0xffff;
  for (let i = 0; i < 4; i++) {
    const d = i === 0 ? digits0 : i === 1 ? digits1 : i === 2 ? digits2 : digits3;
    const cur = r * 65536 + d;
    const qd = Math.floor(cur / unitsPerSec);
    r = cur - qd * unitsPerSec;
    q = q * 65536 + qd;
  }
  out.sec = q;
  out.usec = Math.floor((r * 1000000) / unitsPerSec);
}

export class PcapngReader implements CaptureRecordReader {
  position = 0;
  private littleEndian = true;
  private readonly name: string;
  /** Per interface of the current section. */
  private readonly ifLinkType: number[] = [];
  private readonly ifUnitsPerSec: number[] = [];
  private readonly ifTsOffsetSec: number[] = [];
  private readonly ifSnapLength: number[] = [];
  private readonly ts = { sec: 0, usec: 0 };

  constructor(private readonly file: ChunkedFileReader) {
    this.name = path.basename(file.path);
    if (!file.ensure(0, 4) || !isPcapngMagic(file.buffer, 0)) {
      throw new CaptureFileError(`${this.name}: not a pcapng file at byte 0 (no section header block)`, 0);
    }
  }

  next(onPacket: PacketHandler): boolean {
    for (;;) {
      const file = this.file;
      const at = this.position;
      const left = file.remaining(at);
      if (left === 0) return false;
      if (left < 12 || !file.ensure(at, 12)) {
        throw new CaptureFileError(`${this.name}: truncated pcapng block header at byte ${at} (needs 12 bytes, ${left} left)`, at);
      }
      let b = file.buffer;
      let o = at - file.windowStart;
      if (b.readUInt32BE(o) === BLOCK_SHB) {
        // The byte-order magic decides how this section (including this block's length) is read.
        if (b.readUInt32LE(o + 8) === BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (b.readUInt32BE(o + 8) === BYTE_ORDER_MAGIC) this.littleEndian = false;
        else throw new CaptureFileError(`${this.name}: bad pcapng byte-order magic at byte ${at + 8}`, at + 8);
      } else if (at === 0) {
        throw new CaptureFileError(`${this.name}: not a pcapng file at byte 0 (no section header block)`, 0);
      }
      const type = this.u32(b, o);
      const blockLength = this.u32(b, o + 4);
      if (blockLength < 12 || blockLength % 4 !== 0 || blockLength > MAX_RECORD_BYTES) {
        throw new CaptureFileError(`${this.name}: invalid pcapng block length ${blockLength} at byte ${at}`, at);
      }
      if (left < blockLength || !file.ensure(at, blockLength)) {
        throw new CaptureFileError(`${this.name}: truncated pcapng block at byte ${at} (needs ${blockLength} bytes, ${left} left)`, at);
      }
      b = file.buffer;
      o = at - file.windowStart;
      if (this.u32(b, o + blockLength - 4) !== blockLength) {
        throw new CaptureFileError(`${this.name}: pcapng block at byte ${at} has different lengths in header and trailer`, at);
      }
      this.position = at + blockLength;
      switch (type) {
        case BLOCK_SHB:
          this.ifLinkType.length = this.ifUnitsPerSec.length = this.ifTsOffsetSec.length = this.ifSnapLength.length = 0;
          break;
        case BLOCK_IDB:
          this.readInterface(b, o, blockLength, at);
          break;
        case BLOCK_EPB:
        case BLOCK_OPB: {
          if (blockLength < 32) throw new CaptureFileError(`${this.name}: pcapng packet block too short at byte ${at}`, at);
          const iface = type === BLOCK_EPB ? this.u32(b, o + 8) : this.u16(b, o + 8);
          const capLength = this.u32(b, o + 20);
          const wireLength = this.u32(b, o + 24);
          if (iface >= this.ifLinkType.length) {
            throw new CaptureFileError(`${this.name}: packet block at byte ${at} names interface ${iface}, but the section has ${this.ifLinkType.length}`, at);
          }
          if (28 + capLength + 4 > blockLength) {
            throw new CaptureFileError(`${this.name}: packet block at byte ${at} claims ${capLength} captured bytes, more than the block holds`, at);
          }
          ticksToSecUsec(this.u32(b, o + 12), this.u32(b, o + 16), this.ifUnitsPerSec[iface], this.ts);
          onPacket(this.ifLinkType[iface], b, o + 28, capLength, wireLength, this.ts.sec + this.ifTsOffsetSec[iface], this.ts.usec);
          return true;
        }
        case BLOCK_SPB: {
          if (this.ifLinkType.length === 0) {
            throw new CaptureFileError(`${this.name}: simple packet block at byte ${at} before any interface description`, at);
          }
          const wireLength = this.u32(b, o + 8);
          let capLength = Math.min(wireLength, blockLength - 16);
          if (this.ifSnapLength[0] > 0) capLength = Math.min(capLength, this.ifSnapLength[0]);
          // SPBs carry no timestamp.
          onPacket(this.ifLinkType[0], b, o + 12, capLength, wireLength, 0, 0);
          return true;
        }
        default:
          break; // statistics, name resolution, custom, decryption secrets...: nothing the sensor uses
      }
    }
  }

  private readInterface(b: Buffer, o: number, blockLength: number, at: number): void {
    if (blockLength < 20) throw new CaptureFileError(`${this.name}: interface description block too short at byte ${at}`, at);
    let unitsPerSec = 1000000;
    let tsOffset = 0;
    let p = o + 16;
    const end = o + blockLength - 4;
    while (p + 4 <= end) {
      const code = this.u16(b, p);
      const len = this.u16(b, p + 2);
      if (code === OPT_END || p + 4 + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const v = b[p + 4];
        unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = this.u32(b, p + 4 + (this.littleEndian ? 4 : 0)) | 0;
        const lo = this.u32(b, p + 4 + (this.littleEndian ? 0 : 4));
        tsOffset = hi * 4294967296 + lo;
      }
      p += 4 + ((len + 3) & ~3);
    }
    this.ifLinkType.push(this.u16(b, o + 8));
    this.ifSnapLength.push(this.u32(b, o + 12));
    this.ifUnitsPerSec.push(unitsPerSec);
    this.ifTsOffsetSec.push(tsOffset);
  }

  private u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  private u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
}
