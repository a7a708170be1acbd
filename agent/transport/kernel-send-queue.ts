// How many bytes of one TCP connection this host's kernel still holds unacknowledged by the peer (written by the
// agent and either not sent yet or sent and not ACKed): Linux's tx_queue column of /proc/net/tcp and /proc/net/tcp6,
// which the kernel computes as write_seq - snd_una, the figure the SIOCOUTQ ioctl returns. Node exposes neither
// that ioctl nor SO_SNDBUF on TCP sockets; this file is readable without privileges and without a native addon.

import * as fs from 'fs';
import * as net from 'net';

export interface SocketEnds {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** Outcome of one look: the count, the connection not (or no longer) listed, or no /proc/net/tcp on this system. */
export type KernelSendQueue = { bytes: number } | 'not-found' | 'unsupported';

/** The 16 bytes of an IPv6 address (IPv4-mapped and embedded dotted quads included); undefined if it is not one. */
function ipv6Bytes(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail].map((g) => parseInt(g, 16));
  if (groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An address as /proc/net/tcp{,6} prints it: each 32-bit word in the host's (little-endian) byte order, in hex. */
export function procAddress(address: string, port: number): string {
  const bytes = net.isIPv4(address) ? address.split('.').map(Number) : ipv6Bytes(address);
  if (!bytes) throw new Error(`not an IP address: ${address}`);
  let hex = '';
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 3; i >= 0; i--) hex += bytes[word + i].toString(16).padStart(2, '0');
  }
  return `${hex.toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Finds the connection's row in the table text and returns its tx_queue, or undefined when it is not listed. */
export function txQueueFromTable(table: string, ends: SocketEnds): number | undefined {
  const local = procAddress(ends.localAddress, ends.localPort);
  const remote = procAddress(ends.remoteAddress, ends.remotePort);
  // Rows: `  sl  local rem st tx_queue:rx_queue ...`; the key is searched first so that a big table is not split.
  const key = ` ${local} ${remote} `;
  const at = table.indexOf(key);
  if (at === -1) return undefined;
  const rest = table.slice(at + key.length, table.indexOf('\n', at) === -1 ? undefined : table.indexOf('\n', at));
  const m = /^[0-9A-F]{2} ([0-9A-F]{8}):/.exec(rest);
  return m ? parseInt(m[1], 16) : undefined;
}

/** Where the kernel lists a connection: IPv4 sockets in tcp, IPv6 ones (IPv4-mapped too) in tcp6. */
function tableFor(localAddress: string): string {
  return net.isIPv4(localAddress) ? '/proc/net/tcp' : '/proc/net/tcp6';
}

/**
 * Reads the kernel's count for a connected socket. Synchronous on purpose: the caller compares it with the socket's
 * own counters in the same tick, before libuv can write more (a /proc read is a few microseconds per listed socket).
 */
export function kernelSendQueue(ends: SocketEnds): KernelSendQueue {
  let table: string;
  try {
    table = fs.readFileSync(tableFor(ends.localAddress), 'latin1');
  } catch {
    return 'unsupported';
  }
  const bytes = txQueueFromTable(table, ends);
  return bytes === undefined ? 'not-found' : { bytes };
}
