// A first-in first-out queue over an array with a moving head: O(1) amortised push and shift, and compaction that
// drops entries their owner no longer needs. Used where a Map or Set in insertion order would be scanned from its
// start past deleted entries (V8 keeps those holes until it rehashes).

const MIN_TRIM = 1024;

export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest entry, or undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the oldest entry, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Give the consumed prefix back once it is most of the array: each entry is copied O(1) times on average.
    if (this.head >= MIN_TRIM && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the entries `keep` accepts, in order (O(length)). */
  retain(keep: (item: T) => boolean): void {
    const kept: (T | undefined)[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (keep(item)) kept.push(item);
    }
    this.items = kept;
    this.head = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
