// Writes the hostile captures of the sensor's flood tests and bench (issue 18) straight to a pcap file, frame by frame:
// SYN floods, many short connections, incomplete IPv4 fragments and one TCP stream sent out of order above a hole.
// Checksums of TCP are left zero (run the sensor with -C); IPv4 header checksums are right.

import * as fs from 'fs';

const ETH = 14;
const IP = 20;
const TCP = 20;
const WRITE_CHUNK = 1 << 20;

/** Buffered pcap writer (microsecond timestamps, Ethernet). */
class PcapFileWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(WRITE_CHUNK);
  private used = 0;
  packets = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(1, 20);
    fs.writeSync(this.fd, header);
  }

  /** Appends one frame at time `usec` (microseconds since the epoch). */
  write(usec: number, frame: Buffer, length = frame.length): void {
    if (this.used + 16 + length > this.buf.length) this.flush();
    const b = this.buf;
    const o = this.used;
    b.writeUInt32LE(Math.floor(usec / 1e6), o);
    b.writeUInt32LE(usec % 1e6, o + 4);
    b.writeUInt32LE(length, o + 8);
    b.writeUInt32LE(length, o + 12);
    frame.copy(b, o + 16, 0, length);
    this.used = o + 16 + length;
    this.packets++;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }

  private flush(): void {
    if (this.used > 0) fs.writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }
}

/** A reusable Ethernet + IPv4 frame template; addresses and ports are patched per packet. */
function ipv4Frame(payloadAfterIp: number, protocol: number): Buffer {
  const f = Buffer.alloc(ETH + IP + payloadAfterIp);
  f.writeUInt16BE(0x0800, 12);
  f[ETH] = 0x45;
  f.writeUInt16BE(IP + payloadAfterIp, ETH + 2);
  f[ETH + 8] = 64;
  f[ETH + 9] = protocol;
  return f;
}

function ipChecksum(f: Buffer): void {
  f.writeUInt16BE(0, ETH + 10);
  let sum = 0;
  for (let i = 0; i < IP; i += 2) sum += f.readUInt16BE(ETH + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE(~sum & 0xffff, ETH + 10);
}

function setTcp(f: Buffer, src: number, dst: number, sport: number, dport: number, flags: number, seq: number, ack: number,
  payloadLength = 0): void {
  f.writeUInt16BE(IP + TCP + payloadLength, ETH + 2);
  f.writeUInt32BE(src >>> 0, ETH + 12);
  f.writeUInt32BE(dst >>> 0, ETH + 16);
  ipChecksum(f);
  const t = ETH + IP;
  f.writeUInt16BE(sport, t);
  f.writeUInt16BE(dport, t + 2);
  f.writeUInt32BE(seq >>> 0, t + 4);
  f.writeUInt32BE(ack >>> 0, t + 8);
  f[t + 12] = 5 << 4;
  f[t + 13] = flags;
  f.writeUInt16BE(65535, t + 14);
}

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const PSH = 0x08;

/** A deterministic 32-bit generator (xorshift): the same capture every run. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const START_USEC = 1_700_000_000 * 1e6;
const SERVER = 0x0a000001; // 10.0.0.1

/**
 * `count` SYNs from distinct random sources to 10.0.0.1:80, `gapUsec` apart: every one is its own connection and
 * must be logged as one S0 row. Returns the number of packets written.
 */
export function writeSynFlood(file: string, count: number, gapUsec: number): number {
  const w = new PcapFileWriter(file);
  const f = ipv4Frame(TCP, 6);
  const rand = xorshift(18);
  for (let i = 0; i < count; i++) {
    // Distinct sources: the counter in the low bits, randomness above (addresses outside 10.0.0.1).
    const src = (0x40000000 | ((rand() & 0x3ff) << 20) | (i & 0xfffff)) >>> 0;
    const sport = 1024 + (i >>> 20) * 4096 + (rand() & 0xfff);
    setTcp(f, src, SERVER, sport, 80, SYN, rand(), 0);
    w.write(START_USEC + i * gapUsec, f);
  }
  w.close();
  return w.packets;
}

/**
 * `count` complete TCP connections (handshake, one data segment each way, FIN both ways, 6 packets in 0.5 ms), one
 * starting every 1/`perSecond` s: about perSecond × (close delay) are live at any time.
 */
export function writeShortConnections(file: string, count: number, perSecond: number): number {
  const w = new PcapFileWriter(file);
  const f = ipv4Frame(TCP + 16, 6);
  const step = Math.round(1e6 / perSecond);
  for (let i = 0; i < count; i++) {
    const client = (0x0b000000 | i) >>> 0; // 11.x.x.x, one address per connection
    const sport = 20000 + (i % 40000);
    const t = START_USEC + i * step;
    const c = 1000;
    const s = 5000;
    setTcp(f, client, SERVER, sport, 80, SYN, c, 0);
    w.write(t, f, ETH + IP + TCP);
    setTcp(f, SERVER, client, 80, sport, SYN | ACK, s, c + 1);
    w.write(t + 100, f, ETH + IP + TCP);
    setTcp(f, client, SERVER, sport, 80, ACK | PSH, c + 1, s + 1, 16);
    w.write(t + 200, f);
    setTcp(f, SERVER, client, 80, sport, ACK | PSH, s + 1, c + 17, 16);
    w.write(t + 300, f);
    setTcp(f, client, SERVER, sport, 80, FIN | ACK, c + 17, s + 17);
    w.write(t + 400, f, ETH + IP + TCP);
    setTcp(f, SERVER, client, 80, sport, FIN | ACK, s + 17, c + 18);
    w.write(t + 500, f, ETH + IP + TCP);
  }
  w.close();
  return w.packets;
}

/**
 * `count` first fragments (offset 0, more-fragments set, 8 bytes of payload) of as many distinct UDP datagrams,
 * `perSecond` per second: none ever completes.
 */
export function writeFragmentFlood(file: string, count: number, perSecond: number): number {
  const w = new PcapFileWriter(file);
  const f = ipv4Frame(8, 17);
  const step = 1e6 / perSecond;
  for (let i = 0; i < count; i++) {
    f.writeUInt32BE((0x0c000000 | (i >>> 16)) >>> 0, ETH + 12); // 12.x.x.x: a new source every 65536 ids
    f.writeUInt32BE(SERVER, ETH + 16);
    f.writeUInt16BE(i & 0xffff, ETH + 4);
    f.writeUInt16BE(0x2000, ETH + 6); // MF, offset 0
    f.writeUInt32BE(i >>> 0, ETH + IP);
    ipChecksum(f);
    w.write(START_USEC + Math.round(i * step), f);
  }
  w.close();
  return w.packets;
}

/**
 * One TCP connection: handshake, one acknowledged 8-byte segment, then a missing segment (the hole) and `count`
 * 8-byte segments above it sent from the highest down (each lands before everything buffered), 1 µs apart.
 * `connections` such connections are written one after the other.
 */
export function writeOutOfOrderStream(file: string, count: number, connections = 1, segmentBytes = 8): number {
  const w = new PcapFileWriter(file);
  const f = ipv4Frame(TCP + segmentBytes, 6);
  let t = START_USEC;
  for (let k = 0; k < connections; k++) {
    const client = (0x0d000000 | k) >>> 0;
    const c = 1000;
    const s = 5000;
    setTcp(f, client, SERVER, 40000, 80, SYN, c, 0);
    w.write(t++, f, ETH + IP + TCP);
    setTcp(f, SERVER, client, 80, 40000, SYN | ACK, s, c + 1);
    w.write(t++, f, ETH + IP + TCP);
    setTcp(f, client, SERVER, 40000, 80, ACK | PSH, c + 1, s + 1, segmentBytes);
    w.write(t++, f);
    setTcp(f, SERVER, client, 80, 40000, ACK, s + 1, c + 1 + segmentBytes);
    w.write(t++, f, ETH + IP + TCP);
    // The hole is the segment at c + 1 + segmentBytes; the flood sits above it.
    for (let i = count; i >= 1; i--) {
      setTcp(f, client, SERVER, 40000, 80, ACK | PSH, c + 1 + segmentBytes * (1 + i), s + 1, segmentBytes);
      w.write(t++, f);
    }
  }
  w.close();
  return w.packets;
}
