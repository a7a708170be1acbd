// rsyslog's message filters as data, and their evaluation on the bytes of one line read by imfile: legacy property
// filters (`:msg, !contains, "x"`), RainerScript conditions (`$msg startswith "#" and not (...)`) and PRI selectors.
// Semantics are rsyslogd 8.2302's, read from its source and checked side by side (test/agent/filter/).

// This folder imports nothing from agent/config: the config parser builds these values, the file server runs them.

/** The message properties nsm can filter on. For an imfile line, msg and rawmsg are the line's bytes exactly. */
export type MessageProperty = 'msg' | 'rawmsg' | 'programname' | 'syslogtag';

export const MESSAGE_PROPERTIES: readonly MessageProperty[] = ['msg', 'rawmsg', 'programname', 'syslogtag'];

/**
 * `isequal`/`==` compare whole values, `startswith`, `contains` (and their `_i` forms, RainerScript only) look for
 * the value at the start or anywhere, `regex`/`ereregex` (legacy only) search with a POSIX BRE/ERE, `isempty`
 * (legacy only) is true for an empty property.
 */
export type CompareOperation = 'isequal' | 'startswith' | 'startswith_i' | 'contains' | 'contains_i' | 'regex' | 'ereregex' | 'isempty';

export interface PropertyComparison {
  kind: 'compare';
  property: MessageProperty;
  operation: CompareOperation;
  /** The value compared with, as bytes (config text is UTF-8). Empty for isempty. */
  value: Buffer;
  /** The value as written in the config, for messages and `nsm check`. */
  valueText: string;
  /** regex/ereregex only: the translated pattern (see posix-regex.ts). */
  regex?: RegExp;
  /**
   * Legacy `contains`, `regex` and `ereregex` see the property only up to its first NUL byte: rsyslog hands them a C
   * string. Legacy `isequal`/`startswith` and every RainerScript operation use the full length.
   */
  stopsAtNul: boolean;
  /** How it was written: `:msg, !contains, "x"` or `$msg contains "x"`. */
  syntax: 'legacy' | 'rainerscript';
}

/** A `facility.severity` selector, reduced to what it matches: bit `s` of `severities[f]` for facility f, severity s. */
export interface PriorityFilter {
  kind: 'priority';
  /** 24 facilities (0..23), 8 severity bits each. */
  severities: readonly number[];
  /** As written, e.g. `local7.*`. */
  text: string;
}

export type FilterExpression =
  | PropertyComparison
  | PriorityFilter
  | { kind: 'not'; operand: FilterExpression }
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'constant'; value: boolean };

/** What one monitored file's lines have in common: everything but msg and rawmsg. */
export interface FileMessageContext {
  facility: number;
  severity: number;
  /** The tag as configured, e.g. `bro_conn:`. */
  syslogtag: Buffer;
  /** rsyslog's programname: the tag up to the first ':', '[', '/' or non-printable byte. */
  programname: Buffer;
}

export function fileMessageContext(tag: string, facility: number, severity: number): FileMessageContext {
  const syslogtag = Buffer.from(tag, 'utf8');
  let end = 0;
  // msg.c acquireProgramName(): isprint() in the C locale, and the three delimiters (no permitSlashInProgramname).
  while (end < syslogtag.length) {
    const b = syslogtag[end];
    if (b < 0x20 || b > 0x7e || b === 0x3a || b === 0x5b || b === 0x2f) break;
    end++;
  }
  return { facility, severity, syslogtag, programname: syslogtag.subarray(0, end) };
}

/** True when the expression reads msg or rawmsg, i.e. its value can change from one line of a file to the next. */
export function dependsOnLine(e: FilterExpression): boolean {
  switch (e.kind) {
    case 'compare': return e.property === 'msg' || e.property === 'rawmsg';
    case 'not': return dependsOnLine(e.operand);
    case 'and':
    case 'or': return dependsOnLine(e.left) || dependsOnLine(e.right);
    default: return false;
  }
}

function lowerAscii(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

/**
 * RainerScript's `startswith_i` as libestr's es_strncasecmp() computes it: that function stops with "equal" when the
 * PROPERTY runs out (it tests the first string's length twice), so a property that is a case-insensitive prefix of
 * the value also matches (programname `app` startswith_i "APP[1]:"), and an empty property always does. Measured
 * with rsyslogd 8.2302 (test/agent/filter/filters-vs-rsyslogd.test.ts).
 */
function startsWithIgnoringCase(text: Buffer, prefix: Buffer): boolean {
  const n = Math.min(text.length, prefix.length);
  for (let i = 0; i < n; i++) if (lowerAscii(text[i]) !== lowerAscii(prefix[i])) return false;
  return true;
}

function containsIgnoringCase(text: Buffer, needle: Buffer): boolean {
  for (let start = 0; start + needle.length <= text.length; start++) {
    let i = 0;
    while (i < needle.length && lowerAscii(text[start + i]) === lowerAscii(needle[i])) i++;
    if (i === needle.length) return true;
  }
  return false;
}

/** A byte loop: the values filters start with are short (`#`), and Buffer.compare's range checks cost more. */
function startsWith(text: Buffer, prefix: Buffer): boolean {
  if (prefix.length > text.length) return false;
  for (let i = 0; i < prefix.length; i++) if (text[i] !== prefix[i]) return false;
  return true;
}

function upToNul(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

function compare(c: PropertyComparison, ctx: FileMessageContext, line: Buffer): boolean {
  const whole = c.property === 'msg' || c.property === 'rawmsg' ? line : ctx[c.property];
  const value = c.stopsAtNul ? upToNul(whole) : whole;
  switch (c.operation) {
    case 'isequal': return value.equals(c.value);
    case 'startswith': return startsWith(value, c.value);
    case 'startswith_i': return startsWithIgnoringCase(value, c.value);
    case 'contains': return value.indexOf(c.value) >= 0;
    case 'contains_i': return containsIgnoringCase(value, c.value);
    case 'isempty': return value.length === 0;
    case 'regex':
    case 'ereregex': return (c.regex as RegExp).test(value.toString('latin1'));
  }
}

/** Evaluates `e` for one line of a file. */
export function evaluateFilter(e: FilterExpression, ctx: FileMessageContext, line: Buffer): boolean {
  switch (e.kind) {
    case 'compare': return compare(e, ctx, line);
    case 'priority': return ((e.severities[ctx.facility] ?? 0) & (1 << ctx.severity)) !== 0;
    case 'not': return !evaluateFilter(e.operand, ctx, line);
    case 'and': return evaluateFilter(e.left, ctx, line) && evaluateFilter(e.right, ctx, line);
    case 'or': return evaluateFilter(e.left, ctx, line) || evaluateFilter(e.right, ctx, line);
    case 'constant': return e.value;
  }
}

/**
 * The expression with everything fixed for this file (selectors, programname, syslogtag) evaluated: a constant, or
 * a smaller expression that reads only msg/rawmsg. Used to route a file's lines without per-line work when possible,
 * and to show in `nsm check` which filter still applies to a file.
 */
export function specializeFilter(e: FilterExpression, ctx: FileMessageContext): FilterExpression {
  switch (e.kind) {
    case 'compare':
    case 'priority':
      return dependsOnLine(e) ? e : { kind: 'constant', value: evaluateFilter(e, ctx, Buffer.alloc(0)) };
    case 'constant':
      return e;
    case 'not': {
      const operand = specializeFilter(e.operand, ctx);
      return operand.kind === 'constant' ? { kind: 'constant', value: !operand.value } : { kind: 'not', operand };
    }
    case 'and':
    case 'or': {
      const left = specializeFilter(e.left, ctx);
      const right = specializeFilter(e.right, ctx);
      const absorbing = e.kind === 'or';
      if (left.kind === 'constant') return left.value === absorbing ? left : right;
      if (right.kind === 'constant') return right.value === absorbing ? right : left;
      return { kind: e.kind, left, right };
    }
  }
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The expression in the syntax it was written in (legacy comparisons keep their `:prop, op, "value"` form). */
export function describeFilter(e: FilterExpression): string {
  switch (e.kind) {
    case 'compare':
      if (e.syntax === 'legacy') return `:${e.property}, ${e.operation}${e.operation === 'isempty' ? '' : `, ${quote(e.valueText)}`}`;
      return `$${e.property} ${e.operation === 'isequal' ? '==' : e.operation} ${quote(e.valueText)}`;
    case 'priority': return e.text;
    case 'constant': return e.value ? 'true' : 'false';
    case 'not':
      if (e.operand.kind === 'compare' && e.operand.syntax === 'legacy') return describeFilter(e.operand).replace(', ', ', !');
      return `not (${describeFilter(e.operand)})`;
    case 'and':
    case 'or': {
      const side = (s: FilterExpression): string => (s.kind === 'and' || s.kind === 'or') && s.kind !== e.kind ? `(${describeFilter(s)})` : describeFilter(s);
      return `${side(e.left)} ${e.kind} ${side(e.right)}`;
    }
  }
}
