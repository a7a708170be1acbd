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

/** Finds the connection's row in the table and returns its tx_queue, or undefined when it is not listed. */
export function txQueueFromTable(table: string | Buffer, ends: SocketEnds): number | undefined {
  const local = procAddress(ends.localAddress, ends.localPort);
  const remote = procAddress(ends.remoteAddress, ends.remotePort);
  // Rows: `  sl  local rem st tx_queue:rx_queue ...`; the key (ASCII) is searched in place, the table is never split.
  const key = ` ${local} ${remote} `;
  const at = table.indexOf(key);
  if (at === -1) return undefined;
  const code = typeof table === 'string' ? (i: number) => table.charCodeAt(i) : (i: number) => table[i];
  // After the key: two hex digits of state, a space, eight hex digits of tx_queue, a colon.
  const start = at + key.length + 3;
  if (code(start - 1) !== 0x20 || code(start + 8) !== 0x3a) return undefined;
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const digit = hexDigit(code(i));
    if (digit < 0) return undefined;
    value = value * 16 + digit;
  }
  return value;
}

function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Where the kernel lists a connection: IPv4 sockets in tcp, IPv6 ones (IPv4-mapped too) in tcp6. */
function tableFor(localAddress: string): string {
  return net.isIPv4(localAddress) ? '/proc/net/tcp' : '/proc/net/tcp6';
}

/**
 * One open descriptor and one reused buffer per table, read with pread from offset 0 (the kernel regenerates the
 * table on each read from 0). Measured in the agent bench: readFileSync's open, close and growing buffers per look
 * were a quarter of the agent's CPU while shipping; this is the kernel's own cost of printing the table and no more.
 */
const openTables = new Map<string, { fd: number; buffer: Buffer }>();

function readTable(file: string): Buffer {
  let table = openTables.get(file);
  if (!table) {
    table = { fd: fs.openSync(file, 'r'), buffer: Buffer.allocUnsafe(64 * 1024) };
    openTables.set(file, table);
  }
  let length = 0;
  for (;;) {
    if (length === table.buffer.length) {
      const bigger = Buffer.allocUnsafe(table.buffer.length * 2);
      table.buffer.copy(bigger, 0, 0, length);
      table.buffer = bigger;
    }
    const n = fs.readSync(table.fd, table.buffer, length, table.buffer.length - length, length);
    if (n === 0) return table.buffer.subarray(0, length);
    length += n;
    // The kernel's seq_file stops a read early only at the end of the table or when its own page-sized buffer is
    // full (a row that no longer fits): a read shorter than a page by more than a row was the end. Skipping the
    // read that would return 0 halves the cost of a look (each read walks the kernel's connection hash).
    if (n < SEQ_FILE_PAGE - MAX_ROW_BYTES && length < table.buffer.length) return table.buffer.subarray(0, length);
  }
}

/** The smallest page Linux uses (x86-64): the seq_file buffer /proc/net/tcp is printed into is at least this large. */
const SEQ_FILE_PAGE = 4096;
/** Longest row of /proc/net/tcp (150 bytes) or /proc/net/tcp6 (178 bytes), with room to spare. */
const MAX_ROW_BYTES = 256;

/**
 * Reads the kernel's count for a connected socket. Synchronous on purpose: the caller compares it with the socket's
 * own counters in the same tick, before libuv can write more.
 */
export function kernelSendQueue(ends: SocketEnds): KernelSendQueue {
  let table: Buffer;
  try {
    table = readTable(tableFor(ends.localAddress));
  } catch {
    return 'unsupported';
  }
  const bytes = txQueueFromTable(table, ends);
  return bytes === undefined ? 'not-found' : { bytes };
}
