// Builds the sensor bench's large mixed capture: every Ethernet packet of the committed fixtures and the Zeek cases,
// repeated with shifted timestamps and a per-repetition address shift (the same bijection on every IPv4 address, so
// each copy is a new set of flows), written as one classic pcap of about the requested size.

import * as fs from 'fs';
import * as path from 'path';
import { openCaptureFile } from '../../sensor/capture/open-capture';

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
/** Clamp on a source capture's own time span so one long trace does not stretch the whole file. */
const MAX_SOURCE_SPAN_US = 120_000_000;
const WRITE_CHUNK = 8 * 1024 * 1024;

interface SourcePacket {
  /** Microseconds after the start of the repetition. */
  relUs: number;
  wireLength: number;
  frame: Buffer;
}

export interface MixedCapture {
  file: string;
  packets: number;
  bytes: number;
  sourcePackets: number;
  repetitions: number;
}

/** Every `*.pcap`/`*.pcapng` under `dirs` (recursively one level: case folders). */
export function findCaptures(dirs: string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) {
        for (const inner of fs.readdirSync(p).sort()) if (/\.pcap(ng)?$/.test(inner)) out.push(path.join(p, inner));
      } else if (/\.pcap(ng)?$/.test(name)) out.push(p);
    }
  }
  return out;
}

async function loadSourcePackets(files: string[]): Promise<{ packets: SourcePacket[]; spanUs: number }> {
  const packets: SourcePacket[] = [];
  let cursor = 0;
  for (const file of files) {
    let first = -1;
    let last = 0;
    try {
      await openCaptureFile(file).run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
        if (linkType !== LINKTYPE_ETHERNET) return;
        const t = tsSec * 1_000_000 + tsUsec;
        if (first < 0) first = t;
        const rel = Math.min(Math.max(t - first, last), MAX_SOURCE_SPAN_US);
        last = rel;
        packets.push({ relUs: cursor + rel, wireLength, frame: Buffer.from(frame.subarray(offset, offset + capLength)) });
      });
    } catch {
      // A damaged case file still contributes the packets before the damage.
    }
    cursor += last + 1_000_000;
  }
  return { packets, spanUs: cursor };
}

/** Applies repetition `rep`'s address shift to an IPv4-in-Ethernet frame (second and third address bytes). */
function shiftAddresses(frame: Buffer, rep: number): void {
  if (frame.length < 34 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return;
  const hi = (rep >> 8) & 0xff;
  const lo = rep & 0xff;
  for (const at of [26, 30]) {
    frame[at + 1] ^= hi;
    frame[at + 2] ^= lo;
  }
}

/** Writes the mixed capture to `file` until it holds at least `targetBytes` of packet data. */
export async function buildMixedCapture(file: string, targetBytes: number, sourceDirs: string[]): Promise<MixedCapture> {
  const { packets: source, spanUs } = await loadSourcePackets(findCaptures(sourceDirs));
  if (source.length === 0) throw new Error(`no Ethernet packets found under ${sourceDirs.join(', ')}`);
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(WRITE_CHUNK);
  let used = 0;
  const flush = (): void => {
    let off = 0;
    while (off < used) off += fs.writeSync(fd, chunk, off, used - off);
    used = 0;
  };
  // Classic pcap, microsecond stamps, little endian.
  used = chunk.writeUInt32LE(0xa1b2c3d4, 0);
  chunk.writeUInt16LE(2, 4);
  chunk.writeUInt16LE(4, 6);
  chunk.writeInt32LE(0, 8);
  chunk.writeUInt32LE(0, 12);
  chunk.writeUInt32LE(262144, 16);
  chunk.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  used = 24;
  const baseUs = 1_700_000_000 * 1_000_000;
  let bytes = 0;
  let packets = 0;
  let rep = 0;
  try {
    while (bytes < targetBytes) {
      rep++;
      const repStart = baseUs + (rep - 1) * spanUs;
      for (const p of source) {
        if (used + 16 + p.frame.length > chunk.length) flush();
        const t = repStart + p.relUs;
        const sec = Math.floor(t / 1_000_000);
        chunk.writeUInt32LE(sec, used);
        chunk.writeUInt32LE(t - sec * 1_000_000, used + 4);
        chunk.writeUInt32LE(p.frame.length, used + 8);
        chunk.writeUInt32LE(p.wireLength, used + 12);
        p.frame.copy(chunk, used + 16);
        shiftAddresses(chunk.subarray(used + 16, used + 16 + p.frame.length), rep);
        used += 16 + p.frame.length;
        bytes += p.frame.length;
        packets++;
      }
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return { file, packets, bytes, sourcePackets: source.length, repetitions: rep };
}
