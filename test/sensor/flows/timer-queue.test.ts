// TimerQueue against a model: random interleavings of add() and popDue() must fire exactly the timers a sorted list
// would, in due order with ties broken by insertion order (conn.log row order depends on it), through regrowth.
import { expect } from 'chai';
import * as fc from 'fast-check';
import { TimerQueue } from '../../../sensor/flows/timer-queue';

interface ModelTimer {
  due: number;
  seq: number;
  target: string;
  kind: number;
  generation: number;
}

type Op = { add: true; due: number; kind: number; generation: number } | { add: false; now: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // Few distinct due times (and fractional ones, as packet times are) so ties are common.
  fc.record({
    add: fc.constant(true as const),
    due: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 20, noNaN: true })),
    kind: fc.integer({ min: 0, max: 4 }),
    generation: fc.nat(),
  }),
  fc.record({ add: fc.constant(false as const), now: fc.double({ min: -1, max: 25, noNaN: true }) }),
);

describe('TimerQueue', () => {
  it('fires due timers in (due, insertion) order, exactly like a sorted model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 2000, size: 'max' }), (ops) => {
        const queue = new TimerQueue<string>();
        const model: ModelTimer[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op.add) {
            const target = `t${seq}`;
            queue.add(op.due, target, op.kind, op.generation);
            model.push({ due: op.due, seq: seq++, target, kind: op.kind, generation: op.generation });
            continue;
          }
          model.sort((a, b) => a.due - b.due || a.seq - b.seq);
          const expected = model.filter((t) => t.due <= op.now);
          model.splice(0, expected.length);
          const fired: ModelTimer[] = [];
          while (queue.popDue(op.now)) {
            fired.push({
              due: queue.firedDue,
              seq: Number((queue.firedTarget as string).slice(1)),
              target: queue.firedTarget as string,
              kind: queue.firedKind,
              generation: queue.firedGeneration,
            });
          }
          expect(fired).to.deep.equal(expected);
          expect(queue.size).to.equal(model.length);
          expect(queue.hasDue(op.now)).to.equal(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('grows past its initial capacity and empties on clear()', () => {
    const queue = new TimerQueue<number>();
    for (let i = 5000; i > 0; i--) queue.add(i % 97, i, 0, 0);
    expect(queue.size).to.equal(5000);
    let previous = -1;
    let popped = 0;
    while (queue.popDue(50)) {
      expect(queue.firedDue).to.be.at.least(previous);
      previous = queue.firedDue;
      popped++;
    }
    let dueByFifty = 0;
    for (let i = 1; i <= 5000; i++) if (i % 97 <= 50) dueByFifty++;
    expect(popped).to.equal(dueByFifty);
    expect(queue.size).to.equal(5000 - dueByFifty);
    queue.clear();
    expect(queue.size).to.equal(0);
    expect(queue.popDue(1000)).to.equal(false);
  });
});
