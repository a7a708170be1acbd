// Reads nsmctl.cfg / broctl.cfg / zeekctl.cfg text as broctl does: `key = value` lines, whole-line `#` comments,
// names case-insensitive, values trimmed and converted to the option's type (bool 0/1/true/false, int, string).
// Unlike broctl (which warns and goes on), unknown names are errors; broctl options nsm does not use are accepted
// and reported once each as ignored.

import { DiagnosticList } from '../../agent/config/diagnostic-list';
import { isHistoricalOption, isPluginOption, optionForKey, OptionSpec, OptionType } from './ctl-options';

export type OptionValue = string | number | boolean;

export interface SetOption {
  /** The option's lower-cased name (its current zeekctl name when a Bro-era name was written). */
  key: string;
  value: OptionValue;
  line: number;
  spec: OptionSpec;
}

export interface CtlConfigFile {
  file: string;
  /** Options the file sets, by lower-cased name; a later line wins, as in broctl. */
  set: Map<string, SetOption>;
}

/** Python's int(): optional sign, digits with single underscores between them. */
export function parsePythonInt(text: string): number | undefined {
  if (!/^[+-]?\d+(_\d+)*$/.test(text)) return undefined;
  const n = Number(text.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

export function convertOption(type: OptionType, text: string): OptionValue | undefined {
  if (type === 'string') return text;
  if (type === 'int') return parsePythonInt(text);
  const lower = text.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  return undefined;
}

export function readCtlConfig(text: string, file: string, diags: DiagnosticList): CtlConfigFile {
  const set = new Map<string, SetOption>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = { file, line: i + 1 };
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      diags.error(where, `syntax error (expected key = value): ${line}`);
      continue;
    }
    const written = line.slice(0, eq).trim();
    const key = written.toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (!/^[a-z0-9_.]+$/.test(key)) {
      diags.error(where, `option name "${written}" contains invalid characters (allowed: letters, digits, . and _)`);
      continue;
    }
    if (/^[0-9]/.test(key)) {
      diags.error(where, `option name "${written}" cannot start with a number`);
      continue;
    }
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      diags.error(where, `value of option "${written}" cannot be wrapped in quotes`);
      continue;
    }
    if (isHistoricalOption(key) || isPluginOption(key)) {
      diags.warning(where, `${written}: broctl option nsm does not use: ignored`);
      continue;
    }
    const spec = optionForKey(key);
    if (!spec) {
      const what = key.includes('.') ? `no nsm plugin provides option "${written}"` : `unknown option "${written}" (not a broctl option)`;
      diags.error(where, what);
      continue;
    }
    const typed = convertOption(spec.type, value);
    if (typed === undefined) {
      diags.error(where, `option ${spec.name} has invalid value '${value}' for type ${spec.type}${spec.type === 'bool' ? ' (0, 1, true or false)' : ''}`);
      continue;
    }
    const canonical = spec.name.toLowerCase();
    const earlier = set.get(canonical);
    if (earlier) diags.warning(where, `${spec.name} already set on line ${earlier.line}: this line wins`);
    if (spec.used === undefined) diags.warning(where, `${written}: broctl option nsm does not use: ignored`);
    set.set(canonical, { key: canonical, value: typed, line: i + 1, spec });
  }
  return { file, set };
}
