// Translates the POSIX regular expressions of rsyslog's `regex` (BRE) and `ereregex` (ERE) filters into JavaScript
// RegExps that match the same byte strings, or says why a pattern cannot be translated faithfully.
//
// rsyslogd never calls setlocale(), so glibc's regcomp/regexec run in the C locale: one byte is one character and
// classes are ASCII. We therefore match against the message decoded as latin1 (byte n = code unit n), never UTF-8.
// A filter only asks "is there a match", so POSIX's leftmost-longest rule and JavaScript's leftmost-first rule agree;
// what differs (backreferences to unset groups, `.` and `\s` on CR or U+00A0, `\` inside brackets, BRE's literal
// `+?|(){}`, a leading `*`) is translated explicitly or rejected.

export type RegexDialect = 'bre' | 'ere';

export type RegexTranslation = { regex: RegExp; source: string } | { error: string };

/** The pattern as the bytes regcomp sees: config text is UTF-8, each of its bytes is one character to glibc. */
export function patternBytes(pattern: string): string {
  return Buffer.from(pattern, 'utf8').toString('latin1');
}

const CLASS_RANGES: ReadonlyMap<string, string> = new Map([
  ['alpha', 'A-Za-z'],
  ['digit', '0-9'],
  ['alnum', '0-9A-Za-z'],
  ['upper', 'A-Z'],
  ['lower', 'a-z'],
  ['space', ' \\t\\n\\x0b\\f\\r'],
  ['blank', ' \\t'],
  ['punct', '!-\\/:-@\\[-`{-~'],
  ['print', ' -~'],
  ['graph', '!-~'],
  ['cntrl', '\\x00-\\x1f\\x7f'],
  ['xdigit', '0-9A-Fa-f'],
]);

const WORD = 'A-Za-z0-9_';
const SPACE = ' \\t\\n\\x0b\\f\\r';
const ANY = '[\\s\\S]';
/** glibc's RE_DUP_MAX. */
const MAX_REPEAT = 0x7fff;

function hex(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** One character as a JavaScript regex atom that means exactly that character. */
function literal(ch: string): string {
  return /[A-Za-z0-9 _]/.test(ch) ? ch : hex(ch.charCodeAt(0));
}

class Translator {
  private pos = 0;
  private out = '';
  private depth = 0;
  /** True when the next atom starts an expression (start, after a group opener or an alternation). */
  private atExpressionStart = true;
  /** True when the last thing emitted can take a quantifier. */
  private canRepeat = false;

  constructor(private readonly p: string, private readonly dialect: RegexDialect) {}

  translate(): string {
    while (this.pos < this.p.length) this.step();
    if (this.depth > 0) throw new Error('unmatched ( in the pattern');
    return this.out;
  }

  private emitAtom(atom: string): void {
    this.out += atom;
    this.atExpressionStart = false;
    this.canRepeat = true;
  }

  private emitAnchor(anchor: string): void {
    this.out += anchor;
    this.canRepeat = false;
  }

  private step(): void {
    const c = this.p[this.pos];
    const ere = this.dialect === 'ere';
    if (c === '\\') {
      this.escape();
      return;
    }
    if (c === '[') {
      this.pos++;
      this.emitAtom(this.bracket());
      return;
    }
    if (c === '.') {
      this.pos++;
      this.emitAtom(ANY);
      return;
    }
    if (c === '^') {
      this.pos++;
      // BRE: an anchor only where an expression starts; elsewhere an ordinary character.
      if (ere || this.atExpressionStart) this.emitAnchor('^');
      else this.emitAtom(literal(c));
      return;
    }
    if (c === '$') {
      this.pos++;
      if (ere || this.breAnchorEndsHere()) this.emitAnchor('$');
      else this.emitAtom(literal(c));
      return;
    }
    if (c === '*') {
      this.pos++;
      if (this.atExpressionStart && !ere) {
        // BRE: a `*` that starts an expression (or follows a leading ^) is an ordinary character.
        this.emitAtom(literal(c));
        return;
      }
      this.quantifier('*');
      return;
    }
    if (ere && (c === '+' || c === '?')) {
      this.pos++;
      this.quantifier(c);
      return;
    }
    if (ere && c === '{') {
      this.pos++;
      this.interval('}');
      return;
    }
    if (ere && c === '(') {
      this.pos++;
      this.openGroup();
      return;
    }
    if (ere && c === ')') {
      this.pos++;
      this.closeGroup();
      return;
    }
    if (ere && c === '|') {
      this.pos++;
      this.alternation();
      return;
    }
    this.pos++;
    this.emitAtom(literal(c));
  }

  /** BRE: `$` anchors only at the end of the pattern or before `\)` / `\|`. */
  private breAnchorEndsHere(): boolean {
    const rest = this.p.slice(this.pos);
    return rest === '' || rest.startsWith('\\)') || rest.startsWith('\\|');
  }

  private escape(): void {
    const n = this.p[this.pos + 1];
    if (n === undefined) throw new Error('the pattern ends with a lone backslash');
    this.pos += 2;
    const bre = this.dialect === 'bre';
    if (bre && n === '(') return this.openGroup();
    if (bre && n === ')') return this.closeGroup();
    if (bre && n === '|') return this.alternation();
    if (bre && n === '{') return this.interval('\\}');
    if (bre && (n === '+' || n === '?')) return this.quantifier(n);
    if (n >= '1' && n <= '9') throw new Error(`backreference \\${n} is not supported by nsm's filters`);
    switch (n) {
      case 'w': return this.emitAtom(`[${WORD}]`);
      case 'W': return this.emitAtom(`[^${WORD}]`);
      case 's': return this.emitAtom(`[${SPACE}]`);
      case 'S': return this.emitAtom(`[^${SPACE}]`);
      case 'b': return this.emitAnchor('\\b');
      case 'B': return this.emitAnchor('\\B');
    }
    if (/[A-Za-z0-9<>`']/.test(n)) throw new Error(`\\${n} has a meaning in glibc's regex that nsm does not translate`);
    // Any other escaped character stands for itself.
    this.emitAtom(literal(n));
  }

  private quantifier(q: string): void {
    if (!this.canRepeat) throw new Error(`'${q}' does not follow something it can repeat`);
    this.out += q;
    this.afterQuantifier();
  }

  /** `{m}`, `{m,}`, `{m,n}` (ERE) or `\{m,n\}` (BRE), `close` being the closing token. */
  private interval(close: string): void {
    const end = this.p.indexOf(close, this.pos);
    const body = end < 0 ? undefined : this.p.slice(this.pos, end);
    const m = body === undefined ? null : /^(\d+)(,(\d*))?$/.exec(body);
    if (m === null) throw new Error('an interval must look like {m}, {m,} or {m,n}');
    const min = Number(m[1]);
    const max = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
    if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) throw new Error(`invalid interval {${body}}`);
    if (!this.canRepeat) throw new Error(`the interval {${body}} does not follow something it can repeat`);
    this.pos = end + close.length;
    this.out += `{${body}}`;
    this.afterQuantifier();
  }

  private afterQuantifier(): void {
    // glibc accepts `a**` or `a*{2}`; JavaScript does not. Rare enough to refuse rather than rewrite.
    const next = this.p[this.pos];
    const nextIsQuantifier = next === '*'
      || (this.dialect === 'ere' && (next === '+' || next === '?' || next === '{'))
      || (this.dialect === 'bre' && next === '\\' && /[+?{]/.test(this.p[this.pos + 1] ?? ''));
    if (nextIsQuantifier) throw new Error('two repetition operators in a row are not supported by nsm\'s filters');
    this.canRepeat = false;
  }

  private openGroup(): void {
    this.depth++;
    this.out += '(?:';
    this.atExpressionStart = true;
    this.canRepeat = false;
  }

  private closeGroup(): void {
    if (this.depth === 0) throw new Error('unmatched ) in the pattern');
    if (this.out.endsWith('(?:') || this.out.endsWith('|')) throw new Error('empty group or alternative');
    this.depth--;
    this.out += ')';
    this.atExpressionStart = false;
    this.canRepeat = true;
  }

  private alternation(): void {
    if (this.out === '' || this.out.endsWith('(?:') || this.out.endsWith('|')) throw new Error('empty alternative before |');
    const rest = this.p.slice(this.pos);
    if (rest === '' || rest.startsWith(this.dialect === 'ere' ? ')' : '\\)') || rest.startsWith(this.dialect === 'ere' ? '|' : '\\|')) {
      throw new Error('empty alternative after |');
    }
    this.out += '|';
    this.atExpressionStart = true;
    this.canRepeat = false;
  }

  /** A bracket expression after its `[`: POSIX rules (a leading `]` is literal, `\` is literal). */
  private bracket(): string {
    let negate = false;
    if (this.p[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    let body = '';
    let first = true;
    for (;;) {
      if (this.pos >= this.p.length) throw new Error('unterminated [ bracket expression');
      const c = this.p[this.pos];
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === '[' && (this.p[this.pos + 1] === '=' || this.p[this.pos + 1] === '.')) {
        throw new Error('collating elements and equivalence classes ([. .] [= =]) are not supported by nsm\'s filters');
      }
      if (c === '[' && this.p[this.pos + 1] === ':') {
        const end = this.p.indexOf(':]', this.pos + 2);
        const name = end < 0 ? '' : this.p.slice(this.pos + 2, end);
        const ranges = CLASS_RANGES.get(name);
        if (ranges === undefined) throw new Error(`unknown character class [:${name}:]`);
        body += ranges;
        this.pos = end + 2;
        continue;
      }
      this.pos++;
      const lo = c.charCodeAt(0);
      if (this.p[this.pos] === '-' && this.p[this.pos + 1] !== undefined && this.p[this.pos + 1] !== ']') {
        const hiChar = this.p[this.pos + 1];
        if (hiChar === '[') throw new Error('a range ending in a class or collating element is not supported');
        const hi = hiChar.charCodeAt(0);
        if (hi < lo) throw new Error(`invalid range ${c}-${hiChar}`);
        body += `${hex(lo)}-${hex(hi)}`;
        this.pos += 2;
        continue;
      }
      body += hex(lo);
    }
    if (body === '') throw new Error('empty bracket expression');
    return `[${negate ? '^' : ''}${body}]`;
  }
}

/** Translates a BRE or ERE as regcomp(3) would read it in the C locale (the pattern is the bytes of `pattern`). */
export function translatePosixRegex(pattern: string, dialect: RegexDialect): RegexTranslation {
  try {
    const source = new Translator(patternBytes(pattern), dialect).translate();
    return { regex: new RegExp(source), source };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
