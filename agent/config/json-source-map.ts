// Where each value of a JSON text starts, by JSON pointer, and where the text stops being JSON: the positions
// JSON.parse does not give, so a JSON config's mistakes can be reported as `file:line:` (and `line:col` for syntax).

/** 1-based line and column (column counted in UTF-16 code units, tabs as one). */
export interface TextPosition {
  line: number;
  column: number;
}

/** Deeper nesting than any config needs is refused instead of risking the call stack. */
export const MAX_JSON_DEPTH = 256;

export class JsonSourceMap {
  /** Offset where each value starts, keyed by JSON pointer ('' is the whole document). */
  readonly valueOffsets = new Map<string, number>();
  /** Offset of the key of each object member, keyed by the member's pointer (the last one when a key repeats). */
  readonly keyOffsets = new Map<string, number>();
  /** Members whose key appears more than once in its object: JSON.parse keeps the last, silently. */
  readonly duplicateKeys: { pointer: string; offset: number }[] = [];
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    this.lineStarts = lineStartOffsets(text);
  }

  position(offset: number): TextPosition {
    return positionOf(this.lineStarts, offset);
  }

  /**
   * Line of the value at `pointer` (of its key when it is an object member, since that is what a person looks for).
   * A pointer that is not in the document (an ajv default, a property that is missing) falls back to its parent.
   */
  lineOf(pointer: string): number {
    for (let p = pointer; ; p = parentPointer(p)) {
      const offset = this.keyOffsets.get(p) ?? this.valueOffsets.get(p);
      if (offset !== undefined) return this.position(offset).line;
      if (p === '') return 1;
    }
  }
}

export type JsonScanResult =
  | { ok: true; map: JsonSourceMap }
  | { ok: false; offset: number; position: TextPosition; message: string };

/** RFC 6901 pointer of a member `key` of the value at `parent`. */
export function childPointer(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function parentPointer(pointer: string): string {
  const slash = pointer.lastIndexOf('/');
  return slash <= 0 ? '' : pointer.slice(0, slash);
}

/** Decoded reference tokens of a pointer (`/a~1b/0` -> ['a/b', '0']). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionOf(lineStarts: readonly number[], offset: number): TextPosition {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
}

class JsonSyntaxError {
  constructor(readonly offset: number, readonly message: string) {}
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const QUOTE = 0x22, BACKSLASH = 0x5c, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39;
const COMMA = 0x2c, COLON = 0x3a, OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Recursive-descent recogniser of RFC 8259 JSON (what JSON.parse accepts), recording offsets as it goes. */
class JsonScanner {
  private pos = 0;

  constructor(private readonly text: string, private readonly map: JsonSourceMap) {}

  scanDocument(): void {
    this.skipSpace();
    this.scanValue('', 0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(this.pos, message);
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    const c = this.text.codePointAt(this.pos)!;
    return c < 0x20 || c === 0x7f ? `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}` : `character '${String.fromCodePoint(c)}'`;
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== SPACE && c !== TAB && c !== LF && c !== CR) break;
      this.pos++;
    }
  }

  private scanValue(pointer: string, depth: number): void {
    this.map.valueOffsets.set(pointer, this.pos);
    const c = this.text.charCodeAt(this.pos);
    if (c === OPEN_BRACE) this.scanObject(pointer, depth + 1);
    else if (c === OPEN_BRACKET) this.scanArray(pointer, depth + 1);
    else if (c === QUOTE) this.scanString();
    else if (c === MINUS || isDigit(c)) this.scanNumber();
    else if (c === 0x74) this.scanLiteral('true');
    else if (c === 0x66) this.scanLiteral('false');
    else if (c === 0x6e) this.scanLiteral('null');
    else this.fail(`unexpected ${this.describeHere()} where a value was expected`);
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`objects and arrays nested more than ${MAX_JSON_DEPTH} deep`);
    this.pos++;
    this.skipSpace();
  }

  private scanObject(pointer: string, depth: number): void {
    this.enter(depth);
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    const seen = new Set<string>();
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail(`expected a property name in double quotes, found ${this.describeHere()}`);
      const keyStart = this.pos;
      this.scanString();
      // The scanner has checked the literal, so JSON.parse decodes its escapes and cannot throw here.
      const key = JSON.parse(this.text.slice(keyStart, this.pos)) as string;
      const member = childPointer(pointer, key);
      if (seen.has(key)) this.map.duplicateKeys.push({ pointer: member, offset: keyStart });
      seen.add(key);
      this.map.keyOffsets.set(member, keyStart);
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== COLON) this.fail(`expected ':' after the property name, found ${this.describeHere()}`);
      this.pos++;
      this.skipSpace();
      this.scanValue(member, depth);
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === CLOSE_BRACE) {
        this.pos++;
        return;
      }
      if (c !== COMMA) this.fail(`expected ',' or '}' after a property value, found ${this.describeHere()}`);
      this.pos++;
      this.skipSpace();
    }
  }

  private scanArray(pointer: string, depth: number): void {
    this.enter(depth);
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.scanValue(childPointer(pointer, index), depth);
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      if (c === CLOSE_BRACKET) {
        this.pos++;
        return;
      }
      if (c !== COMMA) this.fail(`expected ',' or ']' after an array element, found ${this.describeHere()}`);
      this.pos++;
      this.skipSpace();
    }
  }

  private scanString(): void {
    const t = this.text;
    this.pos++;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string (end of input before the closing \'"\')');
      const c = t.charCodeAt(this.pos);
      if (c === QUOTE) {
        this.pos++;
        return;
      }
      if (c < 0x20) this.fail(`${this.describeHere()} inside a string (write it as an escape such as \\n)`);
      if (c !== BACKSLASH) {
        this.pos++;
        continue;
      }
      this.pos++;
      const e = t.charCodeAt(this.pos);
      if (e === 0x75) {
        this.pos++;
        for (let i = 0; i < 4; i++, this.pos++) {
          if (!isHexDigit(t.charCodeAt(this.pos))) this.fail('bad \\u escape: four hex digits expected');
        }
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        this.pos++;
      } else {
        this.fail(`bad escape in a string: \\${this.pos < t.length ? String.fromCharCode(e) : ''} (known: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
      }
    }
  }

  private scanDigits(what: string): void {
    if (!isDigit(this.text.charCodeAt(this.pos))) this.fail(`${what}, found ${this.describeHere()}`);
    while (isDigit(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private scanNumber(): void {
    const t = this.text;
    if (t.charCodeAt(this.pos) === MINUS) this.pos++;
    if (t.charCodeAt(this.pos) === ZERO) this.pos++;
    else this.scanDigits('expected a digit in the number');
    if (t.charCodeAt(this.pos) === DOT) {
      this.pos++;
      this.scanDigits('expected a digit after the decimal point');
    }
    const e = t.charCodeAt(this.pos);
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = t.charCodeAt(this.pos);
      if (sign === PLUS || sign === MINUS) this.pos++;
      this.scanDigits('expected a digit in the exponent');
    }
  }

  private scanLiteral(word: 'true' | 'false' | 'null'): void {
    for (let i = 0; i < word.length; i++, this.pos++) {
      if (this.text.charCodeAt(this.pos) !== word.charCodeAt(i)) this.fail(`unexpected ${this.describeHere()} (true, false or null expected)`);
    }
  }
}

/** Scans `text` as JSON: the source map when it is valid, else the first offending offset and what is wrong there. */
export function scanJson(text: string): JsonScanResult {
  const map = new JsonSourceMap(text);
  try {
    new JsonScanner(text, map).scanDocument();
    return { ok: true, map };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return { ok: false, offset: err.offset, position: map.position(err.offset), message: err.message };
  }
}
