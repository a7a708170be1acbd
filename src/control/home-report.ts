// What `nsm check --home` prints: every diagnostic as `FILE:LINE: error|warning: message`, then a summary of
// each file read.

import * as fs from 'fs';
import * as path from 'path';
import { countDiagnostics, formatDiagnostic } from '../../agent/config/diagnostic-list';
import type { LoadedHome } from './load-home';
import { nodeType } from './node-config';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function renderHomeCheck(h: LoadedHome): { lines: string[]; errors: number } {
  const lines = h.diagnostics.map(formatDiagnostic);
  const { errors, warnings } = countDiagnostics(h.diagnostics);
  lines.push(`nsm check: home ${h.paths.home}: ${plural(errors, 'error', 'errors')}, ${plural(warnings, 'warning', 'warnings')}`);
  const nodes = h.nodes.nodes.map((n) => {
    const iface = n.settings.get('interface') ?? '';
    return `${n.name} (${nodeType(n)}${iface !== '' ? ` on ${iface}` : ''})`;
  });
  lines.push(`  node.cfg: ${plural(h.nodes.nodes.length, 'node', 'nodes')}${nodes.length > 0 ? `: ${nodes.join(', ')}` : ''}`);
  const ctlName = h.ctl.file !== undefined ? path.basename(h.ctl.file) : 'nsmctl.cfg';
  lines.push(h.ctl.file !== undefined ? `  ${ctlName}: read (nsm ctl config prints every option)` : `  ${ctlName}: absent, broctl's defaults apply`);
  if (h.networks !== undefined) {
    const privateToo = h.ctl.values.get('privateaddressspaceislocal') === true;
    const absent = !fs.existsSync(h.paths.networksCfg) ? 'absent, ' : '';
    lines.push(`  networks.cfg: ${absent}${plural(h.networks.size, 'local network', 'local networks')}${privateToo ? ' (the private address space included)' : ''}`);
  }
  if (h.agent !== undefined) {
    lines.push(`  rsyslog.d: ${plural(h.agent.files.length, 'file', 'files')} monitored, ${plural(h.agent.actions.length, 'action', 'actions')} (nsm check -d ${h.paths.rsyslogDir} for details)`);
  } else {
    lines.push(`  rsyslog.d: absent (no agent config in ${h.paths.rsyslogDir})`);
  }
  return { lines, errors };
}
