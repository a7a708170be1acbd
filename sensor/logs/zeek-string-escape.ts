// Zeek's string escaping for log values, byte for byte (zeek/zeek src/Desc.cc ODesc::AddBytes with escaping and
// UTF-8 enabled, src/util.cc escape_utf8 and get_escaped_string).
// Strings here are "byte strings": one char per output byte (latin1), so a line is written with Buffer.from(s, 'latin1').
// A JS string value becomes bytes with toByteString(): chars up to 0xFF are taken as bytes (what analyzers get from
// Buffer.toString('latin1')), a string holding any char above 0xFF is taken as text and UTF-8 encoded.

const HEX = '0123456789abcdef';
const PLAIN_ASCII = /^[\x20-\x5b\x5d-\x7e]*$/;

export function toByteString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** `\xNN` with lowercase hex, as Zeek's bytetohex. */
export function hexEscape(code: number): string {
  return '\\x' + HEX[(code >> 4) & 15] + HEX[code & 15];
}

/** Zeek's get_escaped_string(..., escape_all=true): every byte as \xNN, a backslash as `\\`. */
function escapeAll(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c === 0x5c ? '\\\\' : hexEscape(c);
  }
  return out;
}

/** Bytes in a lead byte's UTF-8 sequence, or 1 when it cannot start one (Zeek's getNumBytesForUTF8). */
function utf8SequenceLength(lead: number): number {
  if (lead < 0xc0) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf8) return 4;
  return 1;
}

/**
 * Zeek's check_ok_utf8: a well-formed (no overlong, no surrogate, at most U+10FFFF) sequence whose code point is not a
 * control character, not Private Use Area and not in U+FFF0..U+FFFF.
 */
function utf8CharOk(s: string, start: number, len: number): boolean {
  const b0 = s.charCodeAt(start);
  let cp: number;
  if (len === 1) {
    if (b0 >= 0x80) return false; // a stray continuation byte or an impossible lead byte
    cp = b0;
  } else {
    cp = b0 & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    for (let i = 1; i < len; i++) {
      const b = s.charCodeAt(start + i);
      if ((b & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  }
  if (cp <= 0x1f || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return false;
  if (cp >= 0xe000 && cp <= 0xf8ff) return false;
  if (cp >= 0xfff0 && cp <= 0xffff) return false;
  return true;
}

function isTextControl(c: number): boolean {
  return c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Zeek's escape_utf8: printable ASCII passes; valid UTF-8 characters pass while the whole chunk is valid; once a bad
 * byte is seen, the chunk is returned fully escaped (even the valid characters before it, as Zeek does).
 * `escapeTextControls` (Zeek's ESCAPE_PRINTABLE_CONTROLS) also escapes \b \f \n \r \t; other controls are always escaped.
 */
export function escapeUtf8(s: string, escapeTextControls: boolean): string {
  let utf = '';
  let escaped = '';
  let bad = false;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if ((c >= 32 && c < 127) || (!escapeTextControls && isTextControl(c))) {
      if (!bad) utf += s[i];
      escaped += s[i];
      i++;
      continue;
    }
    if (bad) {
      escaped += hexEscape(c);
      i++;
      continue;
    }
    const len = utf8SequenceLength(c);
    if (i + len > s.length || !utf8CharOk(s, i, len)) {
      bad = true;
      escaped += hexEscape(c);
      i++;
      continue;
    }
    for (let k = 0; k < len; k++) escaped += hexEscape(s.charCodeAt(i + k));
    utf += s.substr(i, len);
    i += len;
  }
  return bad ? escaped : utf;
}

/**
 * One value's bytes escaped as Zeek's ASCII writer does: the column separator (and inside a set, the set separator)
 * and backslashes become \xNN / `\\`; the chunks between them go through escapeUtf8 with all controls escaped.
 */
export function escapeAsciiBytes(s: string, separator: string, setSeparator: string | undefined): string {
  // Fast path: printable ASCII without backslash or separators is written unchanged.
  if (PLAIN_ASCII.test(s) && !s.includes(separator) && (setSeparator === undefined || !s.includes(setSeparator))) return s;
  let out = '';
  let chunkStart = 0;
  let i = 0;
  while (i < s.length) {
    let escLen = 0;
    if (s.charCodeAt(i) === 0x5c) escLen = 1;
    else if (s.startsWith(separator, i)) escLen = separator.length;
    else if (setSeparator !== undefined && s.startsWith(setSeparator, i)) escLen = setSeparator.length;
    if (escLen === 0) {
      i++;
      continue;
    }
    if (i > chunkStart) out += escapeUtf8(s.slice(chunkStart, i), true);
    out += escapeAll(s.substr(i, escLen));
    i += escLen;
    chunkStart = i;
  }
  if (chunkStart === 0) return escapeUtf8(s, true);
  if (chunkStart < s.length) out += escapeUtf8(s.slice(chunkStart), true);
  return out;
}
