// RFC 1071 ones'-complement sum over a byte range, the building block of the IP, TCP, UDP and ICMP checksums.

/** Adds the 16-bit big-endian words of data[start, start+length) to `sum` (an odd last byte is padded with zero); not folded. */
export function addWords(data: Buffer, start: number, length: number, sum: number): number {
  const end = start + length;
  let i = start;
  // Fold now and then so the running sum never leaves the exact integer range of a double.
  for (; i + 1 < end; i += 2) {
    sum += (data[i] << 8) | data[i + 1];
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  }
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Folds carries into 16 bits. A correct checksum over data that includes its checksum field folds to 0xffff. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}
