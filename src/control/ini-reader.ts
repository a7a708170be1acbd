// Reads INI text the way broctl reads node.cfg (Python's configparser with its defaults): `[section]` headers,
// `key = value` or `key: value`, whole-line `#`/`;` comments, keys lower-cased, indented lines continuing the
// previous value, a `[DEFAULT]` section inherited by every section, `%(key)s` interpolation and `%%`.
// Every entry keeps its line so later checks can say `file:line: what is wrong`.

import { DiagnosticList } from '../../agent/config/diagnostic-list';

export interface IniEntry {
  /** Lower-cased, as configparser's optionxform does. */
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  /** As written between the brackets (configparser keeps it unchanged). */
  name: string;
  line: number;
  /** In file order; `[DEFAULT]` entries the section does not set itself come last. */
  entries: IniEntry[];
}

export interface IniFile {
  sections: IniSection[];
}

/** configparser's limit on nested `%(key)s` references. */
const MAX_INTERPOLATION_DEPTH = 10;

interface RawEntry {
  key: string;
  parts: string[];
  line: number;
  indent: number;
}

interface RawSection {
  name: string;
  line: number;
  entries: Map<string, RawEntry>;
}

function indentOf(line: string): number {
  const m = /^\s*/.exec(line);
  return m ? m[0].length : 0;
}

/**
 * Parses INI text; problems go to `diags` as `file:line` errors, and reading goes on after each. An indented
 * `key=value` line naming one of `knownKeys` gets a warning: configparser makes it part of the previous value.
 */
export function readIni(text: string, file: string, diags: DiagnosticList, opts: { knownKeys?: readonly string[] } = {}): IniFile {
  const sections: RawSection[] = [];
  const seen = new Map<string, number>();
  let defaults: RawSection | undefined;
  let current: RawSection | undefined;
  let entry: RawEntry | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    const stripped = raw.trim();
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) {
      // A blank line inside a multi-line value is kept (configparser's empty_lines_in_values); a comment is not.
      if (stripped === '' && entry) entry.parts.push('');
      continue;
    }
    const indent = indentOf(raw);
    if (entry && indent > entry.indent) {
      entry.parts.push(stripped);
      const looksLikeKey = /^([A-Za-z_.]+)\s*[=:]/.exec(stripped);
      if (looksLikeKey && opts.knownKeys?.includes(looksLikeKey[1].toLowerCase().replace(/\./g, '_'))) {
        diags.warning({ file, line: lineNo }, `indented, so it continues the value of '${entry.key}' (line ${entry.line}) as broctl reads it; remove the indentation if it is a key of its own`);
      }
      continue;
    }
    const header = /^\[(.+)\]/.exec(stripped);
    if (header) {
      const name = header[1];
      entry = undefined;
      if (name === 'DEFAULT') {
        defaults ??= { name, line: lineNo, entries: new Map() };
        current = defaults;
        continue;
      }
      const first = seen.get(name);
      if (first !== undefined) {
        diags.error({ file, line: lineNo }, `section '${name}' already exists (line ${first})`);
        current = sections.find((s) => s.name === name);
        continue;
      }
      seen.set(name, lineNo);
      current = { name, line: lineNo, entries: new Map() };
      sections.push(current);
      continue;
    }
    if (!current) {
      diags.error({ file, line: lineNo }, `no section header before this line (node.cfg starts with [NODE-NAME]): ${stripped}`);
      continue;
    }
    const option = /^(.*?)\s*([=:])\s*(.*)$/.exec(stripped);
    if (!option || option[1] === '') {
      diags.error({ file, line: lineNo }, `not a key=value line: ${stripped}`);
      entry = undefined;
      continue;
    }
    const key = option[1].toLowerCase();
    const earlier = current.entries.get(key);
    if (earlier) {
      diags.error({ file, line: lineNo }, `option '${key}' in section '${current.name}' already set (line ${earlier.line})`);
      entry = undefined;
      continue;
    }
    entry = { key, parts: [option[3]], line: lineNo, indent };
    current.entries.set(key, entry);
  }
  const joined = (e: RawEntry): IniEntry => ({ key: e.key, value: e.parts.join('\n').trimEnd(), line: e.line });
  return {
    sections: sections.map((s) => {
      const own = [...s.entries.values()].map(joined);
      const inherited = defaults ? [...defaults.entries.values()].filter((d) => !s.entries.has(d.key)).map(joined) : [];
      const all = [...own, ...inherited];
      const byKey = new Map(all.map((e) => [e.key, e.value]));
      return {
        name: s.name,
        line: s.line,
        entries: all.map((e) => ({ ...e, value: interpolate(e, byKey, s.name, file, diags) })),
      };
    }),
  };
}

/** configparser's BasicInterpolation: `%%` is `%`, `%(key)s` is the section's (or DEFAULT's) value of key. */
function interpolate(e: IniEntry, values: Map<string, string>, section: string, file: string, diags: DiagnosticList): string {
  const expand = (text: string, depth: number): string | undefined => {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      diags.error({ file, line: e.line }, `value of '${e.key}' in section '${section}' nests %(...)s references too deeply`);
      return undefined;
    }
    let out = '';
    let i = 0;
    while (i < text.length) {
      const pct = text.indexOf('%', i);
      if (pct < 0) return out + text.slice(i);
      out += text.slice(i, pct);
      const next = text[pct + 1];
      if (next === '%') {
        out += '%';
        i = pct + 2;
        continue;
      }
      const ref = next === '(' ? /^%\(([^)]+)\)s/.exec(text.slice(pct)) : null;
      if (!ref) {
        diags.error({ file, line: e.line }, `'%' in the value of '${e.key}' must be followed by '%' or '(name)s' (write %% for a percent sign)`);
        return undefined;
      }
      const name = ref[1].toLowerCase();
      const value = values.get(name);
      if (value === undefined) {
        diags.error({ file, line: e.line }, `value of '${e.key}' refers to '%(${ref[1]})s', which section '${section}' does not set`);
        return undefined;
      }
      const inner = expand(value, depth + 1);
      if (inner === undefined) return undefined;
      out += inner;
      i = pct + ref[0].length;
    }
    return out;
  };
  return expand(e.value, 1) ?? e.value;
}
