// `nsm check -f FILE | -d DIR`: reads an rsyslog config as the agent would (like `rsyslogd -N1`), prints every
// diagnostic as `FILE:LINE: error|warning: message`, a summary and what would be monitored; exit 1 on errors.

import { Command } from 'commander';
import * as path from 'path';
import type { AgentConfig, ForwardAction } from '../../agent/config/agent-config';
import { loadAgentConfig } from '../../agent/config/config-loader';
import { effectiveRules } from '../../agent/config/routing-rules';
import { describeProgram, routeFile } from '../../agent/filter/rule-program';
import { countDiagnostics, formatDiagnostic } from '../../agent/config/diagnostic-list';
import { facilityName, severityName } from '../../agent/config/syslog-names';
import { formatSelectorList } from '../../agent/config/syslog-selector';
import { unsafeWorkDirectoryReason } from '../../agent/config/work-directory';
import { destinationName, effectiveTlsSettings } from '../../agent/transport/create-transport';
import { DEFAULT_RELP_WINDOW } from '../../agent/transport/relp-transport';
import { UserError } from '../core/user-error';
import { renderHomeCheck } from '../control/home-report';
import { loadHome } from '../control/load-home';
import { resolveHome } from '../control/nsm-home';

interface CheckOptions {
  home?: string;
  file?: string;
  dir?: string;
  workDirectory: string;
  workDirectoryCheck: boolean;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Left-aligned columns separated by two spaces. */
function formatTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

export function renderCheckReport(config: AgentConfig): string[] {
  const lines = config.diagnostics.map(formatDiagnostic);
  const { errors, warnings } = countDiagnostics(config.diagnostics);
  lines.push(
    `nsm check: ${plural(config.files.length, 'file', 'files')} monitored, ${plural(config.actions.length, 'action', 'actions')}, ` +
      `${plural(errors, 'error', 'errors')}, ${plural(warnings, 'warning', 'warnings')}`,
  );
  if (config.files.length > 0) {
    lines.push('');
    lines.push(...formatTable([
      ['FILE', 'TAG', 'FACILITY.SEVERITY', 'STATE FILE'],
      ...config.files.map((f) => [f.path, f.tag === '' ? '""' : f.tag, `${facilityName(f.facility)}.${severityName(f.severity)}`, f.stateFile]),
    ]));
  }
  if (config.actions.length > 0) {
    lines.push('');
    lines.push(...formatTable([
      ['SELECTOR', 'DESTINATION', 'FRAMING', 'TEMPLATE', 'SECURITY'],
      ...config.actions.map((a) => [
        formatSelectorList(a.selector),
        destinationName(a),
        a.protocol === 'udp' ? '-' : a.protocol === 'relp' ? `window ${a.relpWindow ?? DEFAULT_RELP_WINDOW}` : a.framing,
        a.template,
        describeSecurity(a),
      ]),
    ]));
  }
  if (config.files.length > 0) {
    lines.push('');
    lines.push(...describeRouting(config));
  }
  lines.push('');
  lines.push(`work directory ${config.workDirectory}, ${config.watchMode} mode, poll interval ${config.files[0]?.pollIntervalSeconds ?? '-'} s, max message size ${config.maxMessageSize}, hostname ${config.hostname}`);
  return lines;
}

/**
 * Which actions each file's lines reach and under which filters: the rule program with everything fixed for the file
 * (selectors, programname, syslogtag) folded away. Files that end up with the same program are listed together.
 */
function describeRouting(config: AgentConfig): string[] {
  const rules = effectiveRules(config);
  const groups = new Map<string, string[]>();
  for (const f of config.files) {
    const program = describeProgram(routeFile(rules, f).program, (i) => destinationName(config.actions[i]), '  ');
    const key = (program.length > 0 ? program : ['  (no action: its lines are read and dropped)']).join('\n');
    groups.set(key, [...(groups.get(key) ?? []), f.path]);
  }
  const out = ['ROUTING (in config order; -> sends the line, stop ends its processing)'];
  for (const [program, paths] of groups) {
    const which = paths.length === 1 ? paths[0] : paths.length === config.files.length ? `every monitored file (${paths.length})` : paths.join(', ');
    out.push(`${which}:`);
    out.push(program);
  }
  return out;
}

/** What protects the action's traffic: clear text, or TLS and how the collector is checked. */
function describeSecurity(a: ForwardAction): string {
  const tls = effectiveTlsSettings(a);
  if (!tls) return 'clear text';
  if (!tls.verifyPeer) return 'tls, collector not verified';
  const against = tls.caFile ? `CA ${tls.caFile}` : 'system CAs';
  if (tls.checkName === false) {
    // x509/certvalid: as rsyslog, any certificate the CA signed is accepted; permitted peers play no part.
    const ignored = tls.permittedPeers.length > 0 ? ` (permitted peers ${tls.permittedPeers.join(',')} not checked)` : '';
    return `tls, verified: ${against}, chain only, any name (x509/certvalid)${ignored}`;
  }
  const name = tls.permittedPeers.length > 0 ? `peers ${tls.permittedPeers.join(',')}` : 'host name';
  return `tls, verified: ${against}, ${name}`;
}

/** `nsm check --home DIR`: node.cfg, networks.cfg, the control file and etc/rsyslog.d of an nsm home. */
async function checkHome(home: string, version: string): Promise<void> {
  const report = renderHomeCheck(await loadHome(home, { version }));
  process.stdout.write(report.lines.join('\n') + '\n');
  if (report.errors > 0) process.exitCode = 1;
}

export function registerCheckCommand(program: Command, version = ''): void {
  program
    .command('check')
    .description('validate an rsyslog imfile/forwarding config without running it (like rsyslogd -N1), or a whole nsm home; exit 1 on errors')
    .option('--home <dir>', 'check the nsm home: etc/node.cfg, etc/networks.cfg, etc/nsmctl.cfg (or broctl.cfg/zeekctl.cfg), etc/rsyslog.d/*.conf (the default without -f/-d when NSM_HOME is set)')
    .option('-f, --file <file>', 'config file to check (rsyslog syntax; a *.json file is nsm\'s JSON config, schema conf.d/agent.schema.json)')
    .option('-d, --dir <dir>', 'directory whose *.conf files are checked together, in name order (like /etc/rsyslog.d)')
    .option('-w, --work-directory <dir>', 'work directory used when the config sets no $WorkDirectory', 'var/agent')
    .option('--no-work-directory-check', 'do not check that a configured $WorkDirectory exists and is writable')
    .addHelpText('after', '\nOutput: one `FILE:LINE: error|warning: message` line per problem, a summary line,\nthen the monitored files and forwarding actions (with --home: a line per file of the home).\nExit status: 0 without errors (warnings allowed), 1 with errors.')
    .action(async (opts: CheckOptions) => {
      const noConfig = opts.file === undefined && opts.dir === undefined;
      if (opts.home !== undefined && !noConfig) throw new UserError('nsm check: give either --home DIR or -f FILE / -d DIR');
      if (opts.home !== undefined || (noConfig && process.env.NSM_HOME !== undefined && process.env.NSM_HOME !== '')) {
        await checkHome(resolveHome(opts.home), version);
        return;
      }
      if ((opts.file === undefined) === (opts.dir === undefined)) {
        throw new UserError('nsm check: give exactly one of -f FILE or -d DIR (or --home DIR for a whole nsm home)');
      }
      const config = loadAgentConfig({
        file: opts.file,
        dir: opts.dir,
        defaultWorkDirectory: path.resolve(opts.workDirectory),
        checkWorkDirectory: opts.workDirectoryCheck,
      });
      const lines = renderCheckReport(config);
      // The agent refuses a work directory others can write to (the config loader reports a configured one; the
      // default, or -w, is checked here when it exists).
      const unsafe = opts.workDirectoryCheck ? unsafeWorkDirectoryReason(config.workDirectory) : undefined;
      const reported = unsafe !== undefined && config.diagnostics.some((d) => d.message === unsafe);
      if (unsafe !== undefined && !reported) lines.push(`nsm check: error: ${unsafe}`);
      process.stdout.write(lines.join('\n') + '\n');
      if (countDiagnostics(config.diagnostics).errors > 0 || (unsafe !== undefined && !reported)) process.exitCode = 1;
    });
}
