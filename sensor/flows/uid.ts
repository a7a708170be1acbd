// Zeek-shaped connection uids (`C` + base62 of a 96-bit value): unpredictable by default (crypto random),
// or a deterministic sequence from a seed so tests can reproduce exact uids.
import { createHash, randomFillSync } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UID_BYTES = 12;
/** Random bytes fetched per call into the CSPRNG: one call per ~340 uids instead of one per uid (a syscall-sized cost). */
const RANDOM_POOL_BYTES = 4096;

/** Scratch space for base62(), reused for the usual 12-byte uids (one call at a time: JavaScript is single-threaded). */
const limbScratch = new Float64Array(8);
const textScratch = Buffer.alloc(48);

/** 62^4: the divisor of one long-division pass, which yields four base62 digits at once (below 2^24). */
const FOUR_DIGITS = 62 * 62 * 62 * 62;
const LIMB = 2 ** 24;

/**
 * Base62 text of the unsigned big-endian integer in bytes[start, start+length) (most significant digit first), after
 * `prefix` (ASCII). The result is one flat string: `prefix + base62(...)` would keep a two-part string per uid.
 */
export function base62(bytes: Uint8Array, start = 0, length = bytes.length - start, prefix = ''): string {
  // Schoolbook division over limbs of 24 bits (the first limb takes the odd bytes), by 62^4 rather than by 62: a pass
  // yields four digits, so a 12-byte uid takes 5 passes instead of 17. With the remainder carried in a step stays below
  // 2^48, exact in a double, and Math.floor of the quotient is exact (its fraction is at most 1 - 62^-4). No BigInt, and
  // the digits go into a scratch buffer that becomes one string: a uid costs one allocation.
  const limbCount = Math.ceil(length / 3);
  const limbs = limbCount <= limbScratch.length ? limbScratch : new Float64Array(limbCount);
  let at = start;
  for (let l = 0; l < limbCount; l++) {
    const n = l === 0 ? length - (limbCount - 1) * 3 : 3;
    let value = 0;
    for (let k = 0; k < n; k++) value = value * 256 + bytes[at++];
    limbs[l] = value;
  }
  let first = 0;
  while (first < limbCount && limbs[first] === 0) first++;
  if (first === limbCount) return `${prefix}0`;
  // log(256)/log(62) < 1.35 digits per byte.
  const room = Math.ceil(length * 1.35) + 1 + prefix.length;
  const out = room <= textScratch.length ? textScratch : Buffer.alloc(room);
  let pos = out.length;
  while (first < limbCount) {
    let rem = 0;
    for (let l = first; l < limbCount; l++) {
      const acc = rem * LIMB + limbs[l];
      const quotient = Math.floor(acc / FOUR_DIGITS);
      limbs[l] = quotient;
      rem = acc - quotient * FOUR_DIGITS;
    }
    while (first < limbCount && limbs[first] === 0) first++;
    // Four digits, with their zeros, unless this was the most significant part (no leading zeros there).
    const digits = first < limbCount ? 4 : 0;
    for (let d = 0; d < digits || (digits === 0 && rem > 0); d++) {
      const quotient = Math.floor(rem / 62);
      out[--pos] = BASE62.charCodeAt(rem - quotient * 62);
      rem = quotient;
    }
  }
  for (let i = prefix.length - 1; i >= 0; i--) out[--pos] = prefix.charCodeAt(i);
  return out.toString('latin1', pos, out.length);
}

export class UidSource {
  private counter = 0;
  private readonly pool: Buffer;
  /** Next unused byte of `pool`; at the end the pool is refilled. */
  private poolUsed: number;

  /** `seed` makes the sequence reproducible (tests); without it every uid comes from the CSPRNG (crypto.randomFillSync). */
  constructor(private readonly seed?: string) {
    this.pool = Buffer.allocUnsafe(seed === undefined ? RANDOM_POOL_BYTES - (RANDOM_POOL_BYTES % UID_BYTES) : 0);
    this.poolUsed = this.pool.length;
  }

  /** Next uid; `prefix` is Zeek's kind letter (`C` connections, `F` files). */
  next(prefix = 'C'): string {
    if (this.seed !== undefined) {
      // A hash of seed and counter: deterministic, still well spread so uids do not share prefixes.
      return base62(createHash('sha256').update(`${this.seed}\0${this.counter++}`).digest(), 0, UID_BYTES, prefix);
    }
    if (this.poolUsed === this.pool.length) {
      randomFillSync(this.pool);
      this.poolUsed = 0;
    }
    const at = this.poolUsed;
    this.poolUsed += UID_BYTES;
    return base62(this.pool, at, UID_BYTES, prefix);
  }
}
