// rsyslog/sysklogd selectors (`local7.*`, `*.info;mail.none`, `mail,local7.=info`, `local7.!info`):
// parsing the text, and deciding whether a message's facility and severity match, left to right as rsyslog does.

import type { Facility, Severity, SyslogSelector } from './agent-config';
import { facilityName, parseFacility, parseSeverity, severityName } from './syslog-names';

export type SelectorParseResult = { selectors: SyslogSelector[] } | { error: string };

/** Parses a selector list; the error names the part that is wrong. */
export function parseSelectorList(text: string): SelectorParseResult {
  const selectors: SyslogSelector[] = [];
  for (const part of text.split(';')) {
    const dot = part.lastIndexOf('.');
    if (dot <= 0 || dot === part.length - 1) {
      return { error: `selector '${part}' must be FACILITY.SEVERITY (e.g. local7.info or *.*)` };
    }
    const facilityText = part.slice(0, dot);
    let severityText = part.slice(dot + 1);
    let comparison: SyslogSelector['comparison'] = 'at-or-above';
    if (severityText.startsWith('!=')) {
      comparison = 'not-exact';
      severityText = severityText.slice(2);
    } else if (severityText.startsWith('!')) {
      comparison = 'not';
      severityText = severityText.slice(1);
    } else if (severityText.startsWith('=')) {
      comparison = 'exact';
      severityText = severityText.slice(1);
    }
    let severity: SyslogSelector['severity'];
    if (severityText === '*' || severityText.toLowerCase() === 'none') {
      if (comparison !== 'at-or-above') {
        return { error: `selector '${part}': '${severityText}' cannot take a '=' or '!' prefix` };
      }
      severity = severityText === '*' ? '*' : 'none';
    } else {
      const n = parseSeverity(severityText);
      if (n === undefined) return { error: `selector '${part}': unknown severity '${severityText}'` };
      severity = n;
    }
    for (const f of facilityText.split(',')) {
      let facility: SyslogSelector['facility'];
      if (f === '*') {
        facility = '*';
      } else {
        const n = parseFacility(f);
        if (n === undefined) return { error: `selector '${part}': unknown facility '${f}'` };
        facility = n;
      }
      selectors.push({ facility, severity, comparison });
    }
  }
  return { selectors };
}

/**
 * Whether a message matches the selector list. Each selector that names the message's facility (or `*`)
 * switches the match on or off in order, so `*.info;mail.none` takes everything at info or above except mail.
 */
export function selectorMatches(selectors: readonly SyslogSelector[], facility: Facility, severity: Severity): boolean {
  let matched = false;
  for (const s of selectors) {
    if (s.facility !== '*' && s.facility !== facility) continue;
    if (s.severity === '*') matched = true;
    else if (s.severity === 'none') matched = false;
    else if (s.comparison === 'at-or-above') matched = matched || severity <= s.severity;
    else if (s.comparison === 'exact') matched = matched || severity === s.severity;
    else if (s.comparison === 'not') matched = matched && severity > s.severity;
    else matched = matched && severity !== s.severity;
  }
  return matched;
}

const COMPARISON_PREFIX: Record<SyslogSelector['comparison'], string> = {
  'at-or-above': '', exact: '=', not: '!', 'not-exact': '!=',
};

/** Canonical text of a selector list, one facility per part (`local7.info;mail.none`). */
export function formatSelectorList(selectors: readonly SyslogSelector[]): string {
  return selectors
    .map((s) => {
      const f = s.facility === '*' ? '*' : facilityName(s.facility);
      const sev = typeof s.severity === 'number' ? severityName(s.severity) : s.severity;
      return `${f}.${COMPARISON_PREFIX[s.comparison]}${sev}`;
    })
    .join(';');
}
