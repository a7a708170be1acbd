// Shared by every tailer of one agent: bounds how many file reads are in progress at once, from read(2) until the
// batch they produced has been taken by the queues, and lends each one a read buffer from a small pool.
//
// Without it every tailer keeps its own read buffer and, while the queues are full, holds one chunk's lines waiting
// to be enqueued: with 100 busy files that is 100 buffers and 100 chunks of lines (raw and formatted) outside the
// queue's bound. With the gate it is `permits` of each, whatever the number of files; a quiet file holds no buffer.
// Permits are granted in request order, so a busy file cannot starve another.

/** One read in progress: its buffer is the caller's until release(). */
export interface ReadPermit {
  readonly buffer: Buffer;
  release(): void;
}

/** Where a tailer gets its read buffers: the shared ReadGate, or a view of it for one file (see waitingFirst). */
export interface ReadPermits {
  readonly chunkBytes: number;
  /** Resolves with a permit, or with undefined once `signal` aborts (the tailer is stopping). */
  acquire(signal?: AbortSignal): Promise<ReadPermit | undefined>;
}

/**
 * The gate as one file sees it: before asking for a permit, waits for `ready` (e.g. the file's state file being
 * writable again), so a file that may not read now does not hold a permit other files could use.
 */
export function waitingFirst(gate: ReadPermits, ready: () => true | Promise<unknown>): ReadPermits {
  return {
    chunkBytes: gate.chunkBytes,
    acquire: async (signal) => {
      const r = ready();
      if (r !== true) await r;
      return gate.acquire(signal);
    },
  };
}

export class ReadGate implements ReadPermits {
  private readonly free: Buffer[] = [];
  private created = 0;
  private readonly waiters: Array<(permit: ReadPermit) => void> = [];

  constructor(readonly permits: number, readonly chunkBytes: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`permits must be >= 1, got ${permits}`);
  }

  /** Read buffers that exist now (at most `permits`). */
  get buffersAllocated(): number {
    return this.created;
  }

  /** Reads waiting for a permit. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a permit, or with undefined once `signal` aborts (the tailer is stopping). */
  acquire(signal?: AbortSignal): Promise<ReadPermit | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const buffer = this.take();
    if (buffer) return Promise.resolve(this.permit(buffer));
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      };
      const grant = (permit: ReadPermit): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(permit);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private take(): Buffer | undefined {
    const buffer = this.free.pop();
    if (buffer) return buffer;
    if (this.created >= this.permits) return undefined;
    this.created++;
    return Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  private permit(buffer: Buffer): ReadPermit {
    let released = false;
    return {
      buffer,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next(this.permit(buffer));
        else this.free.push(buffer);
      },
    };
  }
}
