// Parsers for the value types rsyslog parameters take (integers, sizes with k/m/g suffixes, binary switches).
// Each returns undefined for a malformed value; the caller turns that into a `file:line:` diagnostic.

/** Non-negative decimal integer within the safe integer range. */
export function parseNonNegativeInteger(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) return undefined;
  return Number(t);
}

// rsyslog sizes: lower-case suffixes are powers of 1024, upper-case ones powers of 1000 (so `8k` = 8192, `8K` = 8000).
const SIZE_MULTIPLIERS: Readonly<Record<string, number>> = {
  k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4,
  K: 1000, M: 1000 ** 2, G: 1000 ** 3, T: 1000 ** 4,
};

/** Size such as `8096`, `8k` (8192), `64k`, `1m`, `2G` (2e9); undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d{1,12})([kmgtKMGT]?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] ? SIZE_MULTIPLIERS[m[2]] : 1);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** rsyslog binary switch: on/off, yes/no, 1/0 (case-insensitive). */
export function parseBinary(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'on' || t === 'yes' || t === '1') return true;
  if (t === 'off' || t === 'no' || t === '0') return false;
  return undefined;
}

/** TCP/UDP port 1..65535 written in decimal. */
export function parsePort(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : undefined;
}
