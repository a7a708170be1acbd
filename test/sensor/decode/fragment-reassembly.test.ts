// Proves IPv4/IPv6 fragment reassembly through the decoder: orders, overlaps, duplicates, missing pieces,
// timeouts and the memory cap, with Zeek's weird names; plus a property test over random splits and orders.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { DecodedPacket } from '../../../sensor/decode/decoded-packet';
import { PacketDecoder } from '../../../sensor/decode/packet-decoder';
import { caseCapture, readAll } from '../capture/capture-test-support';
import { fragmentFrame, udpDatagram } from './fragment-test-support';

function setup(opts: { fragmentMemoryBytes?: number; fragmentTimeoutSec?: number } = {}): { decoder: PacketDecoder; out: DecodedPacket; weirds: string[]; feed: (frame: Buffer, t?: number) => boolean } {
  const weirds: string[] = [];
  const decoder = new PacketDecoder({ weird: (n) => weirds.push(n) }, opts);
  const out = new DecodedPacket();
  const feed = (frame: Buffer, t = 1000): boolean => decoder.decode(1, frame, 0, frame.length, frame.length, t, 0, out);
  return { decoder, out, weirds, feed };
}

function payloadOf(out: DecodedPacket): Buffer {
  return out.data.subarray(out.payloadOffset, out.payloadOffset + out.payloadLength);
}

const PAYLOAD = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff));

for (const version of [4, 6] as const) {
  describe(`IPv${version} fragment reassembly`, () => {
    const dg = udpDatagram(version, PAYLOAD);
    const udpLen = 8 + PAYLOAD.length;
    // Three fragments on 8-byte boundaries: [0,1480) [1480,2960) [2960,end).
    const pieces: [number, number, boolean][] = [[0, 1480, true], [1480, 2960, true], [2960, udpLen, false]];
    const frames = pieces.map(([s, e, m]) => fragmentFrame(version, dg, s, e, m));

    it('in order: only the last fragment yields the whole datagram', () => {
      const { feed, out, weirds, decoder } = setup();
      expect(feed(frames[0])).to.equal(false);
      expect(feed(frames[1])).to.equal(false);
      expect(feed(frames[2])).to.equal(true);
      expect(out.reassembled).to.equal(true);
      expect(out.ipVersion).to.equal(version);
      expect([out.srcPort, out.dstPort, out.protocol]).to.deep.equal([5353, 53, 17]);
      expect(out.ipTotalLength).to.equal(dg.length);
      expect(payloadOf(out).equals(PAYLOAD)).to.equal(true);
      expect(weirds).to.deep.equal([]);
      expect(decoder.fragments.bytesHeld).to.equal(0);
    });

    it('out of order and with a duplicate: reassembles once, reports fragment_overlap', () => {
      const { feed, out, weirds } = setup();
      expect(feed(frames[2])).to.equal(false);
      expect(feed(frames[0])).to.equal(false);
      expect(feed(frames[0])).to.equal(false);
      expect(feed(frames[1])).to.equal(true);
      expect(payloadOf(out).equals(PAYLOAD)).to.equal(true);
      expect(weirds).to.deep.equal(['fragment_overlap']);
    });

    it('overlapping fragments with different bytes: first data wins, fragment_inconsistency', () => {
      const { feed, out, weirds } = setup();
      const bogus = Buffer.alloc(1480 - 1000, 0xee);
      expect(feed(frames[0])).to.equal(false);
      // Covers [1000, 1480): overlaps the first fragment with different content.
      expect(feed(fragmentFrame(version, dg, 1000, 1480, true, 0x1234, bogus))).to.equal(false);
      expect(feed(frames[1])).to.equal(false);
      expect(feed(frames[2])).to.equal(true);
      expect(payloadOf(out).equals(PAYLOAD)).to.equal(true);
      expect(weirds).to.deep.equal(['fragment_inconsistency']);
    });

    it('missing last fragment: waits, times out, memory freed', () => {
      const { feed, decoder } = setup({ fragmentTimeoutSec: 30 });
      feed(frames[0], 1000);
      feed(frames[1], 1001);
      expect(decoder.fragments.pendingDatagrams).to.equal(1);
      expect(decoder.fragments.bytesHeld).to.be.greaterThan(2960);
      // An unrelated packet 31 s later sweeps it.
      const other = fragmentFrame(version, udpDatagram(version, Buffer.alloc(10)), 0, 18, false);
      feed(other, 1031);
      expect(decoder.fragments.pendingDatagrams).to.equal(0);
      expect(decoder.fragments.bytesHeld).to.equal(0);
      // The late last fragment alone does not complete anything.
      expect(feed(frames[2], 1032)).to.equal(false);
    });

    it('timeout 0 (Zeek\'s "forever"): an incomplete datagram stays until completed', () => {
      const { feed, decoder } = setup({ fragmentTimeoutSec: 0 });
      feed(frames[0], 1000);
      feed(frames[1], 1500);
      expect(decoder.fragments.pendingDatagrams).to.equal(1);
      expect(feed(frames[2], 100000)).to.equal(true);
    });

    it('memory cap: the oldest incomplete datagrams are dropped, held bytes never exceed the cap', () => {
      const cap = 20000;
      const { feed, decoder } = setup({ fragmentMemoryBytes: cap });
      for (let id = 1; id <= 100; id++) {
        feed(fragmentFrame(version, dg, 0, 1480, true, id));
        expect(decoder.fragments.bytesHeld).to.be.at.most(cap);
      }
      expect(decoder.fragments.evictions).to.be.greaterThan(80);
      // The newest ones are still there and complete normally.
      expect(feed(fragmentFrame(version, dg, 1480, 2960, true, 100))).to.equal(false);
      expect(feed(fragmentFrame(version, dg, 2960, udpLen, false, 100))).to.equal(true);
    });

    it('a fragment reaching past 64000 bytes is excessively_large_fragment; beyond 65535 it is dropped', () => {
      const { feed, weirds, decoder } = setup();
      expect(feed(fragmentFrame(version, dg, 64000, 64016, true, 9, Buffer.alloc(16)))).to.equal(false);
      expect(weirds).to.include('excessively_large_fragment');
      expect(feed(fragmentFrame(version, dg, 65528, 65544, true, 9, Buffer.alloc(16)))).to.equal(false);
      expect(decoder.fragments.dropped).to.equal(1);
    });

    it('property: any split on 8-byte boundaries, in any order, with duplicates, reassembles to the original', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 1, max: Math.floor((udpLen - 1) / 8) }), { minLength: 1, maxLength: 12 }),
          fc.infiniteStream(fc.nat()),
          fc.nat({ max: 3 }),
          (cutUnits, rnd, dupCount) => {
            const cuts = [0, ...cutUnits.map((u) => u * 8).sort((a, b) => a - b), udpLen];
            const fr = cuts.slice(0, -1).map((s, i) => fragmentFrame(version, dg, s, cuts[i + 1], i + 1 < cuts.length - 1));
            const order = fr.map((f, i) => ({ f, k: rnd.next().value as number, i }));
            for (let d = 0; d < dupCount; d++) order.push({ ...order[d % order.length], k: rnd.next().value as number });
            order.sort((a, b) => a.k - b.k || a.i - b.i);
            const { feed, out, decoder } = setup();
            let completed = 0;
            for (const { f } of order) {
              if (feed(f)) {
                completed++;
                expect(payloadOf(out).equals(PAYLOAD)).to.equal(true);
              }
            }
            // Duplicates arriving after completion start a new datagram, which completes again only if all pieces recur.
            expect(completed).to.be.at.least(1);
            return decoder.internalErrors === 0;
          },
        ),
        { seed: 4242, numRuns: 300 },
      );
    });
  });
}

describe('fragment weirds on a Zeek case', () => {
  it('core-ipv6-reassembly-state-leak: the weird names Zeek logged (overlong datagrams after reassembly)', async () => {
    const expected = fs.readFileSync(`${path.dirname(caseCapture('core-ipv6-reassembly-state-leak'))}/expected-weird.log`, 'utf8')
      .split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('ts\t')).map((l) => l.split('\t')[6]);
    const { packets } = await readAll(caseCapture('core-ipv6-reassembly-state-leak'));
    const names = new Set<string>();
    const decoder = new PacketDecoder({ weird: (n) => names.add(n) });
    const out = new DecodedPacket();
    for (const p of packets) decoder.decode(p.linkType, p.bytes, 0, p.bytes.length, p.wireLength, p.tsSec, p.tsUsec, out);
    // Zeek's weird framework logs a flow weird once per address pair; the names must match.
    expect([...names].sort()).to.deep.equal([...new Set(expected)].sort());
    expect(decoder.fragments.bytesHeld).to.equal(0);
  });
});
