// broctl's node.cfg: one INI section per node (section name = node name), the node keys broctl knows, and the
// consistency rules broctl enforces (ZeekControl/config.py), each reported as `file:line: what is wrong` at the
// offending key or section instead of stopping at the first. A worker with lb_procs=N becomes N nodes NAME-1..N,
// as in broctl. Host names are checked separately (node-hosts.ts: it needs DNS).

import { DiagnosticList } from '../../agent/config/diagnostic-list';
import { parsePythonInt } from './ctl-config-reader';
import { formatEnvVars, parseEnvVars } from './env-vars';
import { readIni, IniSection } from './ini-reader';

export const NODE_TYPES = ['logger', 'manager', 'proxy', 'worker', 'standalone'] as const;
/** broctl's order when listing nodes. */
const TYPE_ORDER = ['standalone', 'logger', 'manager', 'proxy', 'worker'];
export const LB_METHODS = ['af_packet', 'pf_ring', 'myricom', 'custom', 'interfaces'] as const;

/** Keys nsm acts on. */
const USED_KEYS = ['type', 'host', 'interface', 'lb_method', 'lb_procs', 'lb_interfaces', 'pin_cpus', 'env_vars'];
/** Keys broctl (and its bundled af_packet plugin) knows that nsm accepts and ignores. */
const IGNORED_KEYS = [
  'aux_scripts', 'zeekbase', 'ether', 'zone_id', 'count',
  ...['block_size', 'block_timeout', 'buffer_size', 'checksum_validation_mode', 'enable_defrag', 'enable_fanout',
    'enable_hw_timestamping', 'fanout_id', 'fanout_mode', 'link_type'].map((k) => `af_packet_${k}`),
];
/** Every key a node has (unset ones are empty), as broctl lists them. */
export const NODE_KEYS = [...USED_KEYS, ...IGNORED_KEYS.filter((k) => k !== 'count')];

export interface NodeSpec {
  name: string;
  /** Line of the node's section header. */
  line: number;
  /** Every key in NODE_KEYS, '' when unset; pin_cpus holds this process's one CPU after lb_procs expansion. */
  settings: Map<string, string>;
  /** Where each key was set (key as broctl stores it: lower-case, `.` as `_`). */
  keyLines: Map<string, number>;
  envVars: Map<string, string>;
  /** 1-based number of the node within its type, as broctl counts. */
  count: number;
  /** The host's address once resolved (node-hosts.ts). */
  addr?: string;
}

export interface NodeConfig {
  file: string;
  nodes: NodeSpec[];
}

export function nodeType(n: NodeSpec): string {
  return n.settings.get('type') ?? '';
}

/** Reads node.cfg text; every problem goes to diags. Nodes with errors are left out of the result. */
export function readNodeConfig(text: string, file: string, diags: DiagnosticList): NodeConfig {
  const ini = readIni(text, file, diags, { knownKeys: NODE_KEYS });
  const nodes: NodeSpec[] = [];
  const counts = new Map<string, number>();
  const names = new Map<string, NodeSpec>();
  for (const section of ini.sections) {
    for (const node of readNode(section, file, diags, counts)) {
      const clash = names.get(node.name.toLowerCase());
      if (clash) {
        diags.error({ file, line: node.line }, `node name "${node.name}" is a duplicate of "${clash.name}" (line ${clash.line})`);
        continue;
      }
      names.set(node.name.toLowerCase(), node);
      nodes.push(node);
    }
  }
  // The cluster rules look at every section's type, also of nodes that had other errors (reported already).
  const typed = ini.sections.map((sec) => {
    const t = sec.entries.find((e) => e.key === 'type');
    return { name: sec.name, type: t?.value ?? '', typeLine: t?.line ?? sec.line };
  });
  checkNodeSet(typed, file, diags);
  nodes.sort((a, b) => typeRank(a) - typeRank(b) || a.count - b.count);
  return { file, nodes };
}

function typeRank(n: NodeSpec): number {
  const i = TYPE_ORDER.indexOf(nodeType(n));
  return i < 0 ? TYPE_ORDER.length : i;
}

function readNode(section: IniSection, file: string, diags: DiagnosticList, counts: Map<string, number>): NodeSpec[] {
  const name = section.name;
  const settings = new Map<string, string>(NODE_KEYS.map((k) => [k, '']));
  const keyLines = new Map<string, number>();
  let ok = true;
  const error = (line: number, message: string) => {
    diags.error({ file, line }, message);
    ok = false;
  };
  for (const e of section.entries) {
    const key = e.key.replace(/\./g, '_');
    if (USED_KEYS.includes(key) || IGNORED_KEYS.includes(key)) {
      settings.set(key, e.value);
      keyLines.set(key, e.line);
      if (IGNORED_KEYS.includes(key)) diags.warning({ file, line: e.line }, `${key}: broctl node option nsm does not use: ignored (node '${name}')`);
    } else {
      error(e.line, `unrecognized node config option '${key}' given for node '${name}'`);
    }
  }
  const at = (key: string) => keyLines.get(key) ?? section.line;
  const get = (key: string) => settings.get(key) ?? '';
  const type = get('type');
  if (type === '') error(section.line, `no type given for node ${name}`);
  else if (!(NODE_TYPES as readonly string[]).includes(type)) error(at('type'), `unknown node type '${type}' given for node '${name}' (standalone, manager, proxy, worker or logger)`);
  if (get('host') === '') error(section.line, `no host given for node '${name}'`);

  let envVars = new Map<string, string>();
  const parsedEnv = parseEnvVars(get('env_vars'));
  if (typeof parsedEnv === 'string') error(at('env_vars'), `node '${name}' config: ${parsedEnv}`);
  else envVars = parsedEnv;

  let procs = 0;
  const lbProcs = get('lb_procs');
  const lbMethod = get('lb_method');
  if (lbProcs !== '') {
    const n = parsePythonInt(lbProcs.trim());
    if (type !== '' && type !== 'worker') error(at('lb_procs'), `node '${name}' config: load balancing node config options are only for worker nodes`);
    else if (n === undefined) error(at('lb_procs'), `number of load-balanced processes must be an integer for node '${name}': ${lbProcs}`);
    else if (n < 1) error(at('lb_procs'), `number of load-balanced processes must be greater than zero for node '${name}': ${lbProcs}`);
    else procs = n;
  } else if (lbMethod !== '') {
    error(at('lb_method'), `number of load-balanced processes not specified for node '${name}' (lb_method needs lb_procs)`);
  }

  let cpus: number[] = [];
  if (get('pin_cpus') !== '') {
    const list = get('pin_cpus').split(',').map((x) => parsePythonInt(x.trim()));
    if (list.some((c) => c === undefined || c < 0)) error(at('pin_cpus'), `pin cpus list must contain only non-negative integers for node '${name}': ${get('pin_cpus')}`);
    else cpus = list as number[];
  }

  let lbInterfaces: string[] = [];
  if (procs > 0) {
    if (lbMethod === '') error(at('lb_procs'), `no load balancing method given for node '${name}' (lb_method: ${LB_METHODS.join(', ')})`);
    else if (!(LB_METHODS as readonly string[]).includes(lbMethod)) error(at('lb_method'), `unknown load balancing method '${lbMethod}' given for node '${name}' (${LB_METHODS.join(', ')})`);
    else if (lbMethod === 'interfaces') {
      if (get('lb_interfaces') === '') error(at('lb_method'), `list of load-balanced interfaces not specified for node '${name}' (lb_method=interfaces needs lb_interfaces)`);
      else {
        lbInterfaces = get('lb_interfaces').split(',').map((s) => s.trim());
        if (lbInterfaces.length !== procs) {
          error(at('lb_interfaces'), `number of load-balanced interfaces (${lbInterfaces.length}) is not same as number of load-balanced processes (${procs}) for node '${name}'`);
        }
      }
    }
  }
  if ((type === 'worker' || type === 'standalone') && get('interface') === '' && lbInterfaces.length === 0) {
    error(section.line, `no interface given for ${type} node '${name}' (the sensor captures on it)`);
  }
  if (!ok) return [];

  const make = (nodeName: string, cpu: number | undefined, iface: string | undefined): NodeSpec => {
    const count = (counts.get(type) ?? 0) + 1;
    counts.set(type, count);
    const s = new Map(settings);
    if (cpu !== undefined) s.set('pin_cpus', String(cpu));
    if (iface !== undefined) s.set('interface', iface);
    return { name: nodeName, line: section.line, settings: s, keyLines, envVars: new Map(envVars), count };
  };
  if (procs === 0) return [make(name, cpus[0], undefined)];
  // As broctl: NAME-1..NAME-N, CPUs reused round-robin, lb_interfaces handed out from the end of the list.
  const remaining = [...lbInterfaces];
  const out: NodeSpec[] = [];
  for (let i = 0; i < procs; i++) {
    out.push(make(`${name}-${i + 1}`, cpus.length > 0 ? cpus[i % cpus.length] : undefined, lbMethod === 'interfaces' ? remaining.pop() : undefined));
  }
  return out;
}

/** broctl's cluster rules: one standalone node alone, or exactly one manager with at least one proxy. */
function checkNodeSet(typed: Array<{ name: string; type: string; typeLine: number }>, file: string, diags: DiagnosticList): void {
  if (typed.length === 0) {
    diags.error({ file, line: 0 }, 'no nodes found in node config');
    return;
  }
  // A node without a valid type is reported already; which layout was meant cannot be told.
  if (typed.some((n) => !(NODE_TYPES as readonly string[]).includes(n.type))) return;
  const standalone = typed.find((n) => n.type === 'standalone');
  if (standalone) {
    if (typed.length > 1) diags.error({ file, line: standalone.typeLine }, `more than one node defined in standalone node config (node '${standalone.name}' is standalone: it must be the only node)`);
    return;
  }
  const managers = typed.filter((n) => n.type === 'manager');
  for (const extra of managers.slice(1)) diags.error({ file, line: extra.typeLine }, `only one manager can be defined in node config (also '${managers[0].name}')`);
  if (managers.length === 0) diags.error({ file, line: 0 }, 'no manager defined in node config');
  else if (!typed.some((n) => n.type === 'proxy')) diags.error({ file, line: 0 }, 'no proxy defined in node config');
}

/** broctl's `nodes` line: the name right-aligned, then every key=value sorted by key. */
export function describeNode(n: NodeSpec): string {
  const fields = new Map<string, string>(n.settings);
  fields.set('env_vars', formatEnvVars(n.envVars));
  fields.set('count', String(n.count));
  fields.set('name', n.name);
  fields.set('addr', n.addr ?? '');
  return `${n.name.padStart(16)} - ` + [...fields.keys()].sort().map((k) => `${k}=${fields.get(k)}`).join(' ');
}
