// Framing: exact rsyslog frame bytes, and frame -> deframe round trips over random messages and random chunkings.

import { expect } from 'chai';
import * as fc from 'fast-check';
import { frameMessages, StreamDeframer } from '../../../agent/transport/framing';

/** Splits `data` at the given cut points (any positions, any count). */
function chunk(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(data.subarray(start, p));
    start = p;
  }
  out.push(data.subarray(start));
  return out;
}

describe('framing', function () {
  it('writes LF and octet-counted frames as rsyslog omfwd does', function () {
    const msgs = [Buffer.from('<190>a\tb'), Buffer.from('<190>1 x - - - y\n')];
    expect(frameMessages(msgs, 'lf').toString('latin1')).to.equal('<190>a\tb\n<190>1 x - - - y\n');
    expect(frameMessages(msgs, 'octet-counted').toString('latin1')).to.equal('8 <190>a\tb17 <190>1 x - - - y\n');
  });

  it('round-trips octet-counted frames of any bytes through any chunking', function () {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (arrays, cuts) => {
          const msgs = arrays.map((a) => Buffer.from(a));
          const d = new StreamDeframer('octet-counted');
          const got = chunk(frameMessages(msgs, 'octet-counted'), cuts).flatMap((c) => d.push(c));
          expect(got.map((b) => b.toString('hex'))).to.deep.equal(msgs.map((b) => b.toString('hex')));
          expect(d.remainder.length).to.equal(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips LF frames of LF-free messages (a final LF is the frame end) through any chunking', function () {
    const lfFree = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a)));
    fc.assert(
      fc.property(fc.array(fc.tuple(lfFree, fc.boolean()), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (items, cuts) => {
        const msgs = items.map(([m, endsWithLf]) => (endsWithLf ? Buffer.concat([m, Buffer.from('\n')]) : m));
        const framed = frameMessages(msgs, 'lf');
        expect(framed.length).to.equal(items.reduce((n, [m]) => n + m.length + 1, 0));
        const d = new StreamDeframer('lf');
        const got = chunk(framed, cuts).flatMap((c) => d.push(c));
        expect(got.map((b) => b.toString('hex'))).to.deep.equal(items.map(([m]) => m.toString('hex')));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a malformed octet count instead of guessing', function () {
    expect(() => new StreamDeframer('octet-counted').push(Buffer.from('x12 abc'))).to.throw(/invalid octet count/);
    expect(() => new StreamDeframer('octet-counted').push(Buffer.from('012 abc'))).to.throw(/invalid octet count/);
  });
});
