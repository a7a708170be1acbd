// The host checks broctl makes on node.cfg: every host resolves, the manager (or standalone node) is this
// machine, and when the manager is on localhost every node is. Each problem at the node's `host=` line.

import { promises as dns } from 'dns';
import * as os from 'os';
import { DiagnosticList } from '../../agent/config/diagnostic-list';
import { NodeConfig, nodeType } from './node-config';

export type HostLookup = (host: string) => Promise<string[]>;

const LOCALHOST_ADDRS = ['127.0.0.1', '::1'];

export async function lookupHost(host: string): Promise<string[]> {
  const found = await dns.lookup(host, { all: true });
  return found.map((a) => a.address);
}

/** This machine's addresses (zone ids removed), loopback included. */
export function localAddresses(): string[] {
  const addrs = new Set<string>(LOCALHOST_ADDRS);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) addrs.add(a.address.split('%')[0]);
  return [...addrs];
}

export async function checkNodeHosts(
  config: NodeConfig,
  diags: DiagnosticList,
  lookup: HostLookup = lookupHost,
  local: string[] = localAddresses(),
): Promise<void> {
  const at = (line: number) => ({ file: config.file, line });
  for (const n of config.nodes) {
    const host = n.settings.get('host') ?? '';
    const line = n.keyLines.get('host') ?? n.line;
    let addrs: string[];
    try {
      addrs = await lookup(host);
    } catch (err) {
      diags.error(at(line), `hostname lookup failed for '${host}' in node config [${(err as NodeJS.ErrnoException).code ?? String(err)}]`);
      continue;
    }
    if (addrs.length === 0) {
      diags.error(at(line), `hostname lookup failed for '${host}' in node config [no address]`);
      continue;
    }
    // As broctl: the first IPv4 address, else the first address.
    n.addr = (addrs.find((a) => !a.includes(':')) ?? addrs[0]).split('%')[0];
    const type = nodeType(n);
    if ((type === 'manager' || type === 'standalone') && !local.includes(n.addr)) {
      diags.error(at(line), `must run nsm on same machine as the ${type} node. The ${type} node has IP address ${n.addr} and this machine has IP addresses: ${local.join(', ')}`);
    } else if (!local.includes(n.addr)) {
      diags.warning(at(line), `node '${n.name}' is on ${host} (${n.addr}), not this machine: nsm runs every node here (remote nodes: not yet, issue 15)`);
    }
  }
  const manager = config.nodes.find((n) => nodeType(n) === 'manager');
  if (manager?.addr !== undefined && LOCALHOST_ADDRS.includes(manager.addr)) {
    for (const n of config.nodes) {
      if (n !== manager && n.addr !== undefined && !LOCALHOST_ADDRS.includes(n.addr)) {
        diags.error(at(n.keyLines.get('host') ?? n.line), `all nodes must use localhost/127.0.0.1/::1 when manager uses it (node '${n.name}' is on ${n.addr})`);
      }
    }
  }
}
