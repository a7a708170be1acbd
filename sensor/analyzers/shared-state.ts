// State analyzers share across connections (Zeek's global tables with &create_expire/&write_expire): named tables whose
// entries expire on network time, plus hooks the pipeline calls at end of input and at log rotation.
// Examples of use: software seen per host, known hosts per day, requests awaiting answers on another connection.

import type { LocalNetworks } from '../flows/local-networks';

/** One named table; an entry expires `expireAfter` seconds of network time after it was last written. */
export class ExpiringTable<K, V> {
  /** Insertion order is write order (a rewrite moves the key to the end), so the oldest entry is always first. */
  private readonly entries = new Map<K, { value: V; written: number }>();

  constructor(
    private readonly state: SharedState,
    readonly expireAfter: number,
    private readonly onExpire?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores `value`, stamped with the current network time. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, written: this.state.networkTime });
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Drops entries written `expireAfter` seconds or more before `now` (oldest first), calling onExpire for each. */
  expire(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.written < this.expireAfter) break;
      this.entries.delete(key);
      this.onExpire?.(key, entry.value);
    }
  }

  /** Removes the oldest entry (for a table with a memory bound), without onExpire; undefined when empty. */
  shift(): [K, V] | undefined {
    for (const [key, entry] of this.entries) {
      this.entries.delete(key);
      return [key, entry.value];
    }
    return undefined;
  }

  /** Every entry goes now (end of input): onExpire for each, oldest first. */
  drain(): void {
    for (const [key, entry] of [...this.entries]) {
      this.entries.delete(key);
      this.onExpire?.(key, entry.value);
    }
  }
}

export class SharedState {
  private readonly tables = new Map<string, ExpiringTable<unknown, unknown>>();
  private readonly endHooks: (() => void)[] = [];
  private readonly rotationHooks: ((boundary: number) => void)[] = [];
  /** Network time (seconds) as the pipeline last advanced it. */
  networkTime = 0;
  /**
   * The run's local networks (Zeek's Site::local_nets), set by the pipeline: the software framework tracks local
   * hosts only (Software::asset_tracking = LOCAL_HOSTS). Unset: Zeek's default, the private address space.
   */
  localNets?: LocalNetworks;

  /**
   * The table called `name`, created on first use (a second call returns the same table: every connection's analyzer
   * instance asks for it). The settings of the first call stay.
   */
  table<K, V>(name: string, expireAfter: number, onExpire?: (key: K, value: V) => void): ExpiringTable<K, V> {
    let table = this.tables.get(name);
    if (!table) {
      if (!(expireAfter > 0)) throw new Error(`shared table ${name}: expiry must be a positive number of seconds`);
      table = new ExpiringTable<K, V>(this, expireAfter, onExpire) as unknown as ExpiringTable<unknown, unknown>;
      this.tables.set(name, table);
    }
    // The map erases K and V; each name is only ever created by the one analyzer that owns it.
    return table as unknown as ExpiringTable<K, V>;
  }

  /** Called once, after every connection has ended at the end of input (Zeek's zeek_done). */
  onEndOfInput(hook: () => void): void {
    this.endHooks.push(hook);
  }

  /** Called at each log rotation, with the boundary's network time, before the files are closed. */
  onRotation(hook: (boundary: number) => void): void {
    this.rotationHooks.push(hook);
  }

  /** The pipeline's clock moved on: expire what is due. */
  advanceTime(now: number): void {
    if (now > this.networkTime) this.networkTime = now;
    for (const table of this.tables.values()) table.expire(this.networkTime);
  }

  endOfInput(): void {
    for (const hook of this.endHooks) hook();
    for (const table of this.tables.values()) table.drain();
  }

  rotation(boundary: number): void {
    for (const hook of this.rotationHooks) hook(boundary);
  }
}
