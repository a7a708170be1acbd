// The wall clock with microseconds that the agent stamps messages with: it agrees with Date.now(), and its
// sub-millisecond digits are real (not always 0), which a Date alone cannot give.

import { expect } from 'chai';
import { preciseNow } from '../../../agent/format/precise-clock';

describe('preciseNow', function () {
  it('agrees with Date.now() to within a few milliseconds and carries microseconds 0..999', function () {
    const microsSeen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const before = Date.now();
      const { time, micros } = preciseNow();
      const after = Date.now();
      expect(Number.isInteger(micros) && micros >= 0 && micros <= 999, `micros ${micros}`).to.equal(true);
      expect(time.getTime()).to.be.within(before - 3, after + 3);
      microsSeen.add(micros);
    }
    // 2000 readings that were all whole milliseconds would mean the sub-millisecond part is not real.
    expect(microsSeen.size, 'distinct microsecond values').to.be.greaterThan(10);
  });
});
