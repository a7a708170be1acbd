// Software names and versions from the strings protocols announce (User-Agent, Server, banners), parsed as Zeek's
// software framework parses them (base/frameworks/software/main.zeek: parse, parse_mozilla, cmp_versions,
// software_fmt_version, alternate_names), so software.log's name and version.* columns are Zeek's for the same input.

import { extractCount, zeekGsub, zeekSplit, zeekSplitAll, zeekStrip, zeekSub, zeekUnescapeUri } from './zeek-strings';

/** Zeek's Software::Version: each part optional. */
export interface SoftwareVersion {
  major?: number;
  minor?: number;
  minor2?: number;
  minor3?: number;
  addl?: string;
}

/** Zeek's Software::Description: what parse() makes of one string. */
export interface SoftwareDescription {
  name: string;
  version: SoftwareVersion;
  unparsedVersion: string;
}

/** Zeek's Software::alternate_names: one name for software announcing itself under several. */
const ALTERNATE_NAMES: ReadonlyMap<string, string> = new Map([['Flash Player', 'Flash']]);

function alternateName(name: string): string {
  return ALTERNATE_NAMES.get(name) ?? name;
}

/** A name, then (optionally after a separator) a run of at least two version characters. */
const VERSION_RUN = /([/\-_]|( [(v]+))?[0-9\-._, ]{2,}/;
const NAME_JUNK_AT_END = /([/\-_]|( [(v]+))$/;
const NAME_JUNK = /([/\-_]|( [(v]+))/;
const VERSION_SEPARATOR = /[\-._,[({ ]/;
const ADDL_IN_PARENS = /^[ \t]*\([a-zA-Z0-9\-._ \t]*\)/;
const ADDL_SEPARATOR = /[\-._,;[\](){} ]/;

/** Zeek's Software::parse. */
export function parseSoftwareVersion(unparsed: string): SoftwareDescription {
  let name = '<parse error>';
  let v: SoftwareVersion = {};

  if (/^(Mozilla|Opera)\/[0-9]+\./.test(unparsed)) return parseMozilla(unparsed);

  if (/A\/[0-9.]*\/Google\/Pixel/.test(unparsed)) {
    name = 'Android (Google Pixel)';
    const parts = zeekSplitAll(unparsed, /\//);
    if (parts.length > 2) {
      const vs = parts[2];
      v = vs.includes('.') ? parseSoftwareVersion(vs).version : { major: extractCount(vs) };
      return { name, version: v, unparsedVersion: unparsed };
    }
  } else {
    let clean = zeekGsub(unparsed, /\\x/, '%');
    clean = zeekUnescapeUri(clean);
    const parts = zeekSplit(clean, VERSION_RUN, true, 1);
    let first = parts[0];
    if (NAME_JUNK_AT_END.test(first)) first = zeekStrip(zeekSub(first, NAME_JUNK, ''));
    name = /^\(/.test(first) ? zeekStrip(zeekSub(first, /\(/, '')) : zeekStrip(first);
    if (parts.length >= 2) {
      let sv = zeekStrip(parts[1]);
      if (/^[/\-._v(]/.test(sv)) sv = zeekStrip(zeekSub(sv, /^[/\-._v(]/, ''));
      // At most 3 separators: at most 4 numbers (Zeek also looks for a fifth element here, which cannot exist).
      const numbers = zeekSplit(sv, VERSION_SEPARATOR, false, 3);
      const rest = parts.length > 2 ? parts[2] : undefined;
      if (rest !== undefined && rest !== '' && rest !== ')') {
        if (ADDL_IN_PARENS.test(rest)) {
          v.addl = zeekSplit(rest, /[()]/, false, 2)[1];
        } else {
          const vp = zeekSplit(rest, ADDL_SEPARATOR, false, 3);
          if (vp.length >= 1 && vp[0] !== '') v.addl = zeekStrip(vp[0]);
          else if (vp.length >= 2 && vp[1] !== '') v.addl = zeekStrip(vp[1]);
          else if (vp.length >= 3 && vp[2] !== '') v.addl = zeekStrip(vp[2]);
          else v.addl = zeekStrip(rest);
        }
      }
      if (numbers.length > 3 && numbers[3] !== '') v.minor3 = extractCount(numbers[3]);
      if (numbers.length > 2 && numbers[2] !== '') v.minor2 = extractCount(numbers[2]);
      if (numbers.length > 1 && numbers[1] !== '') v.minor = extractCount(numbers[1]);
      if (numbers.length > 0 && numbers[0] !== '') v.major = extractCount(numbers[0]);
      v = ordered(v);
    }
  }
  return { name: alternateName(name), version: v, unparsedVersion: unparsed };
}

/** The version of the first match of `re` in `s`, parsed on its own (Zeek: parse(split_string_all(s, re)[1])). */
function versionOfMatch(s: string, re: RegExp): SoftwareVersion | undefined {
  const parts = zeekSplitAll(s, re);
  return parts.length > 1 ? parseSoftwareVersion(parts[1]).version : undefined;
}

/** Zeek's parse_mozilla: browsers and other Mozilla-style user agents. */
function parseMozilla(unparsed: string): SoftwareDescription {
  let name = '<unknown browser>';
  let v: SoftwareVersion = {};
  const u = unparsed;

  if (/Opera [0-9.]*$/.test(u)) {
    name = 'Opera';
    v = versionOfMatch(u, /Opera [0-9.]*$/) ?? v;
  } else if (/ MSIE |Trident\//.test(u)) {
    name = 'MSIE';
    if (/Trident\/4\.0/.test(u)) v = { major: 8, minor: 0 };
    else if (/Trident\/5\.0/.test(u)) v = { major: 9, minor: 0 };
    else if (/Trident\/6\.0/.test(u)) v = { major: 10, minor: 0 };
    else if (/Trident\/7\.0/.test(u)) v = { major: 11, minor: 0 };
    else v = versionOfMatch(u, /MSIE [0-9]{1,2}\.*[0-9]*b?[0-9]*/) ?? v;
  } else if (/Edge\//.test(u)) {
    name = 'Edge';
    v = versionOfMatch(u, /Edge\/[0-9.]*/) ?? v;
  } else if (followedBy(u, 'Version/', 'Safari/')) {
    name = 'Safari';
    const parsed = versionOfMatch(u, /Version\/[0-9.]*/);
    if (parsed !== undefined) {
      v = parsed;
      if (followedBy(u, ' Mobile', ' Safari')) v = { ...v, addl: 'Mobile' };
    }
  } else if (/(Firefox|Netscape|Thunderbird)\/[0-9.]*/.test(u)) {
    const parts = zeekSplitAll(u, /(Firefox|Netscape|Thunderbird)\/[0-9.]*/);
    if (parts.length > 1) {
      const d = parseSoftwareVersion(parts[1]);
      name = d.name;
      v = d.version;
    }
  } else if (followedBy(u, 'Chrome/', 'Safari/')) {
    name = 'Chrome';
    v = versionOfMatch(u, /Chrome\/[0-9.]*/) ?? v;
  } else if (/^Opera\//.test(u)) {
    if (/Opera M(ini|obi)\//.test(u)) {
      const parts = zeekSplitAll(u, /Opera M(ini|obi)/);
      if (parts.length > 1) name = parts[1];
      const fromVersion = versionOfMatch(u, /Version\/[0-9.]*/);
      if (fromVersion !== undefined) v = fromVersion;
      else v = versionOfMatch(u, /Opera Mini\/[0-9.]*/) ?? v;
    } else {
      name = 'Opera';
      v = versionOfMatch(u, /Version\/[0-9.]*/) ?? v;
    }
  } else if (/Flash%20Player/.test(u)) {
    name = 'Flash';
    const parts = zeekSplitAll(u, /[/ ]/);
    if (parts.length > 2) v = parseSoftwareVersion(parts[2]).version;
  } else if (/AdobeAIR\/[0-9.]*/.test(u)) {
    name = 'AdobeAIR';
    v = versionOfMatch(u, /AdobeAIR\/[0-9.]*/) ?? v;
  } else if (/AppleWebKit\/[0-9.]*/.test(u)) {
    name = 'Unspecified WebKit';
    v = versionOfMatch(u, /AppleWebKit\/[0-9.]*/) ?? v;
  } else if (/ Java\/[0-9]\./.test(u)) {
    name = 'Java';
    v = versionOfMatch(u, /Java\/[0-9._]*/) ?? v;
  }
  return { name, version: v, unparsedVersion: unparsed };
}

/**
 * Zeek's `/A.*B/ in s` (`.` is any byte but a newline): `a`, then `b` later on the same line. Written with indexOf,
 * as a backtracking regex would take quadratic time on a long header repeating `a` without `b`.
 */
function followedBy(s: string, a: string, b: string): boolean {
  let from = 0;
  for (;;) {
    const i = s.indexOf(a, from);
    if (i < 0) return false;
    const lineEnd = s.indexOf('\n', i + a.length);
    const j = s.indexOf(b, i + a.length);
    if (j >= 0 && (lineEnd < 0 || j + b.length <= lineEnd)) return true;
    if (lineEnd < 0) return false;
    from = lineEnd + 1;
  }
}

/** The parts in Zeek's field order (so two equal versions are deep-equal whatever order they were set in). */
function ordered(v: SoftwareVersion): SoftwareVersion {
  const o: SoftwareVersion = {};
  if (v.major !== undefined) o.major = v.major;
  if (v.minor !== undefined) o.minor = v.minor;
  if (v.minor2 !== undefined) o.minor2 = v.minor2;
  if (v.minor3 !== undefined) o.minor3 = v.minor3;
  if (v.addl !== undefined) o.addl = v.addl;
  return o;
}

function cmpPart(a: number | undefined, b: number | undefined): number {
  if (a !== undefined && b !== undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (a === undefined && b === undefined) return 0;
  return a !== undefined ? 1 : -1;
}

/** Zeek's Software::cmp_versions: -1, 0 or 1; a part that is set beats one that is not; addl compared bytewise. */
export function cmpVersions(v1: SoftwareVersion, v2: SoftwareVersion): number {
  for (const part of ['major', 'minor', 'minor2', 'minor3'] as const) {
    const c = cmpPart(v1[part], v2[part]);
    if (c !== 0) return c;
  }
  if (v1.addl !== undefined && v2.addl !== undefined) return v1.addl < v2.addl ? -1 : v1.addl > v2.addl ? 1 : 0;
  if (v1.addl === undefined && v2.addl === undefined) return 0;
  return v1.addl !== undefined ? 1 : -1;
}

/** Zeek's software_fmt_version: "a.b.c.d-addl" (major 0 when unset). */
export function formatVersion(v: SoftwareVersion): string {
  return (
    String(v.major ?? 0) +
    (v.minor !== undefined ? `.${v.minor}` : '') +
    (v.minor2 !== undefined ? `.${v.minor2}` : '') +
    (v.minor3 !== undefined ? `.${v.minor3}` : '') +
    (v.addl !== undefined ? `-${v.addl}` : '')
  );
}
