// rsyslog's default ruleset as nsm runs it: statements in config order (`if` with then/else, an action, `stop`), and
// per monitored file the routing it implies: which forward actions each line reaches. rsyslog runs every statement
// top to bottom for each message; `stop` ends the message's processing, so actions after it never see it.

import {
  describeFilter, evaluateFilter, FileMessageContext, fileMessageContext, FilterExpression, specializeFilter,
} from './message-filter';

export interface RuleLocation {
  file: string;
  line: number;
}

export type RuleStatement =
  /** Send the message to `config.actions[action]`. */
  | { kind: 'action'; action: number; where: RuleLocation }
  | { kind: 'stop'; where: RuleLocation }
  | { kind: 'if'; condition: FilterExpression; then: RuleStatement[]; else: RuleStatement[]; where: RuleLocation };

/** The file properties routing depends on (a MonitoredFile has them all). */
export interface RoutedFile {
  tag: string;
  facility: number;
  severity: number;
}

/** How one file's lines are routed. */
export interface FileRouting {
  /** Every action some line of the file can reach, ascending. */
  readonly actions: readonly number[];
  /**
   * Undefined when every line reaches exactly `actions` (no filter left that reads the line): the hot path then
   * does no per-line work. Otherwise the actions one line reaches, a subset of `actions`, ascending.
   */
  readonly perLine?: (line: Buffer) => readonly number[];
  /** The program with everything fixed for this file folded away: what `nsm check` shows. */
  readonly program: RuleStatement[];
}

/** The program with conditions that do not depend on the line evaluated, and unreachable statements removed. */
export function specializeProgram(rules: readonly RuleStatement[], ctx: FileMessageContext): RuleStatement[] {
  const out: RuleStatement[] = [];
  for (const s of rules) {
    if (s.kind !== 'if') {
      out.push(s);
      if (s.kind === 'stop') return out; // nothing after an unconditional stop runs
      continue;
    }
    const condition = specializeFilter(s.condition, ctx);
    if (condition.kind === 'constant') {
      const branch = specializeProgram(condition.value ? s.then : s.else, ctx);
      out.push(...branch);
      if (branch.length > 0 && branch[branch.length - 1].kind === 'stop') return out;
      continue;
    }
    out.push({ ...s, condition, then: specializeProgram(s.then, ctx), else: specializeProgram(s.else, ctx) });
  }
  return out;
}

/** Runs the program for one line, adding the actions it reaches to `reached` (once each); false once a `stop` ran. */
function run(rules: readonly RuleStatement[], ctx: FileMessageContext, line: Buffer, reached: number[]): boolean {
  for (const s of rules) {
    // A plain array: a file reaches a handful of actions, and this runs once per line.
    if (s.kind === 'action') {
      if (!reached.includes(s.action)) reached.push(s.action);
    }
    else if (s.kind === 'stop') return false;
    else if (!run(evaluateFilter(s.condition, ctx, line) ? s.then : s.else, ctx, line, reached)) return false;
  }
  return true;
}

function collectActions(rules: readonly RuleStatement[], into: Set<number>): void {
  for (const s of rules) {
    if (s.kind === 'action') into.add(s.action);
    else if (s.kind === 'if') {
      collectActions(s.then, into);
      collectActions(s.else, into);
    }
  }
}

function hasCondition(rules: readonly RuleStatement[]): boolean {
  return rules.some((s) => s.kind === 'if');
}

/**
 * What rsyslog's filters see of a line: imfile makes the message from at most $MaxMessageSize bytes of it, so a
 * filter never sees what lies beyond (measured: `contains` misses a word at byte 8097 of a long line).
 */
function filteredPart(line: Buffer, maxMessageSize: number | undefined): Buffer {
  return maxMessageSize !== undefined && line.length > maxMessageSize ? line.subarray(0, maxMessageSize) : line;
}

/** The actions one line of `file` reaches under `rules`, ascending (for tests and for the router below). */
export function actionsForLine(rules: readonly RuleStatement[], file: RoutedFile, line: Buffer, maxMessageSize?: number): number[] {
  const reached: number[] = [];
  run(rules, fileMessageContext(file.tag, file.facility, file.severity), filteredPart(line, maxMessageSize), reached);
  return reached.sort((a, b) => a - b);
}

/** Compiles the routing of one file; `maxMessageSize` is the config's $MaxMessageSize. */
export function routeFile(rules: readonly RuleStatement[], file: RoutedFile, maxMessageSize?: number): FileRouting {
  const ctx = fileMessageContext(file.tag, file.facility, file.severity);
  const program = specializeProgram(rules, ctx);
  const all = new Set<number>();
  collectActions(program, all);
  const actions = [...all].sort((a, b) => a - b);
  if (!hasCondition(program)) return { actions, program };
  const perLine = (line: Buffer): readonly number[] => {
    const reached: number[] = [];
    run(program, ctx, filteredPart(line, maxMessageSize), reached);
    return reached.length === actions.length ? actions : reached.sort((a, b) => a - b);
  };
  return { actions, perLine, program };
}

/** The program as indented text, one statement per line; `actionName` names an action by its index. */
export function describeProgram(rules: readonly RuleStatement[], actionName: (index: number) => string, indent = ''): string[] {
  const out: string[] = [];
  for (const s of rules) {
    const at = `(${s.where.file}:${s.where.line})`;
    if (s.kind === 'action') out.push(`${indent}-> ${actionName(s.action)}  ${at}`);
    else if (s.kind === 'stop') out.push(`${indent}stop  ${at}`);
    else {
      out.push(`${indent}if ${describeFilter(s.condition)} then  ${at}`);
      out.push(...describeProgram(s.then, actionName, `${indent}  `));
      if (s.else.length > 0) {
        out.push(`${indent}else`);
        out.push(...describeProgram(s.else, actionName, `${indent}  `));
      }
    }
  }
  return out;
}
