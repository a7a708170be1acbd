// Zeek-shaped connection uids (`C` + base62 of a 96-bit value): unpredictable by default (crypto random),
// or a deterministic sequence from a seed so tests can reproduce exact uids.
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 text of the unsigned big-endian integer in `bytes` (most significant digit first). */
export function base62(bytes: Buffer): string {
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i]);
  if (value === 0n) return '0';
  let text = '';
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text;
}

export class UidSource {
  private counter = 0;

  /** `seed` makes the sequence reproducible (tests); without it every uid comes from crypto.randomBytes. */
  constructor(private readonly seed?: string) {}

  /** Next uid; `prefix` is Zeek's kind letter (`C` connections, `F` files). */
  next(prefix = 'C'): string {
    return prefix + base62(this.nextBits());
  }

  private nextBits(): Buffer {
    if (this.seed === undefined) return randomBytes(12);
    // A hash of seed and counter: deterministic, still well spread so uids do not share prefixes.
    return createHash('sha256').update(`${this.seed}\0${this.counter++}`).digest().subarray(0, 12);
  }
}
