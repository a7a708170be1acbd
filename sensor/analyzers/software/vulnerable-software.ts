// The table of vulnerable software versions (Zeek's Software::vulnerable_versions from
// policy/frameworks/software/vulnerable.zeek) as data users edit: conf.d/vulnerable-software.cfg. Each line names a
// software (as software.log's `name` column writes it) and one vulnerable range:
//
//   Java            max=1.7.0.10
//   Java            min=1.8 max=1.8.0.5
//   "Apple Mail"    max=2.1084
//
// A version is major[.minor[.minor2[.minor3]]][-addl], as software_fmt_version prints it (the notice's sub column).
// A software at or below max (and at or above min, when given) raises Software::Vulnerable_Version.

import * as path from 'path';
import type { SoftwareVersion } from './software-version';

export interface VulnerableRange {
  min?: SoftwareVersion;
  max: SoftwareVersion;
}

/** Software name → its vulnerable ranges. */
export type VulnerableSoftwareTable = ReadonlyMap<string, readonly VulnerableRange[]>;

export class VulnerableSoftwareConfigError extends Error {}

/** The shipped table: conf.d/vulnerable-software.cfg in the nsm checkout (four levels above this compiled file). */
export const DEFAULT_VULNERABLE_SOFTWARE_FILE = path.resolve(__dirname, '..', '..', '..', '..', 'conf.d', 'vulnerable-software.cfg');

const VERSION_TEXT = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-(.+))?$/;

/** `1.7.0.10`, `2.1-beta` → a version; undefined when the text is not one. */
export function parseVersionText(text: string): SoftwareVersion | undefined {
  const m = VERSION_TEXT.exec(text);
  if (m === null) return undefined;
  const v: SoftwareVersion = {};
  const parts = [m[1], m[2], m[3], m[4]].map((p) => (p === undefined ? undefined : Number(p)));
  if (parts.some((p) => p !== undefined && !Number.isSafeInteger(p))) return undefined;
  if (parts[0] !== undefined) v.major = parts[0];
  if (parts[1] !== undefined) v.minor = parts[1];
  if (parts[2] !== undefined) v.minor2 = parts[2];
  if (parts[3] !== undefined) v.minor3 = parts[3];
  if (m[5] !== undefined) v.addl = m[5];
  return v;
}

/**
 * Parses the file's text. `#` starts a comment (outside quotes); blank lines are skipped. Throws
 * VulnerableSoftwareConfigError `file:line: what is wrong` at the first bad line.
 */
export function parseVulnerableSoftware(text: string, file: string): VulnerableSoftwareTable {
  const table = new Map<string, VulnerableRange[]>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fail = (what: string): never => {
      throw new VulnerableSoftwareConfigError(`${file}:${i + 1}: ${what}`);
    };
    let line = lines[i].trim();
    let name: string;
    if (line.startsWith('"')) {
      const close = line.indexOf('"', 1);
      if (close < 0) fail('the quoted software name has no closing "');
      name = line.slice(1, close);
      line = line.slice(close + 1);
      if (line !== '' && !/^[ \t]/.test(line) && !line.startsWith('#')) fail('expected a space after the quoted name');
    } else {
      if (line === '' || line.startsWith('#')) continue;
      const m = /^(\S+)(.*)$/.exec(line) as RegExpExecArray;
      name = m[1];
      line = m[2];
    }
    if (name === '') fail('empty software name');
    const hash = line.indexOf('#');
    const fields = (hash >= 0 ? line.slice(0, hash) : line).trim().split(/[ \t]+/).filter((f) => f !== '');
    let min: SoftwareVersion | undefined;
    let max: SoftwareVersion | undefined;
    for (const field of fields) {
      const eq = field.indexOf('=');
      const key = eq < 0 ? field : field.slice(0, eq);
      if (eq < 0 || (key !== 'min' && key !== 'max')) fail(`"${field}": expected min=VERSION or max=VERSION`);
      const version = parseVersionText(field.slice(eq + 1));
      if (version === undefined) {
        fail(`${key}: "${field.slice(eq + 1)}" is not a version (major[.minor[.minor2[.minor3]]][-addl], e.g. 1.7.0.10)`);
      }
      if ((key === 'min' ? min : max) !== undefined) fail(`${key} given twice`);
      if (key === 'min') min = version;
      else max = version;
    }
    if (max === undefined) fail(`${name}: no max=VERSION (every vulnerable range needs its highest vulnerable version)`);
    const range: VulnerableRange = min === undefined ? { max: max as SoftwareVersion } : { min, max: max as SoftwareVersion };
    const list = table.get(name);
    if (list) list.push(range);
    else table.set(name, [range]);
  }
  return table;
}
