// V8 heap settings the agent gives itself at run time, for a foreground agent started without any (a daemon gets
// its settings on node's command line, see agent-command.ts). V8 accepts a cap on the young generation only at
// start, but reads the young generation's growth factor and the old generation's growing percentage whenever it
// resizes: a foreground agent with node's defaults peaked at 110-120 MB, with these at 69-71 MB for one 1 M-line
// file and about 75 MB for 100 files, at about the same CPU per line (measured with the bench/agent harness).

import * as v8 from 'v8';
import { givenNodeFlags, setsAnyFlag } from './node-flags';

/** The young generation keeps its initial 1 MiB semi-spaces (V8 would grow them to 16 MiB under the agent's load). */
export const AGENT_RUNTIME_SEMI_SPACE_GROWTH = '--semi-space-growth-factor=1';
/** The old generation may grow by 20 % of what was live after a full collection before the next one. */
export const AGENT_RUNTIME_HEAP_GROWING = '--heap-growing-percent=20';

/**
 * Sets what the user did not: no young-generation growth unless a semi-space size or growth factor is given, and the
 * old generation's growing percentage unless one, or an old-generation limit, is given. Returns the flags set.
 */
export function applyAgentRuntimeHeapFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  setFlags: (flags: string) => void = v8.setFlagsFromString,
): string[] {
  const given = givenNodeFlags(execArgv, nodeOptions);
  const has = (...flags: string[]): boolean => setsAnyFlag(given, ...flags);
  const set: string[] = [];
  if (!has('--max-semi-space-size', '--semi-space-growth-factor', '--min-semi-space-size')) set.push(AGENT_RUNTIME_SEMI_SPACE_GROWTH);
  if (!has('--heap-growing-percent', '--max-old-space-size')) set.push(AGENT_RUNTIME_HEAP_GROWING);
  for (const flag of set) setFlags(flag);
  return set;
}
