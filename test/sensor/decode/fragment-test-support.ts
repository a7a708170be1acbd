// Builds IPv4/IPv6 datagrams and splits them into fragments (Ethernet frames) for the reassembly tests.

import { addWords, foldSum } from '../../../sensor/decode/internet-checksum';

const ETH_V4 = Buffer.from('0011223344550066778899aa0800', 'hex');
const ETH_V6 = Buffer.from('0011223344550066778899aa86dd', 'hex');

/** A UDP datagram (IPv4 or IPv6) with `payload`, as the bytes starting at the IP header. */
export function udpDatagram(version: 4 | 6, payload: Buffer, id = 0x1234): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(5353, 0);
  udp.writeUInt16BE(53, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  if (version === 4) {
    const ip = Buffer.from('45000000000000004011000' + '00a000001c0a80002', 'hex');
    ip.writeUInt16BE(20 + 8 + payload.length, 2);
    ip.writeUInt16BE(id, 4);
    ip.writeUInt16BE(0xffff - foldSum(addWords(ip, 0, 20, 0)), 10);
    return Buffer.concat([ip, udp, payload]);
  }
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(8 + payload.length, 4);
  ip[6] = 17;
  ip[7] = 64;
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(ip, 8);
  Buffer.from('20010db8000000000000000000000002', 'hex').copy(ip, 24);
  return Buffer.concat([ip, udp, payload]);
}

/** Ethernet frame carrying the fragment [start, end) of `datagram`'s payload (after its fixed header). */
export function fragmentFrame(version: 4 | 6, datagram: Buffer, start: number, end: number, more: boolean, id = 0x1234, dataOverride?: Buffer): Buffer {
  const hl = version === 4 ? 20 : 40;
  const data = dataOverride ?? datagram.subarray(hl + start, hl + end);
  if (version === 4) {
    const ip = Buffer.from(datagram.subarray(0, 20));
    ip.writeUInt16BE(20 + data.length, 2);
    ip.writeUInt16BE(id, 4);
    ip.writeUInt16BE((more ? 0x2000 : 0) | (start / 8), 6);
    ip.writeUInt16BE(0, 10);
    ip.writeUInt16BE(0xffff - foldSum(addWords(ip, 0, 20, 0)), 10);
    return Buffer.concat([ETH_V4, ip, data]);
  }
  const ip = Buffer.from(datagram.subarray(0, 40));
  const frag = Buffer.alloc(8);
  frag[0] = ip[6];
  frag.writeUInt16BE(start | (more ? 1 : 0), 2);
  frag.writeUInt32BE(id, 4);
  ip[6] = 44;
  ip.writeUInt16BE(8 + data.length, 4);
  return Buffer.concat([ETH_V6, ip, frag, data]);
}
