// broctl's commands as `nsm ctl` runs them, one line at a time (from the command line or the prompt). The ones
// built so far read the configuration (config, print, nodes, check); every other broctl command answers that it
// is not implemented yet, with a failure status: no silent stubs.

import { formatDiagnostic } from '../../agent/config/diagnostic-list';
import { formatConfig, formatValue } from './ctl-config-resolve';
import { optionForKey } from './ctl-options';
import { renderHomeCheck } from './home-report';
import type { LoadedHome } from './load-home';
import { describeNode } from './node-config';

export interface CtlOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface CtlSession {
  home: string;
  /** Reads the home (once per session). */
  load(): Promise<LoadedHome>;
  io: CtlOutput;
}

/** broctl's commands nsm does not have yet (issue 15 builds them). */
export const NOT_YET = [
  'capstats', 'cleanup', 'cron', 'deploy', 'df', 'diag', 'exec', 'install', 'netstats', 'peerstatus', 'process',
  'restart', 'scripts', 'start', 'status', 'stop', 'top',
];

export const HELP = [
  'nsm ctl: broctl\'s commands on the nsm home',
  '',
  '  check                 - check the configuration (as nsm check --home)',
  '  config                - print every option (defaults included) as key = value',
  '  exit                  - exit the prompt (also quit, end of input)',
  '  help                  - this list',
  '  nodes                 - print each node and its settings',
  '  print [<option>]      - print one option (all without a name) as key = value',
  '',
  `  not yet implemented: ${NOT_YET.join(', ')}`,
];

/** Runs one command line; true when it succeeded. `exit`/`quit` are the prompt's (ctl-prompt.ts). */
export async function runCtlCommand(line: string, s: CtlSession): Promise<boolean> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  const [cmd, ...args] = words;
  const noArgs = (): boolean => {
    if (args.length === 0) return true;
    s.io.err(`nsm ctl: the ${cmd} command does not take any arguments`);
    return false;
  };
  switch (cmd) {
    case 'help':
      HELP.forEach((l) => s.io.out(l));
      return true;
    case 'check': {
      if (!noArgs()) return false;
      const report = renderHomeCheck(await s.load());
      report.lines.forEach((l) => s.io.out(l));
      return report.errors === 0;
    }
    case 'config': {
      if (!noArgs()) return false;
      const h = await loadClean(s);
      if (!h) return false;
      formatConfig(h.ctl.values).forEach((l) => s.io.out(l));
      return true;
    }
    case 'print': {
      if (args.length > 1) {
        s.io.err('nsm ctl: usage: print [<option>]');
        return false;
      }
      const h = await loadClean(s);
      if (!h) return false;
      if (args.length === 0) {
        formatConfig(h.ctl.values).forEach((l) => s.io.out(l));
        return true;
      }
      const key = (optionForKey(args[0])?.name ?? args[0]).toLowerCase();
      const value = h.ctl.values.get(key);
      if (value === undefined) {
        s.io.err(`nsm ctl: print: no option named '${args[0]}' (config lists them all)`);
        return false;
      }
      s.io.out(`${key} = ${formatValue(value)}`);
      return true;
    }
    case 'nodes': {
      if (!noArgs()) return false;
      const h = await loadClean(s);
      if (!h) return false;
      h.nodes.nodes.forEach((n) => s.io.out(describeNode(n)));
      return true;
    }
    default:
      if (NOT_YET.includes(cmd)) s.io.err(`nsm ctl: ${cmd}: not yet implemented (issue 15)`);
      else s.io.err(`nsm ctl: unknown command '${cmd}' (help lists the commands)`);
      return false;
  }
}

/** The loaded home, or undefined after printing its errors (broctl refuses to work on a broken configuration). */
async function loadClean(s: CtlSession): Promise<LoadedHome | undefined> {
  const h = await s.load();
  const errors = h.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return h;
  errors.forEach((d) => s.io.err(formatDiagnostic(d)));
  s.io.err(`nsm ctl: the configuration in ${s.home} has errors (nsm check --home ${s.home} lists every problem)`);
  return undefined;
}
