// Writes small pcap/pcapng files in the flavours real captures rarely exercise (big-endian, nanosecond,
// multiple sections and interfaces, SPB/OPB, unknown blocks), for checking our reader against tshark.

export interface SyntheticPacket {
  tsSec: number;
  /** Fraction in the file's unit (µs or ns). */
  frac: number;
  bytes: Buffer;
  wireLength: number;
}

export function buildPcap(pkts: SyntheticPacket[], o: { littleEndian: boolean; nanoseconds: boolean; linkType: number }): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, at: number): number => (o.littleEndian ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const w16 = (b: Buffer, v: number, at: number): number => (o.littleEndian ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  w32(h, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, 65535, 16);
  w32(h, o.linkType, 20);
  parts.push(h);
  for (const p of pkts) {
    const r = Buffer.alloc(16);
    w32(r, p.tsSec, 0);
    w32(r, p.frac, 4);
    w32(r, p.bytes.length, 8);
    w32(r, p.wireLength, 12);
    parts.push(r, p.bytes);
  }
  return Buffer.concat(parts);
}

export class BlockWriter {
  readonly parts: Buffer[] = [];
  constructor(private readonly le: boolean) {}
  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }
  u64(v: bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigUInt64LE(v);
    else b.writeBigUInt64BE(v);
    return b;
  }
  option(code: number, value: Buffer): Buffer {
    const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
    return Buffer.concat([this.u16(code), this.u16(value.length), value, pad]);
  }
  block(type: number, body: Buffer): void {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const total = padded.length + 12;
    this.parts.push(this.u32(type), this.u32(total), padded, this.u32(total));
  }
  shb(): void {
    this.block(0x0a0d0d0a, Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), this.u64(0xffffffffffffffffn)]));
  }
  idb(linkType: number, options: Buffer[]): void {
    const opts = options.length ? Buffer.concat([...options, this.u32(0)]) : Buffer.alloc(0);
    this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(0), opts]));
  }
  epb(iface: number, ticks: bigint, data: Buffer, wire: number): void {
    this.block(6, Buffer.concat([this.u32(iface), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)), this.u32(data.length), this.u32(wire), data]));
  }
  opb(iface: number, ticks: bigint, data: Buffer, wire: number): void {
    this.block(2, Buffer.concat([this.u16(iface), this.u16(0), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)), this.u32(data.length), this.u32(wire), data]));
  }
  spb(data: Buffer): void {
    this.block(3, Buffer.concat([this.u32(data.length), data]));
  }
}

const ETH_UDP = Buffer.from('00112233445566778899aabb08004500001c000100004011f9cd7f0000017f0000010035003500080000', 'hex');
const RAW_UDP = ETH_UDP.subarray(14);

/** Five packets: EPB (ns), SPB, OPB (2^-20 s), EPB (µs + tsoffset), then a second section with a raw-IP EPB. */
export function buildPcapng(le: boolean): Buffer {
  const w = new BlockWriter(le);
  w.shb();
  w.idb(1, [w.option(9, Buffer.from([9]))]);
  w.block(0x00000099, Buffer.from('an unknown block that readers skip'));
  w.idb(1, [w.option(2, Buffer.from('second')), w.option(9, Buffer.from([0x80 | 20]))]);
  w.idb(1, [w.option(14, w.u64(1000n))]);
  w.epb(0, 1700000000n * 1000000000n + 987654321n, ETH_UDP, ETH_UDP.length);
  w.spb(ETH_UDP);
  w.block(5, Buffer.alloc(20)); // interface statistics: skipped
  w.opb(1, (1700000100n << 20n) + 524288n, ETH_UDP.subarray(0, 20), 1514);
  w.epb(2, 1700000200n * 1000000n + 42n, ETH_UDP, ETH_UDP.length);
  w.shb();
  w.idb(101, [w.option(9, Buffer.from([6]))]);
  w.epb(0, 1700000300n * 1000000n + 7n, RAW_UDP, RAW_UDP.length);
  return Buffer.concat(w.parts);
}
