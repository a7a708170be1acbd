// Unsigned big- and little-endian field reads for the per-packet decoders. Buffer.readUInt16BE and friends
// validate their argument on every call; the decoders check lengths before they read, so they use these instead.

export function be16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

export function be32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

export function le16(d: Uint8Array, o: number): number {
  return d[o] | (d[o + 1] << 8);
}

export function le32(d: Uint8Array, o: number): number {
  return (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
}
