// LineSplitter against a one-line reference model: for any bytes and any way of cutting them into read chunks,
// the lines and offsets are the same, and the held-back partial line never exceeds maxLineBytes.

import { expect } from 'chai';
import fc from 'fast-check';
import { LineSplitter } from '../../../agent/tailer/line-splitter';

/** The specification, written the slow obvious way. */
function referenceSplit(bytes: Buffer, max: number): { lines: Buffer[]; ends: number[]; consumed: number } {
  const lines: Buffer[] = [];
  const ends: number[] = [];
  let start = 0;
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, start)) {
    let piece = start;
    while (lf - piece > max) {
      lines.push(bytes.subarray(piece, piece + max));
      ends.push(piece + max);
      piece += max;
    }
    if (lf > piece) {
      lines.push(bytes.subarray(piece, lf));
      ends.push(lf + 1);
    }
    start = lf + 1;
  }
  // An unfinished tail longer than max already yields its full pieces.
  while (bytes.length - start > max) {
    lines.push(bytes.subarray(start, start + max));
    ends.push(start + max);
    start += max;
  }
  return { lines, ends, consumed: start };
}

describe('LineSplitter', () => {
  it('matches the reference split for any bytes, chunking and maxLineBytes', () => {
    const byte = fc.oneof(fc.constant(0x0a), fc.constant(0x0d), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1000 }),
        (raw, chunkSizes, max, base) => {
          const bytes = Buffer.from(raw);
          const splitter = new LineSplitter(max, base);
          const lines: Buffer[] = [];
          const ends: number[] = [];
          const scratch = Buffer.alloc(64);
          let pos = 0;
          for (let i = 0; pos < bytes.length; i++) {
            const n = Math.min(chunkSizes[i % chunkSizes.length], bytes.length - pos);
            scratch.fill(0x0a); // stale bytes past `n` must be ignored
            bytes.copy(scratch, 0, pos, pos + n);
            splitter.push(scratch, n, (line, end) => {
              lines.push(line);
              ends.push(end);
            });
            pos += n;
            expect(splitter.pendingBytes).to.be.at.most(max);
          }
          const want = referenceSplit(bytes, max);
          expect(lines.map((l) => l.toString('hex'))).to.deep.equal(want.lines.map((l) => l.toString('hex')));
          expect(ends).to.deep.equal(want.ends.map((e) => e + base));
          expect(splitter.offset).to.equal(want.consumed + base);
          // flush hands out exactly the unfinished tail.
          const tail: Buffer[] = [];
          splitter.flush((line) => tail.push(line));
          const rest = bytes.subarray(want.consumed);
          expect(Buffer.concat(tail).toString('hex')).to.equal(rest.toString('hex'));
          expect(splitter.offset).to.equal(bytes.length + base);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('emits copies: reusing the read buffer does not change lines already handed out', () => {
    const splitter = new LineSplitter(100, 0);
    const chunk = Buffer.from('abc\ndef');
    const lines: Buffer[] = [];
    splitter.push(chunk, chunk.length, (l) => lines.push(l));
    chunk.fill(0x7a);
    chunk.write('\n', 0);
    splitter.push(chunk, 1, (l) => lines.push(l));
    expect(lines.map(String)).to.deep.equal(['abc', 'def']);
  });
});
