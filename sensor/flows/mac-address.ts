// MAC addresses for conn.log's orig_l2_addr / resp_l2_addr, formatted as Zeek's fmt_mac does: six lower-case hex
// pairs joined by colons. An all-zero address (Linux cooked captures have no destination) is no address, as in Zeek.

const HEX = '0123456789abcdef';

/** The 6 bytes at `offset` of `frame` as `00:13:7f:be:8c:ff`; undefined for offset -1, a short frame, or all zeros. */
export function formatMac(frame: Buffer, offset: number): string | undefined {
  if (offset < 0 || offset + 6 > frame.length) return undefined;
  let any = 0;
  let out = '';
  for (let i = 0; i < 6; i++) {
    const b = frame[offset + i];
    any |= b;
    out += (i === 0 ? '' : ':') + HEX[b >> 4] + HEX[b & 15];
  }
  return any === 0 ? undefined : out;
}
