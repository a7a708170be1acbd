// FlowTable (the flow table's open-addressing index) against a model: random insert / lookup / delete sequences,
// with hashes drawn from a tiny range so collisions, long probe runs, wrap-around and resizes all happen.
import { expect } from 'chai';
import fc from 'fast-check';
import { FlowTable } from '../../../sensor/flows/flow-table';

interface Entry { id: number }

type Op =
  | { kind: 'insert'; hash: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'deleteMissing'; hash: number }
  | { kind: 'lookup'; hash: number };

/** Hashes from a few home slots (collisions), near the top of the table (wrap-around), negative and large values. */
const hashArb = fc.oneof(
  fc.integer({ min: 0, max: 7 }),
  fc.integer({ min: 1016, max: 1023 }),
  fc.integer({ min: -8, max: -1 }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: hashArb.map((hash): Op => ({ kind: 'insert', hash })) },
  { weight: 3, arbitrary: fc.nat().map((pick): Op => ({ kind: 'delete', pick })) },
  { weight: 1, arbitrary: hashArb.map((hash): Op => ({ kind: 'deleteMissing', hash })) },
  { weight: 3, arbitrary: hashArb.map((hash): Op => ({ kind: 'lookup', hash })) },
);

/** Everything the table holds under `hash`, in the order next() walks it. */
function entriesUnder(table: FlowTable<Entry>, hash: number): Entry[] {
  const out: Entry[] = [];
  for (let s = table.next(hash, -1); s >= 0; s = table.next(hash, s)) out.push(table.at(s));
  return out;
}

describe('FlowTable', () => {
  it('behaves like a map from hash to the entries filed under it, in insertion order (model test)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 1500 }), (ops) => {
        const table = new FlowTable<Entry>();
        const model = new Map<number, Entry[]>();
        const live: { hash: number; entry: Entry }[] = [];
        let nextId = 0;
        for (const op of ops) {
          if (op.kind === 'insert') {
            const entry = { id: nextId++ };
            table.insert(op.hash, entry);
            model.set(op.hash, [...(model.get(op.hash) ?? []), entry]);
            live.push({ hash: op.hash, entry });
          } else if (op.kind === 'delete') {
            if (live.length === 0) continue;
            const [{ hash, entry }] = live.splice(op.pick % live.length, 1);
            expect(table.delete(hash, entry)).to.equal(true);
            model.set(hash, (model.get(hash) ?? []).filter((e) => e !== entry));
          } else if (op.kind === 'deleteMissing') {
            expect(table.delete(op.hash, { id: -1 })).to.equal(false);
          } else {
            expect(entriesUnder(table, op.hash)).to.deep.equal(model.get(op.hash) ?? []);
          }
          expect(table.size).to.equal(live.length);
        }
        // Every live entry is still reachable under its own hash, and nothing else is there.
        for (const [hash, entries] of model) expect(entriesUnder(table, hash)).to.deep.equal(entries);
        expect([...table.values()].map((e) => e.id).sort((a, b) => a - b)).to.deep.equal(live.map((l) => l.entry.id).sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its initial capacity and empties again', () => {
    const table = new FlowTable<Entry>(16);
    const entries = Array.from({ length: 5000 }, (_, id) => ({ id }));
    entries.forEach((e) => table.insert(e.id * 7919, e));
    expect(table.size).to.equal(5000);
    for (const e of entries) expect(entriesUnder(table, e.id * 7919)).to.deep.equal([e]);
    entries.forEach((e) => expect(table.delete(e.id * 7919, e)).to.equal(true));
    expect(table.size).to.equal(0);
    expect(table.next(0, -1)).to.equal(-1);
  });
});
