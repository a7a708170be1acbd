// Reads the two filter syntaxes of rsyslog configs into FilterExpressions: the legacy property filter
// `:msg, !startswith, "#"` and the condition of a RainerScript `if ... then`. Both follow rsyslogd 8.2302's lexer and
// grammar (grammar/lexer.l, grammar.y): `and` and `or` have the SAME precedence and group left to right, `not`
// binds tighter than a comparison. What nsm cannot run exactly as rsyslog would is an error at its line.

import { CompareOperation, FilterExpression, MESSAGE_PROPERTIES, MessageProperty, PropertyComparison } from '../filter/message-filter';
import { patternBytes, translatePosixRegex } from '../filter/posix-regex';

/** Where the text is read from; errors are reported at a character index (the scanner turns it into a line). */
export interface FilterCursor {
  readonly text: string;
  pos: number;
  error(index: number, message: string): void;
}

const SUPPORTED = `nsm filters on ${MESSAGE_PROPERTIES.join(', ')}`;

function property(name: string): MessageProperty | undefined {
  const lower = name.toLowerCase();
  return MESSAGE_PROPERTIES.find((p) => p === lower);
}

// ---------------------------------------------------------------------------------------------------------------
// Legacy property filters.

const LEGACY_OPERATIONS: readonly CompareOperation[] = ['contains', 'isequal', 'isempty', 'startswith', 'regex', 'ereregex'];

/**
 * `:property, [!]operation, "value"` with the cursor on the `:`. rsyslog's lexer allows only spaces around the
 * commas and needs the quoted value even for isempty; the value's escapes are `\c` = c (parse.c parsQuotedCStr).
 */
export function readPropertyFilter(c: FilterCursor): FilterExpression | undefined {
  const start = c.pos;
  const head = /:(\$?[A-Za-z-]*) *, *(!?)([A-Za-z_]*) *, *"/y;
  head.lastIndex = start;
  const m = head.exec(c.text);
  if (m === null) {
    c.error(start, 'a property filter must read :property, [!]operation, "value" (rsyslog allows only spaces around the commas)');
    return undefined;
  }
  c.pos = head.lastIndex;
  let value = '';
  for (;;) {
    const ch = c.text[c.pos];
    if (ch === undefined || ch === '\n') {
      c.error(start, 'property filter: the value has no closing "');
      return undefined;
    }
    c.pos++;
    if (ch === '"') break;
    if (ch === '\\' && c.text[c.pos] !== undefined && c.text[c.pos] !== '\n') {
      value += c.text[c.pos];
      c.pos++;
      continue;
    }
    value += ch;
  }
  const prop = property(m[1]);
  if (prop === undefined) {
    c.error(start, `property filter on '${m[1]}': ${SUPPORTED} only`);
    return undefined;
  }
  const opName = m[3].toLowerCase();
  const operation = LEGACY_OPERATIONS.find((o) => o === opName);
  if (operation === undefined) {
    const hint = opName.endsWith('_i') ? ' (the _i forms exist in RainerScript only: if $msg contains_i "x" then ...)' : '';
    c.error(start, `invalid compare operation '${m[3]}' (contains, isequal, startswith, regex, ereregex or isempty)${hint}`);
    return undefined;
  }
  const comparison = makeComparison(c, start, prop, operation, value, 'legacy');
  if (comparison === undefined) return undefined;
  return m[2] === '!' ? { kind: 'not', operand: comparison } : comparison;
}

function makeComparison(
  c: FilterCursor, at: number, prop: MessageProperty, operation: CompareOperation, valueText: string, syntax: 'legacy' | 'rainerscript',
): PropertyComparison | undefined {
  const comparison: PropertyComparison = {
    kind: 'compare', property: prop, operation, value: operation === 'isempty' ? Buffer.alloc(0) : Buffer.from(valueText, 'utf8'),
    valueText: operation === 'isempty' ? '' : valueText,
    stopsAtNul: syntax === 'legacy' && (operation === 'contains' || operation === 'regex' || operation === 'ereregex'),
    syntax,
  };
  if (operation === 'regex' || operation === 'ereregex') {
    const t = translatePosixRegex(valueText, operation === 'regex' ? 'bre' : 'ere');
    if ('error' in t) {
      c.error(at, `${operation} "${valueText}": ${t.error}`);
      return undefined;
    }
    comparison.regex = t.regex;
  }
  return comparison;
}

// ---------------------------------------------------------------------------------------------------------------
// RainerScript conditions.

type Token =
  | { t: 'word'; v: string; at: number }
  | { t: 'var'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: string; at: number }
  | { t: 'op'; v: string; at: number };

const COMPARISONS: ReadonlyMap<string, { operation: CompareOperation; negate: boolean }> = new Map([
  ['==', { operation: 'isequal', negate: false }],
  ['!=', { operation: 'isequal', negate: true }],
  ['<>', { operation: 'isequal', negate: true }],
  ['contains', { operation: 'contains', negate: false }],
  ['contains_i', { operation: 'contains_i', negate: false }],
  ['startswith', { operation: 'startswith', negate: false }],
  ['startswith_i', { operation: 'startswith_i', negate: false }],
]);

class ConditionError extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** Splits the condition into tokens up to (not including) the word `then`; the cursor ends after `then`. */
function tokenize(c: FilterCursor): Token[] {
  const text = c.text;
  const tokens: Token[] = [];
  let i = c.pos;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new ConditionError(i, 'unterminated /* comment');
      i = end + 2;
      continue;
    }
    if (i >= text.length) throw new ConditionError(c.pos, '`if` without `then`');
    const ch = text[i];
    const word = /[A-Za-z][A-Za-z0-9_]*/y;
    word.lastIndex = i;
    const w = word.exec(text);
    if (w) {
      if (w[0].toLowerCase() === 'then') {
        c.pos = i + 4;
        return tokens;
      }
      tokens.push({ t: 'word', v: w[0].toLowerCase(), at: i });
      i += w[0].length;
      continue;
    }
    if (ch === '$') {
      const v = /\$[$!./]?[@A-Za-z_]*[!@A-Za-z0-9\-_.[\]]*/y;
      v.lastIndex = i;
      const m = v.exec(text) as RegExpExecArray;
      tokens.push({ t: 'var', v: m[0].slice(1), at: i });
      i += m[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = readScriptString(text, i);
      tokens.push({ t: 'string', v: value, at: i });
      i = end;
      continue;
    }
    const num = /(0x[0-9A-Fa-f]+|[0-9]+)/y;
    num.lastIndex = i;
    const n = num.exec(text);
    if (n) {
      tokens.push({ t: 'number', v: n[0], at: i });
      i += n[0].length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ t: 'op', v: two, at: i });
      i += 2;
      continue;
    }
    if ('()[],<>&+-*/%='.includes(ch)) {
      tokens.push({ t: 'op', v: ch, at: i });
      i++;
      continue;
    }
    throw new ConditionError(i, `invalid character '${ch}' in the condition`);
  }
}

/**
 * A RainerScript string literal in an expression: escapes \" \' \\ \$ \b \n \t \r \xHH \OOO; `$` must be escaped.
 * Returns the string's bytes as a latin1 string: `\xff` is the byte 0xff, a written `é` its two UTF-8 bytes.
 */
function readScriptString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let out = '';
  let i = start + 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) throw new ConditionError(start, `unterminated string: missing closing ${quote}`);
    if (ch === quote) return { value: out, end: i + 1 };
    if (ch === '$' && quote === '"') throw new ConditionError(start, 'a $ inside double quotes must be escaped as \\$ (rsyslog rejects it)');
    if (ch !== '\\') {
      out += patternBytes(ch);
      i++;
      continue;
    }
    const e = text[i + 1] ?? '';
    const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', $: '$', b: '\b', n: '\n', t: '\t', r: '\r' };
    let code: number | undefined;
    if (e in simple) {
      out += simple[e];
      i += 2;
      continue;
    } else if (/^x[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 4))) {
      code = parseInt(text.slice(i + 2, i + 4), 16);
      i += 4;
    } else if (/^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) {
      code = parseInt(text.slice(i + 1, i + 4), 8) & 0xff;
      i += 4;
    } else {
      throw new ConditionError(i, `invalid escape \\${e} in a string (\\" \\' \\\\ \\$ \\b \\n \\t \\r \\xHH \\OOO)`);
    }
    // rsyslog measures the unescaped string with strlen(): a NUL would end it there.
    if (code === 0) throw new ConditionError(i, 'a NUL byte in a string is not supported (rsyslog cuts the string there)');
    out += String.fromCharCode(code);
  }
}

/** What a sub-expression is: a condition (true/false), or an operand of a comparison. */
type Node =
  | { k: 'bool'; e: FilterExpression; at: number }
  | { k: 'var'; prop: MessageProperty; at: number }
  | { k: 'string'; values: string[]; array: boolean; at: number };

class ConditionParser {
  private i = 0;

  constructor(private readonly tokens: Token[], private readonly end: number) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isWord(tok: Token | undefined, w: string): boolean {
    return tok !== undefined && tok.t === 'word' && tok.v === w;
  }

  parse(): FilterExpression {
    if (this.tokens.length === 0) throw new ConditionError(this.end, '`if` needs a condition before `then`');
    const e = this.orAnd();
    const rest = this.peek();
    if (rest !== undefined) throw new ConditionError(rest.at, `unexpected '${rest.v}' in the condition`);
    return this.asBool(e);
  }

  private asBool(n: Node): FilterExpression {
    if (n.k === 'bool') return n.e;
    throw new ConditionError(n.at, 'nsm runs conditions that compare a property (e.g. $msg startswith "#"); a bare value is not one');
  }

  /** `and` and `or`: one precedence level, left to right (grammar.y: %left AND OR). */
  private orAnd(): Node {
    let left = this.comparison();
    for (;;) {
      const tok = this.peek();
      if (!this.isWord(tok, 'and') && !this.isWord(tok, 'or')) return left;
      this.i++;
      const right = this.comparison();
      left = { k: 'bool', e: { kind: (tok as Token).v as 'and' | 'or', left: this.asBool(left), right: this.asBool(right) }, at: left.at };
    }
  }

  private comparison(): Node {
    const left = this.unary();
    const tok = this.peek();
    if (tok === undefined) return left;
    const op = tok.t === 'op' || tok.t === 'word' ? tok.v : '';
    const cmp = COMPARISONS.get(op);
    if (cmp === undefined) {
      if (['<', '>', '<=', '>=', '&', '+', '-', '*', '/', '%'].includes(op)) {
        throw new ConditionError(tok.at, `the operator '${op}' is not supported by nsm's filters (==, !=, contains, contains_i, startswith, startswith_i, and, or, not)`);
      }
      return left;
    }
    this.i++;
    const right = this.unary();
    const next = this.peek();
    if (next !== undefined && (COMPARISONS.has(next.v) || ['<', '>', '<=', '>='].includes(next.v))) {
      throw new ConditionError(next.at, 'chained comparisons are not supported: use and/or and parentheses');
    }
    if (left.k !== 'var') throw new ConditionError(left.at, `the left side of '${op}' must be a property such as $msg`);
    if (right.k !== 'string') throw new ConditionError(right.at, `the right side of '${op}' must be a string in quotes or an array of them`);
    const one = (v: string): FilterExpression => ({
      kind: 'compare', property: left.prop, operation: cmp.operation, value: Buffer.from(v, 'latin1'),
      valueText: Buffer.from(v, 'latin1').toString('utf8'), stopsAtNul: false, syntax: 'rainerscript',
    });
    // An array matches when one element does (== / startswith / contains); `!=` when none is equal.
    let e = right.values.map(one).reduce((a, b) => ({ kind: 'or', left: a, right: b }));
    if (cmp.negate) e = { kind: 'not', operand: e };
    return { k: 'bool', e, at: left.at };
  }

  private unary(): Node {
    const tok = this.peek();
    if (tok === undefined) throw new ConditionError(this.end, 'the condition ends where a value should be');
    if (this.isWord(tok, 'not')) {
      this.i++;
      const next = this.peek();
      // grammar.y: NOT binds tighter than comparisons, so `not $msg startswith "#"` is `(not $msg) startswith "#"`,
      // which compares "0"/"1" with "#": never what was meant. Only `not (...)` and `not not ...` are taken.
      if (next === undefined || !(next.v === '(' || this.isWord(next, 'not'))) {
        throw new ConditionError(tok.at, 'rsyslog reads `not X op Y` as `(not X) op Y`; write not (X op Y)');
      }
      const operand = this.unary();
      return { k: 'bool', e: { kind: 'not', operand: this.asBool(operand) }, at: tok.at };
    }
    this.i++;
    if (tok.t === 'op' && tok.v === '(') {
      const inner = this.orAnd();
      const close = this.peek();
      if (close === undefined || close.v !== ')') throw new ConditionError(close?.at ?? this.end, 'missing )');
      this.i++;
      return inner;
    }
    if (tok.t === 'op' && tok.v === '[') return this.array(tok.at);
    if (tok.t === 'var') {
      const prop = property(tok.v);
      if (prop === undefined) throw new ConditionError(tok.at, `$${tok.v}: ${SUPPORTED} only`);
      return { k: 'var', prop, at: tok.at };
    }
    if (tok.t === 'string') return { k: 'string', values: [tok.v], array: false, at: tok.at };
    if (tok.t === 'number') throw new ConditionError(tok.at, `numbers are compared as numbers by rsyslog; nsm's filters compare strings: write "${tok.v}"`);
    if (tok.t === 'word') {
      const call = this.peek();
      if (call !== undefined && call.v === '(') throw new ConditionError(tok.at, `the function ${tok.v}() is not supported by nsm's filters`);
      throw new ConditionError(tok.at, `unexpected word '${tok.v}' in the condition`);
    }
    throw new ConditionError(tok.at, `unexpected '${tok.v}' in the condition`);
  }

  private array(at: number): Node {
    const values: string[] = [];
    for (;;) {
      const tok = this.peek();
      this.i++;
      if (tok === undefined) throw new ConditionError(this.end, 'missing ] after the array');
      if (tok.t === 'string') values.push(tok.v);
      else throw new ConditionError(tok.at, 'an array holds strings in quotes, separated by commas');
      const sep = this.peek();
      this.i++;
      if (sep?.v === ']') break;
      if (sep?.v !== ',') throw new ConditionError(sep?.at ?? this.end, 'missing , or ] in the array');
    }
    return { k: 'string', values, array: true, at };
  }
}

/** The condition of `if ... then`, with the cursor after `if`; leaves it after `then`. Undefined after an error. */
export function readCondition(c: FilterCursor): FilterExpression | undefined {
  const start = c.pos;
  try {
    const tokens = tokenize(c);
    return new ConditionParser(tokens, c.pos).parse();
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    c.error(err.at, err.message);
    if (c.pos === start) skipToThen(c);
    return undefined;
  }
}

/** After a bad condition: continue after its `then` (or at the end of the line when there is none). */
function skipToThen(c: FilterCursor): void {
  const re = /\bthen\b/gi;
  re.lastIndex = c.pos;
  const m = re.exec(c.text);
  if (m) c.pos = m.index + 4;
  else {
    const nl = c.text.indexOf('\n', c.pos);
    c.pos = nl < 0 ? c.text.length : nl;
  }
}
