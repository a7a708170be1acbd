// Network-time timers (Zeek's timer manager in miniature): a binary min-heap ordered by due time, then by
// insertion order. Cancelling is lazy: owners bump a generation number and ignore stale timers when they fire.

export interface Timer<T> {
  due: number;
  order: number;
  target: T;
  kind: number;
  generation: number;
}

export class TimerQueue<T> {
  private readonly heap: Timer<T>[] = [];
  private nextOrder = 0;

  get size(): number {
    return this.heap.length;
  }

  add(due: number, target: T, kind: number, generation: number): void {
    const timer: Timer<T> = { due, order: this.nextOrder++, target, kind, generation };
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  /** Whether a timer is due at `now` (cheap: callers check this on every packet before popping). */
  hasDue(now: number): boolean {
    return this.heap.length > 0 && this.heap[0].due <= now;
  }

  /** Removes and returns the earliest timer if it is due at `now` (due <= now), else undefined. */
  popDue(now: number): Timer<T> | undefined {
    const heap = this.heap;
    if (heap.length === 0 || heap[0].due > now) return undefined;
    const top = heap[0];
    const last = heap.pop() as Timer<T>;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && earlier(heap[right], heap[left]) ? right : left;
        if (!earlier(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

function earlier<T>(a: Timer<T>, b: Timer<T>): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}
