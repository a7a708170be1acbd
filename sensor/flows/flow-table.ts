// The flow table's index: an open-addressing hash table from a 32-bit flow hash to the connections filed under it.
// Linear probing over typed arrays with backward-shift deletion: a lookup allocates nothing (no string keys, no
// bucket arrays, no boxed keys) and the table never fills with tombstones, however many connections come and go.

const MIN_CAPACITY = 1024;

export class FlowTable<T> {
  /** Each slot's hash; meaningful only where `items` holds an entry. */
  private hashes: Int32Array;
  private items: (T | undefined)[];
  private mask: number;
  private count = 0;

  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.hashes = new Int32Array(capacity);
    this.items = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * The next slot after `slot` (-1: start) holding an entry filed under `hash`, or -1 when there is none. Callers walk
   * the entries of one hash with `for (let s = t.next(h, -1); s >= 0; s = t.next(h, s))`; different keys may share a hash.
   */
  next(hash: number, slot: number): number {
    hash |= 0;
    const mask = this.mask;
    const items = this.items;
    const hashes = this.hashes;
    for (let i = slot < 0 ? hash & mask : (slot + 1) & mask; items[i] !== undefined; i = (i + 1) & mask) {
      if (hashes[i] === hash) return i;
    }
    return -1;
  }

  /** The entry in `slot` (a slot next() returned, before any insert or delete). */
  at(slot: number): T {
    return this.items[slot] as T;
  }

  /** Files `item` under `hash` (the caller checked it is not filed already). */
  insert(hash: number, item: T): void {
    hash |= 0;
    // Keep the load factor at or below one half: probe runs stay short.
    if ((this.count + 1) * 2 > this.items.length) this.resize(this.items.length * 2);
    const mask = this.mask;
    let i = hash & mask;
    while (this.items[i] !== undefined) i = (i + 1) & mask;
    this.items[i] = item;
    this.hashes[i] = hash;
    this.count++;
  }

  /** Removes `item` filed under `hash`; false when it is not there. */
  delete(hash: number, item: T): boolean {
    for (let s = this.next(hash | 0, -1); s >= 0; s = this.next(hash | 0, s)) {
      if (this.items[s] === item) {
        this.removeSlot(s);
        return true;
      }
    }
    return false;
  }

  /** Every entry, in slot order. */
  *values(): IterableIterator<T> {
    for (const item of this.items) if (item !== undefined) yield item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.count = 0;
  }

  /** Empties `slot` and moves later entries of its probe run back, so every entry stays reachable from its home slot. */
  private removeSlot(slot: number): void {
    const mask = this.mask;
    const items = this.items;
    const hashes = this.hashes;
    let hole = slot;
    for (let i = (slot + 1) & mask; items[i] !== undefined; i = (i + 1) & mask) {
      const home = hashes[i] & mask;
      // The entry at i may fill the hole only if the hole lies on its probe path (cyclically between home and i).
      const distanceToI = (i - home) & mask;
      const distanceToHole = (hole - home) & mask;
      if (distanceToHole < distanceToI) {
        items[hole] = items[i];
        hashes[hole] = hashes[i];
        hole = i;
      }
    }
    items[hole] = undefined;
    this.count--;
  }

  private resize(capacity: number): void {
    const oldItems = this.items;
    const oldHashes = this.hashes;
    this.items = new Array<T | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < oldItems.length; i++) {
      const item = oldItems[i];
      if (item === undefined) continue;
      let j = oldHashes[i] & this.mask;
      while (this.items[j] !== undefined) j = (j + 1) & this.mask;
      this.items[j] = item;
      this.hashes[j] = oldHashes[i];
    }
  }
}
