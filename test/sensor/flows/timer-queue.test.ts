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

  it('with liveness: compaction drops only dead timers, live ones fire as the model says, the heap follows the live ones', () => {
    // Every timer is live or dead by its generation's parity flipping (a "cancel" kills every timer of one target).
    type LivenessOp = { add: true; due: number; target: number } | { add: false; now: number } | { cancel: number };
    const liveOpArb: fc.Arbitrary<LivenessOp> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ add: fc.constant(true as const), due: fc.integer({ min: 0, max: 50 }), target: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ add: fc.constant(false as const), now: fc.integer({ min: 0, max: 50 }) }) },
      { weight: 2, arbitrary: fc.record({ cancel: fc.integer({ min: 0, max: 300 }) }) },
    );
    fc.assert(
      fc.property(fc.array(liveOpArb, { minLength: 100, maxLength: 12000, size: 'max' }), (ops) => {
        const generation = new Map<number, number>();
        const gen = (t: number): number => generation.get(t) ?? 0;
        const queue = new TimerQueue<number>((target, _kind, g) => g === gen(target));
        const model: { due: number; seq: number; target: number; generation: number }[] = [];
        let seq = 0;
        let maxLive = 0;
        for (const op of ops) {
          if ('cancel' in op) {
            generation.set(op.cancel, gen(op.cancel) + 1);
            continue;
          }
          if (op.add) {
            queue.add(op.due, op.target, 0, gen(op.target));
            model.push({ due: op.due, seq: seq++, target: op.target, generation: gen(op.target) });
          } else {
            model.sort((a, b) => a.due - b.due || a.seq - b.seq);
            const due = model.filter((t) => t.due <= op.now);
            model.splice(0, due.length);
            const expected = due.filter((t) => t.generation === gen(t.target)).map((t) => [t.due, t.target]);
            const fired: number[][] = [];
            while (queue.popDue(op.now)) {
              if (queue.firedGeneration === gen(queue.firedTarget as number)) fired.push([queue.firedDue, queue.firedTarget as number]);
            }
            expect(fired).to.deep.equal(expected);
          }
          const live = model.filter((t) => t.generation === gen(t.target)).length;
          maxLive = Math.max(maxLive, live);
          // Never more than twice the live timers seen (plus the floor below which it does not compact).
          expect(queue.size).to.be.at.most(2 * maxLive + 4096 + 1);
        }
      }),
      { numRuns: 40 },
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
