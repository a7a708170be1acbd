// Splits the text of one rsyslog config file into statements (legacy `$Directive` lines, selector lines,
// RainerScript objects such as `input(...)`, property filters and `if ... then ... else` with their blocks), each
// with the line it starts on. Syntax errors become diagnostics.

import type { FilterExpression } from '../filter/message-filter';
import { DiagnosticList } from './diagnostic-list';
import { readCondition, readPropertyFilter } from './filter-syntax';

export interface ObjectParam {
  /** Lower-cased name: rsyslog parameter names are case-insensitive. */
  name: string;
  /** The name as written, for messages. */
  spelledAs: string;
  /** A double-quoted string, or an array `["a", "b"]`. */
  value: string | string[];
  line: number;
}

/** `module(...)`, `input(...)`, `action(...)`, `global(...)`, `include(...)` and the like. */
export interface ObjectStatement {
  kind: 'object';
  line: number;
  /** Lower-cased object name. */
  name: string;
  params: ObjectParam[];
}

export interface LegacyStatement {
  kind: 'legacy';
  line: number;
  /** Directive name as written, without the `$`. */
  directive: string;
  /** The rest of the line with any trailing `#` comment removed, trimmed. */
  value: string;
}

/** `FACILITY.SEVERITY action` or `& action` (same selector as the statement before); see also SelectorBlockStatement. */
export interface SelectorStatement {
  kind: 'selector';
  line: number;
  /** Selector text such as `*.info;mail.none`; null for an `&` continuation line. */
  selector: string | null;
  action: string | ObjectStatement;
}

/** `FACILITY.SEVERITY { statements }`: a selector guarding a block. */
export interface SelectorBlockStatement {
  kind: 'selector-block';
  line: number;
  selector: string;
  body: Statement[];
}

/** An action without a filter of its own: `stop`, `~`, `@@host`, `action(...)` after `then` or in a block. */
export interface ActionStatement {
  kind: 'action';
  line: number;
  action: string | ObjectStatement;
}

/** `:property, [!]operation, "value" ACTION` (a legacy property filter) with the statements it guards. */
export interface PropertyFilterStatement {
  kind: 'property-filter';
  line: number;
  /** Undefined when the filter had an error (already reported). */
  filter: FilterExpression | undefined;
  body: Statement[];
}

/** `if CONDITION then BODY [else BODY]`. */
export interface IfStatement {
  kind: 'if';
  line: number;
  /** Undefined when the condition had an error (already reported). */
  condition: FilterExpression | undefined;
  then: Statement[];
  else: Statement[];
}

/** A statement nsm recognises but cannot honour yet (`ruleset {}`, `call`, `set`...). */
export interface UnsupportedStatement {
  kind: 'unsupported';
  line: number;
  message: string;
}

export type Statement =
  | LegacyStatement | ObjectStatement | SelectorStatement | SelectorBlockStatement | ActionStatement | PropertyFilterStatement | IfStatement | UnsupportedStatement;

const OBJECT_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const PARAM_NAME = /[A-Za-z_][A-Za-z0-9_.\-]*/y;
const BARE_WORD = /[^\s(]+/y;

/** Removes a `#` comment that starts a whitespace-separated token (so `a#b` keeps its `#`). */
export function stripTrailingComment(text: string): string {
  return text.replace(/(^|\s)#.*$/, '').trim();
}

class Scanner {
  pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string, readonly file: string, readonly diags: DiagnosticList) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(index: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  get eof(): boolean {
    return this.pos >= this.text.length;
  }

  error(index: number, message: string): void {
    this.diags.error({ file: this.file, line: this.lineAt(index) }, message);
  }

  /** Skips whitespace, `#` comments and `/* *\/` comments; stops at the first other character. */
  skipBlank(crossNewlines = true): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '\n' && !crossNewlines) return;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        this.skipToEndOfLine();
      } else if (c === '/' && t[this.pos + 1] === '*') {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) {
          this.error(this.pos, 'unterminated /* comment');
          this.pos = t.length;
        } else {
          this.pos = end + 2;
        }
      } else {
        return;
      }
    }
  }

  skipToEndOfLine(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl;
  }

  restOfLine(): string {
    const start = this.pos;
    this.skipToEndOfLine();
    return this.text.slice(start, this.pos);
  }

  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** Reads `"..."` starting at the opening quote; rsyslog escapes: \" \\ \n \t. Undefined if unterminated. */
  readQuoted(): string | undefined {
    const t = this.text;
    const start = this.pos;
    let out = '';
    let i = this.pos + 1;
    while (i < t.length) {
      const c = t[i];
      if (c === '"') {
        this.pos = i + 1;
        return out;
      }
      if (c === '\\' && i + 1 < t.length) {
        const n = t[i + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.error(start, 'unterminated string: missing closing "');
    this.pos = t.length;
    return undefined;
  }

  /** Skips a balanced `(...)` or `{...}` group starting at its opener, honouring strings and comments. */
  skipGroup(): void {
    const open = this.text[this.pos];
    const close = open === '(' ? ')' : '}';
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '"') {
        if (this.readQuoted() === undefined) return;
        continue;
      }
      if (c === '#' || (c === '/' && this.text[this.pos + 1] === '*')) {
        this.skipBlank();
        continue;
      }
      this.pos++;
      if (c === open) depth++;
      else if (c === close && --depth === 0) return;
    }
  }

  /** Parses `name(param="value" ...)` with pos on the name. Returns undefined after reporting an error. */
  readObject(): ObjectStatement | undefined {
    const start = this.pos;
    const line = this.lineAt(start);
    const spelled = this.match(OBJECT_NAME) ?? '';
    this.skipBlank();
    const openAt = this.pos;
    this.pos++; // the '(' the caller saw
    const params: ObjectParam[] = [];
    for (;;) {
      this.skipBlank();
      if (this.eof) {
        this.error(start, `${spelled}(: missing ')' (the statement starts here)`);
        return undefined;
      }
      const c = this.text[this.pos];
      if (c === ')') {
        this.pos++;
        return { kind: 'object', line, name: spelled.toLowerCase(), params };
      }
      const paramStart = this.pos;
      const name = this.match(PARAM_NAME);
      if (name === undefined) {
        this.error(paramStart, `${spelled}(): unexpected '${c}' where a parameter name should be`);
        this.recoverInObject(openAt);
        return undefined;
      }
      this.skipBlank();
      if (this.text[this.pos] !== '=') {
        this.error(paramStart, `${spelled}(): parameter ${name} must be followed by = and a value in double quotes`);
        this.recoverInObject(openAt);
        return undefined;
      }
      this.pos++;
      this.skipBlank();
      const value = this.readParamValue(spelled, name, paramStart);
      if (value === undefined) {
        this.recoverInObject(openAt);
        return undefined;
      }
      params.push({ name: name.toLowerCase(), spelledAs: name, value, line: this.lineAt(paramStart) });
    }
  }

  private readParamValue(objectName: string, name: string, paramStart: number): string | string[] | undefined {
    const c = this.text[this.pos];
    if (c === '"') return this.readQuoted();
    if (c === '[') {
      this.pos++;
      const items: string[] = [];
      for (;;) {
        this.skipBlank();
        const d = this.text[this.pos];
        if (d === ']') {
          this.pos++;
          return items;
        }
        if (d === ',' && items.length > 0) {
          this.pos++;
          continue;
        }
        if (d !== '"') {
          this.error(paramStart, `${objectName}(): ${name}=[...] must list values in double quotes`);
          return undefined;
        }
        const item = this.readQuoted();
        if (item === undefined) return undefined;
        items.push(item);
      }
    }
    this.error(paramStart, `${objectName}(): the value of ${name} must be in double quotes, e.g. ${name}="..."`);
    return undefined;
  }

  /** After an error inside `name(...)`: continue after the object's closing parenthesis. */
  private recoverInObject(openAt: number): void {
    if (this.pos >= this.text.length) return;
    this.pos = openAt;
    this.skipGroup();
  }

  /** Skips to the end of the line, or past a `(...)` group opened on it (for `:prop, ... action(...)`). */
  skipLineOrGroup(): void {
    while (!this.eof && this.text[this.pos] !== '\n') {
      const c = this.text[this.pos];
      if (c === '(' || c === '{') {
        this.skipGroup();
        continue;
      }
      if (c === '"') {
        if (this.readQuoted() === undefined) return;
        continue;
      }
      this.pos++;
    }
  }
}

const CONTROL_WORDS = new Set(['ruleset', 'call', 'set', 'unset', 'reset', 'foreach', 'reload_lookup_table', 'call_indirect', 'continue']);

/** Splits a whole file into statements in order; never throws on bad input. */
export function scanStatements(text: string, file: string, diags: DiagnosticList): Statement[] {
  const s = new Scanner(text, file, diags);
  const out: Statement[] = [];
  for (;;) {
    s.skipBlank();
    if (s.eof) return out;
    if (s.text[s.pos] === '}') {
      s.error(s.pos, "unexpected '}'");
      s.pos++;
      continue;
    }
    readStatement(s, out, false);
  }
}

/** The statements of a `{ ... }` block, with the cursor after its `{`; leaves it after the `}`. */
function readBlock(s: Scanner, openAt: number): Statement[] {
  const out: Statement[] = [];
  for (;;) {
    s.skipBlank();
    if (s.eof) {
      s.error(openAt, "'{' is never closed with '}'");
      return out;
    }
    if (s.text[s.pos] === '}') {
      s.pos++;
      return out;
    }
    readStatement(s, out, true);
  }
}

/** What a filter guards: a `{ ... }` block or one statement (`stop`, an action, another filter). */
function readBody(s: Scanner, sameLine: boolean, what: string, start: number): Statement[] {
  s.skipBlank(!sameLine);
  if (s.eof || s.text[s.pos] === '\n') {
    s.error(start, `${what} has no action${sameLine ? ' on its line' : ''}`);
    return [];
  }
  if (s.text[s.pos] === '{') {
    const openAt = s.pos;
    s.pos++;
    return readBlock(s, openAt);
  }
  const out: Statement[] = [];
  readStatement(s, out, true);
  return out;
}

function readIf(s: Scanner, start: number): IfStatement {
  const line = s.lineAt(start);
  s.pos = start + 2;
  const condition = readCondition(s);
  const then = readBody(s, false, '`if ... then`', start);
  const save = s.pos;
  s.skipBlank();
  const elseWord = /else\b/iy;
  elseWord.lastIndex = s.pos;
  if (!elseWord.test(s.text)) {
    s.pos = save;
    return { kind: 'if', line, condition, then, else: [] };
  }
  const elseAt = s.pos;
  s.pos += 4;
  return { kind: 'if', line, condition, then, else: readBody(s, false, '`else`', elseAt) };
}

/** Reads one statement into `out`. In a block (after `then`, in `{ }`) config objects and directives are errors. */
function readStatement(s: Scanner, out: Statement[], inBlock: boolean): void {
  const start = s.pos;
  const line = s.lineAt(start);
  const c = s.text[start];

  if (c === '$') {
    const rest = s.restOfLine();
    if (inBlock) {
      s.error(start, 'a $Directive is not allowed inside a filter\'s block');
      return;
    }
    const m = /^\$([A-Za-z0-9_.]*)(.*)$/s.exec(rest.trimEnd()) as RegExpExecArray;
    if (m[1] === '') {
      s.error(start, `'$' must be followed by a directive name`);
      return;
    }
    out.push({ kind: 'legacy', line, directive: m[1], value: stripTrailingComment(m[2]) });
    return;
  }

  if (c === ':' && /:om[A-Za-z0-9]+:/y.test(s.text.slice(start, start + 40))) {
    out.push({ kind: 'action', line, action: stripTrailingComment(s.restOfLine()) });
    return;
  }

  if (c === ':') {
    const filter = readPropertyFilter(s);
    if (filter === undefined) {
      s.skipLineOrGroup();
      return;
    }
    out.push({ kind: 'property-filter', line, filter, body: readBody(s, true, 'the property filter', start) });
    return;
  }

  if (c === '&') {
    s.pos++;
    s.skipBlank(false);
    const action = readSelectorAction(s);
    if (action === undefined) s.error(start, "'&' must be followed by an action");
    else if (action !== null) out.push({ kind: 'selector', line, selector: null, action });
    return;
  }

  if ('~@/-|^>'.includes(c)) {
    // Legacy actions written without a selector (rsyslog's lexer takes them as actions for every message).
    const action = readSelectorAction(s);
    if (typeof action === 'string' || (action !== undefined && action !== null)) out.push({ kind: 'action', line, action });
    return;
  }

  if (c === '{') {
    // rsyslog's grammar has blocks only after a filter (then, else, a selector or property filter).
    s.error(start, "unexpected '{' (a block follows a filter: if ... then { ... })");
    s.skipGroup();
    return;
  }

  const save = s.pos;
  const word = s.match(OBJECT_NAME);
  if (word !== undefined) {
    const lower = word.toLowerCase();
    const after = s.pos;
    s.skipBlank();
    const isObject = s.text[s.pos] === '(';
    s.pos = after;
    if (lower === 'if') {
      out.push(readIf(s, start));
      return;
    }
    if (lower === 'stop') {
      out.push({ kind: 'action', line, action: 'stop' });
      return;
    }
    if (lower === 'action' && isObject) {
      s.pos = save;
      const obj = s.readObject();
      if (obj) out.push({ kind: 'action', line, action: obj });
      return;
    }
    if (lower === 'ruleset' && isObject) {
      s.pos = save;
      s.readObject();
      s.skipBlank();
      if (s.text[s.pos] === '{') s.skipGroup();
      out.push({ kind: 'unsupported', line, message: 'ruleset() blocks are not supported yet: the ruleset and its actions are ignored' });
      return;
    }
    if (CONTROL_WORDS.has(lower)) {
      s.skipLineOrGroup();
      out.push({ kind: 'unsupported', line, message: `the RainerScript statement '${word}' is not supported yet: it is ignored` });
      return;
    }
    if (isObject) {
      s.pos = save;
      const obj = s.readObject();
      if (obj && inBlock) s.error(start, `${obj.name}(...) is a configuration object, not allowed inside a filter's block`);
      else if (obj) out.push(obj);
      return;
    }
    s.pos = save;
  }

  // A selector line: the selector is the first whitespace-free token and contains a '.'.
  const selector = s.match(BARE_WORD) ?? '';
  if (!selector.includes('.')) {
    s.error(start, `unrecognised statement '${selector || s.text[start]}' (expected $Directive, FACILITY.SEVERITY action, :property filter, if, or name(...))`);
    if (selector === '') s.pos++;
    s.skipLineOrGroup();
    return;
  }
  s.skipBlank(false);
  if (s.text[s.pos] === '{') {
    const openAt = s.pos;
    s.pos++;
    out.push({ kind: 'selector-block', line, selector, body: readBlock(s, openAt) });
    return;
  }
  const action = readSelectorAction(s);
  if (action === undefined) {
    s.error(start, `selector '${selector}' has no action on its line`);
    return;
  }
  if (action !== null) out.push({ kind: 'selector', line, selector, action });
}

/**
 * The action after a selector: an `action(...)` object or the rest of the line without a trailing comment.
 * Undefined when there is none; null when a malformed `action(...)` was already reported.
 */
function readSelectorAction(s: Scanner): string | ObjectStatement | undefined | null {
  if (s.eof || s.text[s.pos] === '\n') return undefined;
  const save = s.pos;
  const word = s.match(OBJECT_NAME);
  if (word !== undefined && word.toLowerCase() === 'action') {
    s.skipBlank();
    if (s.text[s.pos] === '(') {
      s.pos = save;
      return s.readObject() ?? null;
    }
  }
  s.pos = save;
  const text = stripTrailingComment(s.restOfLine());
  return text === '' ? undefined : text;
}
