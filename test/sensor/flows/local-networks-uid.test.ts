// LocalNetworks (broctl networks.cfg) and UidSource (Zeek-shaped uids).
import { expect } from 'chai';
import fc from 'fast-check';
import { LocalNetworks, NetworksConfigError, parseIPv4, parseIPv6 } from '../../../sensor/flows/local-networks';
import { base62, UidSource } from '../../../sensor/flows/uid';

const v4 = (s: string) => parseIPv4(s) as Buffer;
const v6 = (s: string) => parseIPv6(s) as Buffer;

describe('LocalNetworks', () => {
  it('parses networks.cfg: CIDRs with descriptions, comments, blank lines, IPv6', () => {
    const nets = LocalNetworks.parse('# comment\n\n10.0.0.0/8      Private IP space\n192.168.7.0/24\n2001:db8:1::/48  lab # trailing\n', 'networks.cfg',
      { includePrivateAddressSpace: false });
    expect(nets.size).to.equal(3);
    expect(nets.isLocal(v4('10.200.1.1'), 0, 4)).to.equal(true);
    expect(nets.isLocal(v4('192.168.7.255'), 0, 4)).to.equal(true);
    expect(nets.isLocal(v4('192.168.8.1'), 0, 4)).to.equal(false);
    expect(nets.isLocal(v6('2001:db8:1:ffff::1'), 0, 6)).to.equal(true);
    expect(nets.isLocal(v6('2001:db8:2::1'), 0, 6)).to.equal(false);
  });

  it('reports file:line and what is wrong', () => {
    expect(() => LocalNetworks.parse('10.0.0.0/8\n10.0.0.300/8 oops\n', 'net.cfg')).to.throw(NetworksConfigError, /^net\.cfg:2: "10\.0\.0\.300" is not an IPv4 or IPv6 address/);
    expect(() => LocalNetworks.parse('10.0.0.0/33\n', 'net.cfg')).to.throw(/^net\.cfg:1: prefix length "33"/);
    expect(() => LocalNetworks.parse('\n\nlocalhost\n', 'net.cfg')).to.throw(/^net\.cfg:3: "localhost" is not a network/);
  });

  it("Zeek's default counts the private address space as local, not public or global multicast", () => {
    const nets = LocalNetworks.zeekDefault();
    expect(nets.configured).to.equal(true);
    for (const a of ['10.1.2.3', '172.19.51.63', '192.168.122.230', '127.0.0.1', '224.0.0.251']) expect(nets.isLocal(v4(a), 0, 4), a).to.equal(true);
    for (const a of ['65.65.65.65', '1.1.1.1', '224.2.127.254', '172.32.0.1']) expect(nets.isLocal(v4(a), 0, 4), a).to.equal(false);
    expect(nets.isLocal(v6('fe80::1'), 0, 6)).to.equal(true);
    expect(nets.isLocal(v6('2607:f8b0::1'), 0, 6)).to.equal(false);
    expect(LocalNetworks.empty().configured).to.equal(false);
  });

  it('a /n network contains exactly the addresses sharing its first n bits (model check)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }),
      (net, addr, prefix) => {
        const nets = LocalNetworks.parse(`${[...net].join('.')}/${prefix}`, 't', { includePrivateAddressSpace: false });
        const toInt = (b: Uint8Array) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        expect(nets.isLocal(Buffer.from(addr), 0, 4)).to.equal(((toInt(net) & mask) >>> 0) === ((toInt(addr) & mask) >>> 0));
      }), { numRuns: 500 });
  });
});

describe('UidSource', () => {
  it('makes C + base62 uids that do not repeat', () => {
    const source = new UidSource();
    const uids = new Set<string>();
    for (let i = 0; i < 10000; i++) uids.add(source.next());
    expect(uids.size).to.equal(10000);
    for (const uid of [...uids].slice(0, 100)) expect(uid).to.match(/^C[0-9A-Za-z]{10,17}$/);
  });

  it('base62 prints the big-endian integer in the given byte range (model: BigInt)', () => {
    const reference = (bytes: Uint8Array): string => {
      let value = 0n;
      for (const b of bytes) value = (value << 8n) | BigInt(b);
      return value === 0n ? '0' : toBase62(value);
    };
    const toBase62 = (value: bigint): string => {
      const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
      let text = '';
      for (; value > 0n; value /= 62n) text = digits[Number(value % 62n)] + text;
      return text;
    };
    // Bytes near the digit boundaries too (runs of zeros, 61/62), so partial and all-zero division chunks come up.
    const byteArrays = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.constantFrom(0, 0, 1, 61, 62, 255), { maxLength: 40 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(fc.property(byteArrays, fc.nat({ max: 8 }), fc.nat({ max: 8 }), (bytes, cutStart, cutEnd) => {
      const start = Math.min(cutStart, bytes.length);
      const length = Math.max(0, bytes.length - start - cutEnd);
      expect(base62(bytes, start, length)).to.equal(reference(bytes.subarray(start, start + length)));
      expect(base62(Buffer.from(bytes))).to.equal(reference(bytes));
    }), { numRuns: 1000 });
    expect(base62(new Uint8Array(12))).to.equal('0');
    expect(base62(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).to.equal(toBase62(2n ** 96n - 1n));
  });

  it('is reproducible with a seed and differs between seeds', () => {
    const a = new UidSource('x');
    const b = new UidSource('x');
    const c = new UidSource('y');
    const seqA = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).to.deep.equal(seqA);
    expect(c.next()).to.not.equal(seqA[0]);
    expect(new UidSource('x').next('F')).to.equal('F' + seqA[0].slice(1));
  });
});
