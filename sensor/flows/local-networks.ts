// Which addresses are "local" (conn.log local_orig/local_resp): broctl networks.cfg CIDRs, plus by default
// the private/special address space that Zeek's Site::private_address_space_is_local adds to Site::local_nets.

/** One CIDR: address bytes already masked to the prefix. */
interface Subnet {
  version: 4 | 6;
  bytes: Buffer;
  prefixLength: number;
  description: string;
}

export class NetworksConfigError extends Error {}

/** Zeek's Site::private_address_space (base/utils/site.zeek), in the order Zeek lists it. */
export const ZEEK_PRIVATE_ADDRESS_SPACE: readonly string[] = [
  '0.0.0.0/8', '2002::/24', '10.0.0.0/8', '2002:a00::/24', '100.64.0.0/10', '2002:6440::/26', '127.0.0.0/8',
  '2002:7f00::/24', '169.254.0.0/16', '2002:a9fe::/32', '172.16.0.0/12', '2002:ac10::/28', '192.0.0.0/24',
  '2002:c000::/40', '192.0.2.0/24', '2002:c000:200::/40', '192.168.0.0/16', '2002:c0a8::/32', '198.18.0.0/15',
  '2002:c612::/31', '198.51.100.0/24', '2002:c633:6400::/40', '203.0.113.0/24', '2002:cb00:7100::/40',
  '224.0.0.0/24', '2002:e000::/40', '239.0.0.0/8', '2002:ef00::/24', '240.0.0.0/4', '2002:f000::/20',
  '255.255.255.255/32', '2002:ffff:ffff::/48', '::/128', '::1/128', '64:ff9b:1::/48', '100::/64', '2001::/23',
  '2001:2::/48', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10',
];

export class LocalNetworks {
  /** The subnets split by IP version once, so a lookup (twice per new connection) scans only its own family. */
  private readonly v4: Subnet[];
  private readonly v6: Subnet[];

  private constructor(private readonly subnets: Subnet[]) {
    this.v4 = subnets.filter((n) => n.version === 4);
    this.v6 = subnets.filter((n) => n.version === 6);
  }

  /** No local networks at all: Zeek then leaves local_orig/local_resp unset (`-`). */
  static empty(): LocalNetworks {
    return new LocalNetworks([]);
  }

  /** What Zeek uses when nothing is configured: the private address space counts as local. */
  static zeekDefault(): LocalNetworks {
    return new LocalNetworks(ZEEK_PRIVATE_ADDRESS_SPACE.map((cidr) => mustParseCidr(cidr, 'private address space')));
  }

  /**
   * Parses broctl networks.cfg text: one CIDR per line, optional description after whitespace, `#` comments.
   * Like Zeek (private_address_space_is_local = T) the private address space is added unless
   * `includePrivateAddressSpace` is false. Throws NetworksConfigError `file:line: what is wrong`.
   */
  static parse(text: string, file: string, opts: { includePrivateAddressSpace?: boolean } = {}): LocalNetworks {
    const subnets: Subnet[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/#.*$/, '').trim();
      if (line === '') continue;
      const match = /^(\S+)(?:\s+(.*))?$/.exec(line);
      const cidr = match ? match[1] : line;
      const subnet = parseCidr(cidr, match?.[2] ?? '');
      if (typeof subnet === 'string') throw new NetworksConfigError(`${file}:${i + 1}: ${subnet}`);
      subnets.push(subnet);
    }
    if (opts.includePrivateAddressSpace !== false) {
      for (const cidr of ZEEK_PRIVATE_ADDRESS_SPACE) subnets.push(mustParseCidr(cidr, 'private address space'));
    }
    return new LocalNetworks(subnets);
  }

  /** False when no network is configured: conn.log then prints local_orig/local_resp as unset. */
  get configured(): boolean {
    return this.subnets.length > 0;
  }

  /** Number of configured CIDRs (including the private address space when added). */
  get size(): number {
    return this.subnets.length;
  }

  /** Whether the address at data[offset..] (4 or 16 bytes) lies in a configured network. */
  isLocal(data: Uint8Array, offset: number, version: 4 | 6): boolean {
    const subnets = version === 4 ? this.v4 : this.v6;
    for (let i = 0; i < subnets.length; i++) if (prefixMatches(data, offset, subnets[i])) return true;
    return false;
  }
}

function prefixMatches(data: Uint8Array, offset: number, subnet: Subnet): boolean {
  const fullBytes = subnet.prefixLength >> 3;
  for (let i = 0; i < fullBytes; i++) if (data[offset + i] !== subnet.bytes[i]) return false;
  const remainingBits = subnet.prefixLength & 7;
  if (remainingBits === 0) return true;
  const mask = (0xff << (8 - remainingBits)) & 0xff;
  return (data[offset + fullBytes] & mask) === subnet.bytes[fullBytes];
}

function mustParseCidr(cidr: string, description: string): Subnet {
  const subnet = parseCidr(cidr, description);
  if (typeof subnet === 'string') throw new Error(`built-in network ${cidr}: ${subnet}`);
  return subnet;
}

/** Parses `addr/len` (IPv6 optionally in brackets, Zeek style); returns an error text instead of throwing. */
function parseCidr(cidr: string, description: string): Subnet | string {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return `"${cidr}" is not a network: expected address/prefix-length, e.g. 10.0.0.0/8`;
  let addressText = cidr.slice(0, slash);
  if (addressText.startsWith('[') && addressText.endsWith(']')) addressText = addressText.slice(1, -1);
  const prefixText = cidr.slice(slash + 1);
  const bytes = parseIPv4(addressText) ?? parseIPv6(addressText);
  if (!bytes) return `"${addressText}" is not an IPv4 or IPv6 address`;
  const version: 4 | 6 = bytes.length === 4 ? 4 : 6;
  const maxPrefix = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return `prefix length "${prefixText}" in ${cidr} must be a number from 0 to ${maxPrefix}`;
  }
  const prefixLength = Number(prefixText);
  // Host bits are cleared (as Zeek's subnet type does) so matching only compares the prefix.
  for (let bit = prefixLength; bit < maxPrefix; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { version, bytes, prefixLength, description };
}

export function parseIPv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return undefined;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

export function parseIPv6(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) bytes.writeUInt16BE(groups[i], i * 2);
  return bytes;
}
