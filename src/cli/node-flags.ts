// Which node/V8 flags the user already gave this process (node's command line and NODE_OPTIONS): the sensor and the
// agent add their own heap settings only where the user's are absent.

/** The flags given on node's command line and in NODE_OPTIONS, V8's `_` spelling turned into `-`. */
export function givenNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  return [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a !== '').map((a) => a.replace(/_/g, '-'));
}

/** Whether `given` sets any of `flags` (`--max-old-space-size=64` sets `--max-old-space-size`). */
export function setsAnyFlag(given: readonly string[], ...flags: string[]): boolean {
  return given.some((a) => flags.some((f) => a.startsWith(f)));
}
