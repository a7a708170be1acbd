// The ASCII writer's buffer fast path (rowInto) must write exactly the bytes of row() for any record: odd strings that
// need escaping, reserved markers, unset values, negative and huge numbers, non-integer times, rows starting with '#',
// custom separators; and it must report -1, not write a torn row, when the buffer is too small.

import { expect } from 'chai';
import * as fc from 'fast-check';
import { columnsOf, defineLog } from '../../../sensor/logs/log-schema';
import { ZeekAsciiFormatter } from '../../../sensor/logs/zeek-ascii-writer';

interface OddRecord {
  t?: number;
  name?: string;
  addr?: string;
  count?: number;
  int?: number;
  flag?: boolean;
  interval?: number;
  set?: string[];
}

const column = columnsOf<OddRecord>();
const oddLog = defineLog<OddRecord>({
  path: 'odd',
  doc: 'test log with one column of each kind the fast path handles',
  columns: [
    column('name', 'string', 'first, so a leading # is possible', (r) => r.name),
    column('t', 'time', 'time in microseconds', (r) => r.t),
    column('addr', 'addr', 'address text', (r) => r.addr),
    column('count', 'count', 'count', (r) => r.count),
    column('int', 'int', 'int', (r) => r.int),
    column('flag', 'bool', 'bool', (r) => r.flag),
    column('interval', 'interval', 'interval', (r) => r.interval),
    column('set', 'set[string]', 'set', (r) => r.set),
  ],
  profiles: {},
});

const text = fc.oneof(
  fc.constantFrom('-', '(empty)', '', '#x', '#', 'a\tb', 'a,b', '\\', 'é', '\u0100z', '10.0.0.1', 'Cabc123'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const numberish = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(0, -0, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e21, 1e300, NaN, Infinity, -Infinity, 0.5, -1.5),
  fc.double(),
);
const recordArb: fc.Arbitrary<OddRecord> = fc.record(
  {
    t: fc.oneof(fc.integer({ min: -2e12, max: 2e15 }), numberish),
    name: text,
    addr: text,
    count: numberish,
    int: numberish,
    flag: fc.boolean(),
    interval: numberish,
    set: fc.array(text, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

function bytesOfRowInto(f: ZeekAsciiFormatter<OddRecord>, rec: OddRecord, size: number, at: number): Buffer | number {
  const out = Buffer.alloc(size, 0xaa);
  const end = f.rowInto(rec, out, at);
  return end < 0 ? end : out.subarray(at, end);
}

describe('ZeekAsciiFormatter.rowInto', () => {
  for (const seps of [{}, { separator: '|', setSeparator: ';', unsetField: 'NULL', emptyField: 'EMPTY' }, { separator: '::' }]) {
    it(`writes the same bytes as row() (separators ${JSON.stringify(seps)})`, () => {
      const f = new ZeekAsciiFormatter<OddRecord>(oddLog.columns, seps);
      fc.assert(
        fc.property(recordArb, fc.nat({ max: 40 }), (rec, at) => {
          const expected = Buffer.from(f.row(rec), 'latin1');
          const got = bytesOfRowInto(f, rec, at + expected.length + 8, at);
          expect(got).to.deep.equal(expected);
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('returns -1 when the row does not fit, for every buffer shorter than the row', () => {
    const f = new ZeekAsciiFormatter<OddRecord>(oddLog.columns);
    fc.assert(
      fc.property(recordArb, (rec) => {
        const length = Buffer.byteLength(f.row(rec), 'latin1');
        for (let size = 0; size < length; size++) expect(bytesOfRowInto(f, rec, size, 0)).to.equal(-1);
        expect(bytesOfRowInto(f, rec, length, 0)).to.be.instanceOf(Buffer);
      }),
      { numRuns: 300 },
    );
  });
});
