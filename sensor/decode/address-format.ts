// IP addresses as Zeek prints them: dotted quad; IPv6 in inet_ntop form (lowercase hex, the longest run
// of two or more zero groups as `::`, embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d).

export function formatAddress(data: Buffer, offset: number, version: 4 | 6): string {
  if (version === 4) return `${data[offset]}.${data[offset + 1]}.${data[offset + 2]}.${data[offset + 3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(data.readUInt16BE(offset + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLen - 1;
      continue;
    }
    if (bestStart === 0 && i === 6 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      // glibc's inet_ntop (and so Zeek) prints IPv4-compatible and IPv4-mapped tails as a dotted quad.
      if (!text.endsWith(':')) text += ':';
      text += `${data[offset + 12]}.${data[offset + 13]}.${data[offset + 14]}.${data[offset + 15]}`;
      break;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += words[i].toString(16);
  }
  return text;
}
