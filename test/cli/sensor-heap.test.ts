// The sensor's V8 heap growing factor (issue 18): set unless the user gave one on node's command line or NODE_OPTIONS.
import { expect } from 'chai';
import { applySensorHeapFlags, SENSOR_HEAP_GROWING_PERCENT } from '../../src/cli/sensor-heap';

describe('sensor heap flags', () => {
  it('sets --heap-growing-percent when neither node\'s arguments nor NODE_OPTIONS name it', () => {
    const set: string[] = [];
    const flag = applySensorHeapFlags(['--enable-source-maps'], '--max-old-space-size=2048', (f) => set.push(f));
    expect(flag).to.equal(`--heap-growing-percent=${SENSOR_HEAP_GROWING_PERCENT}`);
    expect(set).to.deep.equal([flag]);
  });

  it('keeps a growing factor given on node\'s command line or in NODE_OPTIONS', () => {
    const set: string[] = [];
    expect(applySensorHeapFlags(['--heap-growing-percent=200'], '', (f) => set.push(f))).to.equal(undefined);
    expect(applySensorHeapFlags([], '--inspect --heap_growing_percent=20', (f) => set.push(f))).to.equal(undefined);
    expect(set).to.deep.equal([]);
  });
});
