// Turns what the config says into the rule program the file server runs (agent/filter/rule-program.ts): selectors
// become PRI filters, and a config without a program (built by hand) gets one from its actions' selectors.

import type { AgentConfig, ForwardAction, SyslogSelector } from './agent-config';
import type { PriorityFilter } from '../filter/message-filter';
import type { RuleStatement } from '../filter/rule-program';
import { formatSelectorList, selectorMatches } from './syslog-selector';

const FACILITIES = 24;
const SEVERITIES = 8;

/** A selector list as the PRI filter it is: which severities of which facilities it lets through. */
export function priorityFilter(selectors: readonly SyslogSelector[]): PriorityFilter {
  const severities: number[] = [];
  for (let f = 0; f < FACILITIES; f++) {
    let bits = 0;
    for (let s = 0; s < SEVERITIES; s++) if (selectorMatches(selectors, f, s)) bits |= 1 << s;
    severities.push(bits);
  }
  return { kind: 'priority', severities, text: formatSelectorList(selectors) };
}

/** True when the selector lets every message through (`*.*`): no filter is needed. */
export function matchesEverything(filter: PriorityFilter): boolean {
  return filter.severities.every((bits) => bits === (1 << SEVERITIES) - 1);
}

/** `if SELECTOR then ACTION` (or the bare action for `*.*`). */
export function selectorRule(action: ForwardAction, index: number): RuleStatement {
  const statement: RuleStatement = { kind: 'action', action: index, where: action.where };
  const filter = priorityFilter(action.selector);
  if (matchesEverything(filter)) return statement;
  return { kind: 'if', condition: filter, then: [statement], else: [], where: action.where };
}

/** The program to run: the config's own, or each action under its selector, in order. */
export function effectiveRules(config: AgentConfig): RuleStatement[] {
  return config.rules ?? config.actions.map(selectorRule);
}
