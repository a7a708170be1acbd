// NetBIOS name service queries (DNS on 137/udp) carry first-level-encoded names: 32 letters A-P, two per byte. dns.log
// shows them decoded, as Zeek's decode_netbios_name does (src/analyzer/protocol/netbios/functions.bif).

/** C's isalnum || ispunct || space in the C locale, or a byte below 3 (seen as the first two bytes). */
function keeps(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || b === 0x20 || b < 3;
}

/** The decoded name, or '' when `name` is not a 32-letter encoding (or decodes to nothing but spaces and NULs). */
export function decodeNetbiosName(name: string): string {
  if (name.length !== 32) return '';
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) {
    const c0 = upper(name.charCodeAt(2 * i));
    const c1 = upper(name.charCodeAt(2 * i + 1));
    if (c0 < 0x41 || c0 > 0x50 || c1 < 0x41 || c1 > 0x50) return '';
    const b = ((c0 - 0x41) << 4) + (c1 - 0x41);
    if (!keeps(b)) break;
    bytes.push(b);
  }
  // The 16th byte is the name's type suffix, not part of it.
  let length = bytes.length === 16 ? 15 : bytes.length;
  while (length > 0 && (bytes[length - 1] === 0x20 || bytes[length - 1] === 0)) length--;
  return String.fromCharCode(...bytes.slice(0, length));
}

function upper(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 32 : c;
}
