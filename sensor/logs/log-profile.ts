// Column profiles: which declared columns a log file carries, in which order.
// - `zeek`: today's Zeek default columns (every non-policy column, in declaration order), as in Zeek's baselines.
// - `elsa`: the Bro 2.1-era column sets ELSA's patterndb parses (each log lists them, citing ELSA's patterndb.xml).
// `elsa` is the default: the sensor's logs are shipped to ELSA, whose parsers silently mis-slot today's columns.

import { Column, LogSchema, ProfileName } from './log-schema';

export const PROFILE_NAMES: readonly ProfileName[] = ['elsa', 'zeek'];
export const DEFAULT_PROFILE: ProfileName = 'elsa';

export function isProfileName(s: string): s is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(s);
}

/**
 * The columns `profile` writes for `schema`; a log without its own list for a profile falls back to `zeek`, which
 * also carries the policy columns named in `policyColumns` (as loading Zeek's policy script that adds them would), in
 * declaration order.
 */
export function profileColumns<R>(schema: LogSchema<R>, profile: ProfileName, policyColumns?: ReadonlySet<string>): readonly Column<R>[] {
  const names = schema.profiles[profile];
  if (!names) return schema.columns.filter((c) => !c.policy || policyColumns?.has(c.name) === true);
  const byName = new Map(schema.columns.map((c) => [c.name, c] as const));
  // defineLog() already checked every name exists.
  return names.map((n) => byName.get(n) as Column<R>);
}
