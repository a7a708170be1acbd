// Order of arrival for numbered lines when repeats are allowed: a line sent again after a kill -9 arrives late by
// design, so order is judged on each line's first arrival.

import { parseNumbered } from './numbered-line-writer';

/** How many of `tag`'s lines first arrived after a higher-numbered line had: 0 means in order, repeats aside. */
export function firstArrivalOrderBreaks(messages: Buffer[], tag: string): number {
  const seen = new Set<number>();
  let last = -1;
  let breaks = 0;
  for (const m of messages) {
    const n = parseNumbered(m.toString('latin1'));
    if (!n || n.tag !== tag || seen.has(n.seq)) continue;
    seen.add(n.seq);
    if (n.seq < last) breaks++;
    last = Math.max(last, n.seq);
  }
  return breaks;
}
