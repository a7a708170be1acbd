// Syslog facility and severity names as rsyslog spells them, to the numbers that go into PRI.
// Shared by `$InputFileFacility`, `input(Facility=)`, and selectors such as `local7.info`.

import type { Facility, Severity } from './agent-config';

const FACILITY_NUMBERS: ReadonlyMap<string, Facility> = new Map([
  ['kern', 0], ['user', 1], ['mail', 2], ['daemon', 3], ['auth', 4], ['security', 4], ['syslog', 5],
  ['lpr', 6], ['news', 7], ['uucp', 8], ['cron', 9], ['authpriv', 10], ['ftp', 11], ['ntp', 12],
  ['audit', 13], ['alert', 14], ['clock', 15],
  ['local0', 16], ['local1', 17], ['local2', 18], ['local3', 19],
  ['local4', 20], ['local5', 21], ['local6', 22], ['local7', 23],
]);

// `panic`, `error` and `warn` are the deprecated aliases rsyslog still accepts.
const SEVERITY_NUMBERS: ReadonlyMap<string, Severity> = new Map([
  ['emerg', 0], ['panic', 0], ['alert', 1], ['crit', 2], ['err', 3], ['error', 3],
  ['warning', 4], ['warn', 4], ['notice', 5], ['info', 6], ['debug', 7],
]);

const FACILITY_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, n] of FACILITY_NUMBERS) if (names[n] === undefined) names[n] = name;
  return names;
})();
const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** Facility from a name (case-insensitive) or a number 0..23; undefined when neither. */
export function parseFacility(text: string): Facility | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d{1,2}$/.test(t)) {
    const n = Number(t);
    return n <= 23 ? n : undefined;
  }
  return FACILITY_NUMBERS.get(t);
}

/** Severity from a name (case-insensitive, aliases included) or a number 0..7; undefined when neither. */
export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d$/.test(t)) {
    const n = Number(t);
    return n <= 7 ? n : undefined;
  }
  return SEVERITY_NUMBERS.get(t);
}

export function facilityName(facility: Facility): string {
  return FACILITY_NAMES[facility] ?? String(facility);
}

export function severityName(severity: Severity): string {
  return SEVERITY_NAMES[severity] ?? String(severity);
}

export const FACILITY_NAME_LIST: readonly string[] = [...FACILITY_NUMBERS.keys()];
export const SEVERITY_NAME_LIST: readonly string[] = [...SEVERITY_NUMBERS.keys()];
