// The few Zeek string built-ins the software framework's version parsing is written with, on byte strings (one char
// per byte, latin1): split_string_n / split_string_all (leftmost non-empty match, separators optionally kept, at most
// N separators), sub, strip and unescape_URI, with Zeek's semantics (zeek/zeek src/strings.bif, src/analyzer/protocol/
// http/HTTP.cc). Patterns given here must not match the empty string: then a JavaScript search finds the same leftmost
// match start as Zeek's scan, and the greedy patterns used end where Zeek's longest match ends.

/**
 * Zeek's split_string_n(s, re, incl_sep, max_num_sep) (max 0: no limit, as split_string_all). With incl_sep each
 * separator is an element of its own, between the parts it separated; a separator at the very end leaves an empty
 * last part, and once max_num_sep separators were taken the rest is one part.
 */
export function zeekSplit(s: string, re: RegExp, inclSep: boolean, maxSep: number): string[] {
  const search = new RegExp(re.source, 'g');
  const out: string[] = [];
  let pos = 0;
  let seps = 0;
  for (;;) {
    if (maxSep > 0 && seps >= maxSep) {
      out.push(s.slice(pos));
      return out;
    }
    search.lastIndex = pos;
    const m = search.exec(s);
    if (m === null || m[0].length === 0) {
      out.push(s.slice(pos));
      return out;
    }
    out.push(s.slice(pos, m.index));
    if (inclSep) out.push(m[0]);
    seps++;
    pos = m.index + m[0].length;
    if (pos >= s.length) {
      // Zeek's loop assigns the (empty) rest once more before it ends.
      out.push('');
      return out;
    }
  }
}

/** Zeek's split_string_all: every separator kept as an element. */
export function zeekSplitAll(s: string, re: RegExp): string[] {
  return zeekSplit(s, re, true, 0);
}

/** Zeek's sub: the first match replaced. */
export function zeekSub(s: string, re: RegExp, repl: string): string {
  const m = new RegExp(re.source).exec(s);
  if (m === null || m[0].length === 0) return s;
  return s.slice(0, m.index) + repl + s.slice(m.index + m[0].length);
}

/** Zeek's gsub: every (non-overlapping) match replaced. */
export function zeekGsub(s: string, re: RegExp, repl: string): string {
  return s.replace(new RegExp(re.source, 'g'), () => repl);
}

/** Zeek's strip: leading and trailing C isspace() bytes removed. */
export function zeekStrip(s: string): string {
  // A loop, not /\s+$/: that regex is quadratic on a long run of blanks that is not at the end.
  let start = 0;
  let end = s.length;
  while (start < end && isCSpace(s.charCodeAt(start))) start++;
  while (end > start && isCSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Zeek's extract_count (base/utils/numbers.zeek): the first run of digits as a number, 0 when there is none. */
export function extractCount(s: string): number {
  const m = /[0-9]+/.exec(s);
  return m === null ? 0 : Number(m[0]);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

/**
 * Zeek's unescape_URI built-in (HTTP.cc unescape_URI without an analyzer, so without weirds): `%XX` and `%uXXXX`
 * decoded (a leading 00 byte of the latter dropped), `%%` read as one `%` starting the next escape, anything else kept.
 */
export function zeekUnescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  const end = s.length;
  let i = 0;
  while (i < end) {
    const ch = s.charCodeAt(i);
    if (ch !== 37) {
      out += s[i];
      i++;
      continue;
    }
    i++;
    if (i === end) {
      out += '%';
      break;
    }
    if (i + 1 === end) {
      out += '%' + s[i];
      break;
    }
    const a = s.charCodeAt(i);
    if (a === 37) {
      // A doubled `%`: the first is dropped and the second starts the escape (Zeek steps back onto it).
      continue;
    }
    const b = s.charCodeAt(i + 1);
    if (isHex(a) && isHex(b)) {
      out += String.fromCharCode((hexValue(a) << 4) + hexValue(b));
      i += 2;
    } else if (end - i >= 5 && a === 117 && isHex(b) && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) &&
      isHex(s.charCodeAt(i + 4))) {
      if (!(s[i + 1] === '0' && s[i + 2] === '0')) {
        out += String.fromCharCode((hexValue(b) << 4) + hexValue(s.charCodeAt(i + 2)));
      }
      out += String.fromCharCode((hexValue(s.charCodeAt(i + 3)) << 4) + hexValue(s.charCodeAt(i + 4)));
      i += 5;
    } else {
      out += '%' + s[i];
      i++;
    }
  }
  return out;
}
