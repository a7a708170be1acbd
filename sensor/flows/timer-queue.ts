// Network-time timers (Zeek's timer manager in miniature): a binary min-heap ordered by due time, then by
// insertion order. Cancelling is lazy: owners bump a generation number and ignore stale timers when they fire;
// the heap drops such dead timers (and with them its references to removed connections) whenever they could
// outnumber the live ones, so its size follows the live timers, not every timer armed in the last timeout.
// The heap is kept as parallel typed arrays rather than one object per timer: a connection arms about ten timers in
// its life, and objects made that a steady stream of garbage and pointer-chasing in every sift.

import { DOUBLE_ZERO } from '../decode/double-zero';

const INITIAL_CAPACITY = 1024;
/** Below this many timers the heap is never compacted (a scan would cost more than the dead entries do). */
const MIN_COMPACTION_SIZE = 4096;

/** Whether a timer still matters to its owner; a dead one would be ignored when it fired. */
export type TimerLiveness<T> = (target: T, kind: number, generation: number) => boolean;

export class TimerQueue<T> {
  private dues = new Float64Array(INITIAL_CAPACITY);
  /** Insertion sequence number: breaks ties between equal due times (first armed fires first). */
  private orders = new Float64Array(INITIAL_CAPACITY);
  private kinds = new Int32Array(INITIAL_CAPACITY);
  /** Float64 like the owners' counters, so a comparison never sees a wrapped value. */
  private generations = new Float64Array(INITIAL_CAPACITY);
  private targets: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  private count = 0;
  private nextOrder = 0;
  /** The heap size at which the next add() first drops dead timers: twice the live ones after the last compaction. */
  private compactAt = MIN_COMPACTION_SIZE;
  /** Timers looked at by compactions so far (amortised O(1) per add: tests check it grows linearly). */
  compactionWork = 0;

  /** The timer the last successful popDue() removed (valid until the next popDue()). */
  firedDue = DOUBLE_ZERO;
  firedKind = 0;
  firedGeneration = DOUBLE_ZERO;
  firedTarget: T | undefined;

  /** `isLive` tells dead timers from live ones; without it dead timers stay until they come due. */
  constructor(private readonly isLive?: TimerLiveness<T>) {}

  get size(): number {
    return this.count;
  }

  add(due: number, target: T, kind: number, generation: number): void {
    if (this.count >= this.compactAt && this.isLive !== undefined) this.compact(this.isLive);
    if (this.count === this.dues.length) this.grow();
    const order = this.nextOrder++;
    const dues = this.dues;
    const orders = this.orders;
    // Sift up: move parents down into the hole until the new timer's place is found.
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = dues[parent];
      if (pd < due || (pd === due && orders[parent] < order)) break;
      this.move(parent, i);
      i = parent;
    }
    dues[i] = due;
    orders[i] = order;
    this.kinds[i] = kind;
    this.generations[i] = generation;
    this.targets[i] = target;
  }

  /** Whether a timer is due at `now` (cheap: callers check this on every packet before popping). */
  hasDue(now: number): boolean {
    return this.count > 0 && this.dues[0] <= now;
  }

  /**
   * Removes the earliest timer if it is due at `now` (due <= now) and returns true, with its fields in firedDue,
   * firedKind, firedGeneration and firedTarget; returns false (fields untouched) when none is due.
   */
  popDue(now: number): boolean {
    if (this.count === 0 || this.dues[0] > now) return false;
    this.firedDue = this.dues[0];
    this.firedKind = this.kinds[0];
    this.firedGeneration = this.generations[0];
    this.firedTarget = this.targets[0];
    const last = --this.count;
    if (last > 0) {
      // The last timer takes the root's place and sinks to where it belongs.
      this.move(last, 0);
      this.siftDown(0);
    }
    // Drop the reference so a removed connection is not kept alive by an emptied slot.
    this.targets[last] = undefined;
    return true;
  }

  clear(): void {
    this.targets.fill(undefined, 0, this.count);
    this.count = 0;
    // firedTarget is left as it is (stale, as documented): storing undefined into a field that only ever held targets
    // would widen its type and throw away compiled code that reads it.
  }

  /**
   * Drops every dead timer and rebuilds the heap (O(n)). Triggered when the heap has doubled since the last
   * compaction (and by owners that know dead timers pin memory), so each timer is looked at a bounded number of times
   * on average. Live timers keep their due time and insertion order, so they fire in exactly the order they would have.
   */
  compact(isLive: TimerLiveness<T> | undefined = this.isLive): void {
    if (isLive === undefined) return;
    const n = this.count;
    this.compactionWork += n;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const target = this.targets[i] as T;
      if (!isLive(target, this.kinds[i], this.generations[i])) continue;
      if (kept !== i) this.move(i, kept);
      kept++;
    }
    this.targets.fill(undefined, kept, n);
    this.count = kept;
    // Floyd's heap construction: sift down every parent, last first.
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.compactAt = Math.max(MIN_COMPACTION_SIZE, 2 * kept);
  }

  private siftDown(start: number): void {
    const dues = this.dues;
    const orders = this.orders;
    const count = this.count;
    const due = dues[start];
    const order = orders[start];
    const kind = this.kinds[start];
    const generation = this.generations[start];
    const target = this.targets[start];
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= count) break;
      const right = left + 1;
      let child = left;
      if (right < count && (dues[right] < dues[left] || (dues[right] === dues[left] && orders[right] < orders[left]))) {
        child = right;
      }
      const cd = dues[child];
      if (cd > due || (cd === due && orders[child] > order)) break;
      this.move(child, i);
      i = child;
    }
    dues[i] = due;
    orders[i] = order;
    this.kinds[i] = kind;
    this.generations[i] = generation;
    this.targets[i] = target;
  }

  private move(from: number, to: number): void {
    this.dues[to] = this.dues[from];
    this.orders[to] = this.orders[from];
    this.kinds[to] = this.kinds[from];
    this.generations[to] = this.generations[from];
    this.targets[to] = this.targets[from];
  }

  private grow(): void {
    const capacity = this.dues.length * 2;
    const dues = new Float64Array(capacity);
    dues.set(this.dues);
    const orders = new Float64Array(capacity);
    orders.set(this.orders);
    const kinds = new Int32Array(capacity);
    kinds.set(this.kinds);
    const generations = new Float64Array(capacity);
    generations.set(this.generations);
    this.dues = dues;
    this.orders = orders;
    this.kinds = kinds;
    this.generations = generations;
    const targets = this.targets;
    for (let i = targets.length; i < capacity; i++) targets.push(undefined);
  }
}
