// V8 heap sizing for `nsm sensor`. Under a flood the sensor holds up to --max-connections live connections, each
// promoted to V8's old generation and dropped there when it ends; by default V8 lets the old generation grow to up to
// four times what was live after the last full collection before it collects again, so peak RSS was several times the
// live heap (2 M SYNs: 816 MB of RSS for about 120 MB live). A smaller growing factor collects sooner.

import * as v8 from 'v8';
import { givenNodeFlags, setsAnyFlag } from './node-flags';

/**
 * The old generation may grow by this percentage of what was live after a full collection before the next one (V8's
 * --heap-growing-percent; V8 picks 10 to 300 % itself). Measured on 2,000,000 SYNs at the defaults: see README.
 */
export const SENSOR_HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * Sets the sensor's heap growing factor for this process, unless node's command line or NODE_OPTIONS names one (that
 * wins). V8 reads it at every full collection, so setting it at run time takes effect from the next one. Returns the
 * flag set, or undefined when the user's is kept.
 */
export function applySensorHeapFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  setFlags: (flags: string) => void = v8.setFlagsFromString,
): string | undefined {
  if (setsAnyFlag(givenNodeFlags(execArgv, nodeOptions), FLAG)) return undefined;
  const flag = `${FLAG}=${SENSOR_HEAP_GROWING_PERCENT}`;
  setFlags(flag);
  return flag;
}
