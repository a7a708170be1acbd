// The read gate shared by an agent's tailers: never more reads (and read buffers) than its permits, granted in
// request order, buffers reused, and a waiting read given up when its tailer stops.

import { expect } from 'chai';
import { ReadGate, ReadPermit, waitingFirst } from '../../../agent/tailer/read-gate';

describe('ReadGate', () => {
  it('grants at most `permits` at once, in request order, reusing the buffers', async () => {
    const gate = new ReadGate(2, 1024);
    const a = (await gate.acquire())!;
    const b = (await gate.acquire())!;
    expect(a.buffer.length).to.equal(1024);
    expect(a.buffer).to.not.equal(b.buffer);
    const order: string[] = [];
    const granted: Record<string, ReadPermit> = {};
    const waits = ['c', 'd', 'e'].map((name) => gate.acquire().then((p) => { order.push(name); granted[name] = p!; }));
    await new Promise((r) => setImmediate(r));
    expect(order).to.deep.equal([]);
    expect(gate.waiting).to.equal(3);
    a.release();
    a.release(); // a second release changes nothing
    await new Promise((r) => setImmediate(r));
    expect(order).to.deep.equal(['c']);
    expect(granted.c.buffer).to.equal(a.buffer);
    b.release();
    granted.c.release();
    await Promise.all(waits);
    expect(order).to.deep.equal(['c', 'd', 'e']);
    expect(gate.buffersAllocated).to.equal(2);
  });

  it('a quiet gate holds no buffer; a waiting acquire resolves undefined once its signal aborts', async () => {
    const gate = new ReadGate(1, 4096);
    expect(gate.buffersAllocated).to.equal(0);
    const held = (await gate.acquire())!;
    const stop = new AbortController();
    const waiting = gate.acquire(stop.signal);
    stop.abort();
    expect(await waiting).to.equal(undefined);
    expect(gate.waiting).to.equal(0);
    expect(await gate.acquire(stop.signal)).to.equal(undefined);
    held.release();
    const again = (await gate.acquire())!;
    expect(again.buffer).to.equal(held.buffer);
  });

  it('waitingFirst: a file that may not read yet holds no permit while it waits', async () => {
    const gate = new ReadGate(1, 1024);
    let open!: () => void;
    const ready = new Promise<void>((resolve) => { open = resolve; });
    const blocked = waitingFirst(gate, () => ready).acquire();
    await new Promise((r) => setImmediate(r));
    const other = await gate.acquire(); // the only permit is free for another file
    expect(other).to.not.equal(undefined);
    other!.release();
    open();
    expect(await blocked).to.not.equal(undefined);
  });
});
