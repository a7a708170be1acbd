// TcpReassembler: random segmentation, reordering, duplication and overlap must deliver exactly the original
// stream; with drops, delivered bytes plus declared gaps must cover the stream exactly; buffering stays capped.
import { expect } from 'chai';
import fc from 'fast-check';
import { TcpReassembler } from '../../../sensor/flows/tcp-reassembler';

interface Delivery { seq: number; bytes: Buffer }

function collector(): { deliveries: Delivery[]; gaps: { seq: number; length: number }[]; sink: ConstructorParameters<typeof TcpReassembler>[0] } {
  const deliveries: Delivery[] = [];
  const gaps: { seq: number; length: number }[] = [];
  return {
    deliveries,
    gaps,
    sink: {
      deliver: (seq, data, offset, length) => deliveries.push({ seq, bytes: Buffer.from(data.subarray(offset, offset + length)) }),
      gap: (seq, length) => gaps.push({ seq, length }),
    },
  };
}

/** Segments (start, length) covering [0, total) with random cuts, plus random overlapping extra segments. */
const segmentation = fc.integer({ min: 1, max: 3000 }).chain((total) => fc.record({
  total: fc.constant(total),
  cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, total - 1) }), { maxLength: 40 }),
  extras: fc.array(fc.tuple(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 1, max: 400 })), { maxLength: 15 }),
  seed: fc.integer(),
  dropMask: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
}));

function segmentsOf(total: number, cuts: number[], extras: [number, number][]): [number, number][] {
  const points = [0, ...cuts.filter((c) => c < total).sort((a, b) => a - b), total];
  const segments: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i++) if (points[i + 1] > points[i]) segments.push([points[i], points[i + 1] - points[i]]);
  for (const [start, length] of extras) segments.push([start, Math.min(length, total - start)]);
  return segments;
}

function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed | 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    const j = Math.abs(state) % (i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function streamBytes(total: number, seed: number): Buffer {
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < total; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe('TcpReassembler', () => {
  it('delivers the original stream for any segmentation, order, duplication and overlap', () => {
    fc.assert(fc.property(segmentation, ({ total, cuts, extras, seed }) => {
      const stream = streamBytes(total, seed);
      const { deliveries, gaps, sink } = collector();
      const reassembler = new TcpReassembler(sink, 1 << 20);
      const segments = shuffle(segmentsOf(total, cuts, extras), seed);
      segments.push(segments[0]); // a retransmission after everything
      for (const [start, length] of segments) reassembler.dataSent(1 + start, stream, start, length, 1);
      expect(gaps).to.deep.equal([]);
      expect(Buffer.concat(deliveries.map((d) => d.bytes)).equals(stream)).to.equal(true);
      let next = 1;
      for (const d of deliveries) {
        expect(d.seq).to.equal(next);
        next += d.bytes.length;
      }
      expect(reassembler.bufferedBytes).to.equal(0);
    }), { numRuns: 300 });
  });

  it('with dropped segments, delivered bytes and gaps tile the stream once the peer acks the end', () => {
    fc.assert(fc.property(segmentation, ({ total, cuts, extras, seed, dropMask }) => {
      const stream = streamBytes(total, seed);
      const { deliveries, gaps, sink } = collector();
      const reassembler = new TcpReassembler(sink, 1 << 20);
      const segments = shuffle(segmentsOf(total, cuts, extras), seed).filter((_, i) => !dropMask[i % dropMask.length]);
      for (const [start, length] of segments) reassembler.dataSent(1 + start, stream, start, length, 1);
      reassembler.trimTo(1 + total, false);
      const pieces = [...deliveries.map((d) => ({ seq: d.seq, length: d.bytes.length })), ...gaps].sort((a, b) => a.seq - b.seq);
      let next = 1;
      for (const piece of pieces) {
        expect(piece.seq).to.equal(next);
        next += piece.length;
      }
      expect(next).to.equal(1 + total);
      for (const d of deliveries) expect(d.bytes.equals(stream.subarray(d.seq - 1, d.seq - 1 + d.bytes.length))).to.equal(true);
    }), { numRuns: 300 });
  });

  it('never buffers more than its cap: beyond it, skips ahead over the hole and reports the gap', () => {
    const { deliveries, gaps, sink } = collector();
    const cap = 64 * 1024;
    const reassembler = new TcpReassembler(sink, cap);
    const segment = Buffer.alloc(1000, 0x61);
    let maxBuffered = 0;
    // Byte 1..1000 never arrives; 5000 segments above the hole do.
    for (let i = 1; i <= 5000; i++) {
      reassembler.dataSent(1 + i * 1000, segment, 0, 1000, 1);
      maxBuffered = Math.max(maxBuffered, reassembler.bufferedBytes);
    }
    expect(maxBuffered).to.be.at.most(cap);
    expect(gaps[0]).to.deep.equal({ seq: 1, length: 1000 });
    const delivered = deliveries.reduce((n, d) => n + d.bytes.length, 0);
    expect(delivered + reassembler.bufferedBytes).to.equal(5000 * 1000);
  });

  it('ignores data that was already acknowledged and trims partially acknowledged segments', () => {
    const { deliveries, sink } = collector();
    const reassembler = new TcpReassembler(sink, 1 << 20);
    const data = Buffer.from('abcdefghij');
    reassembler.dataSent(1, data, 0, 5, 1);
    reassembler.trimTo(6, false);
    reassembler.dataSent(1, data, 0, 5, 6); // old retransmission
    reassembler.dataSent(4, data, 3, 7, 6); // overlaps acked data
    expect(Buffer.concat(deliveries.map((d) => d.bytes)).toString()).to.equal('abcdefghij');
  });
});
