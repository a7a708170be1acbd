// Reads everything in an nsm home, collecting every diagnostic instead of stopping at the first: node.cfg,
// networks.cfg (the sensor's own reader), the control file (nsmctl.cfg / broctl.cfg / zeekctl.cfg) and the
// agent's rsyslog configs. Used by `nsm check --home` and `nsm ctl`.

import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig, Diagnostic } from '../../agent/config/agent-config';
import { loadAgentConfig } from '../../agent/config/config-loader';
import { DiagnosticList } from '../../agent/config/diagnostic-list';
import { LocalNetworks, NetworksConfigError } from '../../sensor/flows/local-networks';
import { readCtlConfig } from './ctl-config-reader';
import { CtlConfig, resolveCtlConfig } from './ctl-config-resolve';
import { parseEnvVars } from './env-vars';
import { homePaths, HomePaths } from './nsm-home';
import { checkNodeHosts, HostLookup } from './node-hosts';
import { NodeConfig, readNodeConfig } from './node-config';

export interface LoadedHome {
  paths: HomePaths;
  nodes: NodeConfig;
  ctl: CtlConfig;
  networks?: LocalNetworks;
  /** Undefined when the home has no etc/rsyslog.d. */
  agent?: AgentConfig;
  /** Every problem found, file by file in the order read. */
  diagnostics: Diagnostic[];
}

export interface LoadHomeOptions {
  version: string;
  /** Check node hosts (DNS lookups; default true). */
  checkHosts?: boolean;
  lookup?: HostLookup;
  localAddresses?: string[];
  /** Also read the agent's rsyslog configs (default true). */
  checkAgent?: boolean;
}

function readText(file: string, diags: DiagnosticList): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    diags.error({ file, line: 0 }, code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? String(err)}`);
    return undefined;
  }
}

export async function loadHome(home: string, opts: LoadHomeOptions): Promise<LoadedHome> {
  const paths = homePaths(home);
  const diags = new DiagnosticList();
  if (!fs.existsSync(paths.etc)) {
    diags.error({ file: paths.etc, line: 0 }, `no such directory: is ${home} an nsm home? (--home DIR or NSM_HOME)`);
    const ctl = resolveCtlConfig(undefined, { home, version: opts.version, nodeCount: 0 }, new DiagnosticList());
    return { paths, nodes: { file: paths.nodeCfg, nodes: [] }, ctl, diagnostics: diags.items };
  }

  const nodeText = readText(paths.nodeCfg, diags);
  const nodes = nodeText !== undefined ? readNodeConfig(nodeText, paths.nodeCfg, diags) : { file: paths.nodeCfg, nodes: [] };
  if (nodeText !== undefined && opts.checkHosts !== false) await checkNodeHosts(nodes, diags, opts.lookup, opts.localAddresses);

  for (const shadowed of paths.shadowedCtlCfgs) {
    diags.warning({ file: shadowed, line: 0 }, `not read: ${path.basename(paths.ctlCfg!)} is read instead (the first of nsmctl.cfg, broctl.cfg, zeekctl.cfg that exists)`);
  }
  const ctlText = paths.ctlCfg !== undefined ? readText(paths.ctlCfg, diags) : undefined;
  const ctlFile = ctlText !== undefined ? readCtlConfig(ctlText, paths.ctlCfg!, diags) : undefined;
  const ctl = resolveCtlConfig(ctlFile, {
    home,
    version: opts.version,
    nodeCount: nodes.nodes.length,
    defaultFile: path.join(paths.etc, 'nsmctl.cfg'),
  }, diags);

  // As broctl: Env_Vars of the control file apply to every node; a node's own env_vars win.
  const globalEnv = parseEnvVars(String(ctl.values.get('env_vars') ?? ''));
  if (typeof globalEnv !== 'string') {
    for (const n of nodes.nodes) for (const [k, v] of globalEnv) if (!n.envVars.has(k)) n.envVars.set(k, v);
  }

  let networks: LocalNetworks | undefined;
  const privateIsLocal = ctl.values.get('privateaddressspaceislocal') === true;
  if (fs.existsSync(paths.networksCfg)) {
    const text = readText(paths.networksCfg, diags);
    if (text !== undefined) {
      try {
        networks = LocalNetworks.parse(text, paths.networksCfg, { includePrivateAddressSpace: privateIsLocal });
      } catch (err) {
        if (!(err instanceof NetworksConfigError)) throw err;
        const m = /^(.*):(\d+): (.*)$/s.exec(err.message);
        if (m) diags.error({ file: m[1], line: Number(m[2]) }, m[3]);
        else diags.error({ file: paths.networksCfg, line: 0 }, err.message);
      }
    }
  } else {
    networks = privateIsLocal ? LocalNetworks.zeekDefault() : LocalNetworks.empty();
  }

  let agent: AgentConfig | undefined;
  if (opts.checkAgent !== false && fs.existsSync(paths.rsyslogDir)) {
    agent = loadAgentConfig({
      dir: paths.rsyslogDir,
      defaultWorkDirectory: path.join(String(ctl.values.get('spooldir')), 'agent'),
      checkWorkDirectory: true,
    });
  }
  // File by file (node.cfg, the control files, networks.cfg, then the agent's in its own order), then by line.
  const order = [paths.etc, paths.nodeCfg, ...paths.shadowedCtlCfgs, paths.ctlCfg ?? '', paths.networksCfg];
  const rank = (file: string) => (order.includes(file) ? order.indexOf(file) : order.length);
  const own = [...diags.items].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line);
  return { paths, nodes, ctl, networks, agent, diagnostics: [...own, ...(agent?.diagnostics ?? [])] };
}
