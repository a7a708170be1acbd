// MIME type sniffing as Zeek's file analysis does it: every file magic signature (magic-signatures.ts, Zeek's own) is
// tried at the start of the file's first bytes (at most BOF_BUFFER_SIZE, Zeek's default_file_bof_buffer_size); the
// type of the strongest match wins, and among equally strong ones the alphabetically first (Zeek keeps its matches
// in a map from strength, highest first, to an ordered set of types).

import { ZEEK_MAGIC_SIGNATURES } from './magic-signatures';

/** Zeek's default_file_bof_buffer_size: the bytes sniffed. */
export const BOF_BUFFER_SIZE = 4096;

interface CompiledSignature {
  readonly name: string;
  readonly mime: string;
  readonly strength: number;
  /** Sticky: a Zeek signature pattern is anchored at the start of the data. */
  readonly re: RegExp;
}

/** Strongest first, then by type name, so the first match is the one Zeek reports. */
const SIGNATURES: readonly CompiledSignature[] = ZEEK_MAGIC_SIGNATURES.map(([name, mime, strength, source]) => ({
  name,
  mime,
  strength,
  re: new RegExp(source, 'y'),
})).sort((a, b) => b.strength - a.strength || (a.mime < b.mime ? -1 : a.mime > b.mime ? 1 : 0));

/** How many signatures there are (Zeek's magic/*.sig). */
export const SIGNATURE_COUNT = SIGNATURES.length;

/**
 * The one byte a pattern's match must start with, when its source begins (after `^` and any opening groups) with a
 * literal byte that no quantifier or alternation makes optional; undefined when it may start otherwise.
 */
export function fixedFirstByte(source: string): number | undefined {
  let i = source.startsWith('^') ? 1 : 0;
  let open = 0;
  while (source[i] === '(' && source[i + 1] !== '?') {
    open++;
    i++;
  }
  let byte: number;
  if (source[i] === '\\') {
    if (source[i + 1] !== 'x') return undefined;
    byte = parseInt(source.slice(i + 2, i + 4), 16);
    i += 4;
  } else {
    if (i >= source.length || '()[]{}.*+?|^$\\'.includes(source[i])) return undefined;
    byte = source.charCodeAt(i);
    i += 1;
  }
  if (Number.isNaN(byte) || byte > 255) return undefined;
  if ('?*{|'.includes(source[i] ?? '')) return undefined;
  // An alternation in (or a quantifier on) a group the byte opens, or at top level, would make it optional.
  let depth = open;
  for (let j = i; j < source.length; j++) {
    const c = source[j];
    if (c === '\\') j++;
    else if (c === '[') {
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
    } else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < open && '?*{'.includes(source[j + 1] ?? '')) return undefined;
      if (depth < open) open = depth;
    } else if (c === '|' && depth <= open) return undefined;
  }
  return byte;
}

/**
 * Per first byte of the data, the signatures that can match it (strongest first): those starting with that byte and
 * those that can start with any. Most binary formats start with a fixed magic byte, so a file is tried against a
 * fraction of the 374 patterns.
 */
const BY_FIRST_BYTE: readonly (readonly CompiledSignature[])[] = (() => {
  const first = SIGNATURES.map((s) => fixedFirstByte(s.re.source));
  const table: CompiledSignature[][] = [];
  for (let b = 0; b < 256; b++) table.push(SIGNATURES.filter((_, k) => first[k] === undefined || first[k] === b));
  return table;
})();

/** The MIME type Zeek's file_sniff reports for a file starting with `data[offset, offset+length)`, or undefined. */
export function sniffMime(data: Buffer, offset = 0, length = data.length - offset): string | undefined {
  if (length <= 0) return undefined;
  const text = data.toString('latin1', offset, offset + Math.min(length, BOF_BUFFER_SIZE));
  for (const s of BY_FIRST_BYTE[data[offset]]) {
    s.re.lastIndex = 0;
    if (s.re.test(text)) return s.mime;
  }
  return undefined;
}

/** Every matching signature, strongest first (Zeek's fa_metadata$mime_types), for tests and diagnostics. */
export function sniffAll(data: Buffer): { name: string; mime: string; strength: number }[] {
  const text = data.toString('latin1', 0, Math.min(data.length, BOF_BUFFER_SIZE));
  const out: { name: string; mime: string; strength: number }[] = [];
  for (const s of SIGNATURES) {
    s.re.lastIndex = 0;
    if (s.re.test(text)) out.push({ name: s.name, mime: s.mime, strength: s.strength });
  }
  return out;
}
