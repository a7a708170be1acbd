// The protocol analyzers nsm ships, all on by default (as Zeek loads every base protocol script): `nsm sensor` builds
// its registry from this list, minus the ones `--disable-analyzer NAME` names.

import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../flows/likely-server-ports';
import { dnsAnalyzer } from './dns/dns-analyzer';
import { httpAnalyzer } from './http/http-analyzer';
import { Analyzer, AnalyzerRegistry } from './registry';

export const SHIPPED_ANALYZERS: readonly Analyzer[] = [dnsAnalyzer, httpAnalyzer];

/** An analyzer name `--disable-analyzer` does not know. */
export class UnknownAnalyzerError extends Error {}

/** The shipped analyzer called `name` (Zeek's analyzer names, any case), or undefined. */
export function findShippedAnalyzer(name: string, shipped: readonly Analyzer[] = SHIPPED_ANALYZERS): Analyzer | undefined {
  const wanted = name.toLowerCase();
  return shipped.find((a) => a.name.toLowerCase() === wanted);
}

/**
 * A registry with every shipped analyzer except `disabled` (names in any case), seeded with Zeek's default likely
 * server ports so role flipping matches Zeek's whatever is disabled. An unknown name throws UnknownAnalyzerError.
 */
export function shippedRegistry(disabled: readonly string[] = [], shipped: readonly Analyzer[] = SHIPPED_ANALYZERS): AnalyzerRegistry {
  const off = new Set<Analyzer>();
  for (const name of disabled) {
    const analyzer = findShippedAnalyzer(name, shipped);
    if (analyzer === undefined) {
      const known = shipped.map((a) => a.name).join(', ') || 'none';
      throw new UnknownAnalyzerError(`unknown analyzer ${name} (shipped: ${known})`);
    }
    off.add(analyzer);
  }
  const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
  for (const analyzer of shipped) if (!off.has(analyzer)) registry.register(analyzer);
  return registry;
}

/** `nsm sensor --list-analyzers`: one line per shipped analyzer: name, ports, content detection, description. */
export function formatAnalyzerList(shipped: readonly Analyzer[] = SHIPPED_ANALYZERS): string {
  return shipped.map((a) => {
    const ports = a.ports.map((p) => `${p.port}/${p.proto}`).join(',') || '-';
    const detect = [...new Set((a.detect ?? []).map((m) => m.proto))].join(',') || '-';
    return `${a.name}\tports ${ports}\tcontent ${detect}\t${a.description ?? ''}`;
  }).join('\n') + (shipped.length > 0 ? '\n' : '');
}
