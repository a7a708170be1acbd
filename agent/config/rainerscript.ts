// RainerScript objects: `module(load="imfile" ...)`, `input(type="imfile" ...)`, `action(type="omfwd"|"omrelp" ...)`,
// `global(...)` and `include(...)`. Parameter names are case-insensitive; every unknown name is reported.

import type { ForwardAction, SourceLocation, SyslogSelector, TcpFraming } from './agent-config';
import type { ActionTlsRequest, ConfigBuilder } from './config-builder';
import { parseBinary, parseNonNegativeInteger, parsePort, parseSize } from './config-values';
import { DEFAULT_SYSLOG_PORT, defaultForwardTemplate, MAX_RELP_WINDOW, parseForwardTemplate } from './forward-target';
import type { IncludeHandler } from './legacy-directives';
import { moduleBaseName } from './legacy-directives';
import type { ObjectParam, ObjectStatement } from './statement-scanner';
import { parseFacility, parseSeverity } from './syslog-names';

export const ALL_MESSAGES: SyslogSelector[] = [{ facility: '*', severity: '*', comparison: 'at-or-above' }];

/** Reads the parameters of one object: typed getters report malformed values; `finish` reports unknown ones. */
class ParamReader {
  private readonly byName = new Map<string, ObjectParam>();
  private readonly used = new Set<string>();

  constructor(readonly stmt: ObjectStatement, public label: string, readonly file: string, readonly b: ConfigBuilder) {
    for (const p of stmt.params) {
      if (this.byName.has(p.name)) this.b.diags.error(this.at(p), `${label}: parameter ${p.spelledAs} is given twice`);
      else this.byName.set(p.name, p);
    }
  }

  at(p?: ObjectParam): SourceLocation {
    return { file: this.file, line: p ? p.line : this.stmt.line };
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Marks a parameter as read and returns it. */
  param(name: string): ObjectParam | undefined {
    this.used.add(name);
    return this.byName.get(name);
  }

  string(name: string): string | undefined {
    const p = this.param(name);
    if (p === undefined) return undefined;
    if (typeof p.value !== 'string') {
      this.b.diags.error(this.at(p), `${this.label}: ${p.spelledAs} takes one value, not a list`);
      return undefined;
    }
    return p.value;
  }

  required(name: string, what: string): string | undefined {
    const v = this.string(name);
    if (v === undefined && !this.byName.has(name)) this.b.diags.error(this.at(), `${this.label}: ${name}= is required (${what})`);
    if (v === '') {
      this.b.diags.error(this.at(this.byName.get(name)), `${this.label}: ${name}= must not be empty (${what})`);
      return undefined;
    }
    return v;
  }

  /** A value parsed by `parse`; `kind` describes the expected form for the error message. */
  typed<T>(name: string, parse: (text: string) => T | undefined, kind: string): T | undefined {
    const p = this.byName.get(name);
    const v = this.string(name);
    if (v === undefined || p === undefined) return undefined;
    const parsed = parse(v);
    if (parsed === undefined) this.b.diags.error(this.at(p), `${this.label}: ${p.spelledAs}="${v}" is not ${kind}`);
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    return this.typed(name, (t) => allowed.find((a) => a === t.toLowerCase()), `one of ${allowed.join(', ')}`);
  }

  /** Parameters rsyslog knows that nsm does not use: a warning each, with the reason. */
  ignore(names: readonly string[], reason: string): void {
    for (const name of names) {
      const p = this.param(name);
      if (p) this.b.diags.warning(this.at(p), `${this.label}: ${p.spelledAs} has no effect in nsm (${reason}): ignored`);
    }
  }

  ignorePrefix(prefix: string, reason: string): void {
    for (const name of this.byName.keys()) if (name.startsWith(prefix) && !this.used.has(name)) this.ignore([name], reason);
  }

  /** For objects nsm ignores as a whole: their parameters are not ours to judge. */
  markAllUsed(): void {
    for (const name of this.byName.keys()) this.used.add(name);
  }

  /** Reports every parameter nobody read as unknown. */
  finish(): void {
    for (const [name, p] of this.byName) {
      if (!this.used.has(name)) this.b.diags.error(this.at(p), `${this.label}: unknown parameter ${p.spelledAs}`);
    }
  }
}

function parseFacilityValue(t: string): number | undefined {
  return parseFacility(t);
}

function parseSeverityValue(t: string): number | undefined {
  return parseSeverity(t);
}

/** omrelp windowSize: 0 (librelp's default) up to librelp's int range. */
function parseRelpWindowSize(t: string): number | undefined {
  const n = parseNonNegativeInteger(t);
  return n !== undefined && n <= MAX_RELP_WINDOW ? n : undefined;
}

function applyModule(r: ParamReader, b: ConfigBuilder): void {
  const load = r.required('load', 'the module to load');
  if (load === undefined) {
    r.markAllUsed();
    return;
  }
  const name = moduleBaseName(load);
  if (name !== 'imfile') {
    if (!['omfwd', 'omrelp', 'builtin:omfwd', 'lmnsd_gtls', 'lmnsd_ossl', 'lmnsd_ptcp'].includes(name)) {
      r.b.diags.warning(r.at(r.param('load')), `module '${name}' is not part of nsm: ignored`);
    }
    r.markAllUsed();
    return;
  }
  b.imfileLoadedBy = 'module';
  const mode = r.oneOf('mode', ['inotify', 'polling'] as const);
  if (mode) b.watchMode = mode;
  const interval = r.typed('pollinginterval', parseNonNegativeInteger, 'a number of seconds');
  if (interval !== undefined) b.pollIntervalSeconds = interval;
  r.ignore(['readtimeout', 'timeoutgranularity', 'sortfiles', 'normalizepath'], 'not needed by the agent\'s tailer');
}

function applyInput(r: ParamReader, b: ConfigBuilder): void {
  const type = r.required('type', 'the input module, e.g. "imfile"');
  if (type === undefined || type.toLowerCase() !== 'imfile') {
    if (type !== undefined) r.b.diags.warning(r.at(r.param('type')), `input type '${type}' is not part of nsm (only imfile is): ignored`);
    r.markAllUsed();
    return;
  }
  r.label = 'input(type="imfile")';
  if (b.imfileLoadedBy === undefined) {
    b.diags.warning(r.at(), 'input(type="imfile") before module(load="imfile"): rsyslog rejects it; nsm monitors the file anyway');
  }
  const file = r.required('file', 'the absolute path of the file to monitor');
  const fileParam = r.param('file');
  if (file !== undefined && !file.startsWith('/')) {
    b.diags.error(r.at(fileParam), `input(type="imfile"): File="${file}" must be an absolute path`);
  }
  const tag = r.string('tag');
  const facility = r.typed('facility', parseFacilityValue, 'a facility (kern..local7 or 0..23)');
  const severity = r.typed('severity', parseSeverityValue, 'a severity (emerg..debug or 0..7)');
  const persist = r.typed('persiststateinterval', parseNonNegativeInteger, 'a non-negative integer');
  const maxLines = r.typed('maxlinesatonce', parseNonNegativeInteger, 'a non-negative integer');
  const readMode = r.typed('readmode', (t) => { const n = parseNonNegativeInteger(t); return n !== undefined && n <= 2 ? n : undefined; }, '0, 1 or 2');
  if (readMode !== undefined && readMode !== 0) {
    b.diags.warning(r.at(r.param('readmode')), `input(type="imfile"): ReadMode=${readMode}: nsm reads line by line (ReadMode 0) for now; multi-line messages are sent as separate lines`);
  }
  const reopen = r.typed('reopenontruncate', parseBinary, 'on or off');
  const freshStartTail = r.typed('freshstarttail', parseBinary, 'on or off');
  const stateFile = r.string('statefile');
  for (const name of ['ruleset', 'startmsg.regex', 'endmsg.regex']) {
    const p = r.param(name);
    if (p) b.diags.error(r.at(p), `input(type="imfile"): ${p.spelledAs} is not supported yet`);
  }
  r.ignore(['addmetadata', 'addceetag', 'escapelf', 'deletestateonfiledelete', 'removestateondelete', 'filenotfounderror',
    'readtimeout', 'maxsubmitatonce', 'trimlineoverbytes', 'delay.message', 'discardtruncatedmsg', 'msgdiscardingerror', 'name'],
  'the agent sends each line as read');
  r.finish();
  if (file === undefined || !file.startsWith('/')) return;
  if (tag === undefined) {
    b.diags.warning(r.at(), `input(type="imfile" File="${file}") has no Tag= (rsyslog requires one); nsm sends its lines with an empty tag`);
  }
  b.addFile({
    path: file,
    tag: tag ?? '',
    stateFile: stateFile === '' ? undefined : stateFile,
    facility: facility ?? 16,
    severity: severity ?? 5,
    persistStateInterval: persist ?? 0,
    maxLinesAtOnce: maxLines ?? 0,
    readMode: readMode ?? 0,
    reopenOnTruncate: reopen ?? false,
    freshStartTail: freshStartTail ?? false,
    where: r.at(),
  });
}

const ACTION_PARAMS_NSM_HANDLES_ITSELF = [
  'name', 'action.resumeretrycount', 'action.resumeinterval', 'action.reportsuspension', 'action.reportsuspensioncontinuation',
  'action.writeallmarkmessages', 'action.execonlywhenpreviousissuspended', 'action.copymsg',
  'rebindinterval', 'keepalive', 'keepalive.probes', 'keepalive.interval', 'keepalive.time', 'resendlastmsgonreconnect',
  'conerrskip', 'maxerrormessages', 'timeout', 'conn.timeout', 'localclientip',
];

function applyQueueParams(r: ParamReader, b: ConfigBuilder): void {
  const size = r.typed('queue.size', parseSize, 'a number of messages');
  if (size !== undefined) b.queue.memoryMessages = size;
  const disk = r.typed('queue.maxdiskspace', parseSize, 'a size such as 1g');
  if (disk !== undefined) b.queue.diskMaxBytes = disk;
  r.ignorePrefix('queue.', 'the agent always keeps a memory queue that spills to disk in the work directory');
}

function readTargetAndPort(r: ParamReader, label: string): { host: string; port: number } | undefined {
  const host = r.required('target', 'the collector host name or address');
  const port = r.has('port') ? r.typed('port', parsePort, 'a port 1..65535') : DEFAULT_SYSLOG_PORT;
  if (host === undefined || port === undefined) return undefined;
  if (/\s/.test(host)) {
    r.b.diags.error(r.at(r.param('target')), `${label}: target="${host}" contains whitespace`);
    return undefined;
  }
  return { host, port };
}

function applyOmfwd(r: ParamReader, b: ConfigBuilder, selector: SyslogSelector[]): void {
  const label = 'action(type="omfwd")';
  const target = readTargetAndPort(r, label);
  const protocol = r.oneOf('protocol', ['udp', 'tcp'] as const) ?? 'udp';
  const framingText = r.oneOf('tcp_framing', ['traditional', 'octet-counted'] as const);
  const framing: TcpFraming = framingText === 'octet-counted' ? 'octet-counted' : 'lf';
  const templateText = r.string('template');
  const template = templateText === undefined ? defaultForwardTemplate('tcp') : parseForwardTemplate(templateText);
  if (typeof template !== 'string') b.diags.error(r.at(r.param('template')), `${label}: ${template.error}`);
  const driver = r.oneOf('streamdriver', ['gtls', 'ossl', 'ptcp'] as const);
  const driverMode = r.oneOf('streamdrivermode', ['0', '1'] as const);
  const authMode = r.oneOf('streamdriverauthmode', ['anon', 'x509/name', 'x509/certvalid'] as const);
  const peersParam = r.param('streamdriverpermittedpeers');
  const peers = peersParam === undefined ? [] : (typeof peersParam.value === 'string' ? peersParam.value.split(',') : peersParam.value).map((p) => p.trim()).filter((p) => p !== '');
  const caFile = r.string('streamdriver.cafile');
  const certFile = r.string('streamdriver.certfile');
  const keyFile = r.string('streamdriver.keyfile');
  applyQueueParams(r, b);
  r.ignore(ACTION_PARAMS_NSM_HANDLES_ITSELF, 'the agent reconnects and retries on its own and never drops a batch');
  // rsyslog 8.2302's omfwd does not know windowSize (`rsyslogd -N1`: "parameter 'windowSize' not known"); a config
  // carrying it most likely came from an omrelp action. Nothing in TCP or UDP has a window to set: a warning, not an error.
  r.ignore(['windowsize'], 'it is an omrelp parameter; omfwd has no window, and rsyslog\'s omfwd rejects it as unknown');
  r.ignore(['ziplevel', 'compression.mode', 'compression.stream.flushontxend', 'udp.sendtoall', 'udp.senddelay', 'address', 'ipfreebind', 'ratelimit.interval', 'ratelimit.burst'], 'not implemented by nsm\'s transports');
  r.finish();

  const useTls = driverMode === '1';
  const effectiveDriver = driver ?? b.defaultNetstreamDriver ?? 'ptcp';
  if (useTls && protocol === 'udp') {
    b.diags.error(r.at(), `${label}: StreamDriverMode="1" (TLS) needs protocol="tcp"`);
    return;
  }
  if (useTls && effectiveDriver === 'ptcp') {
    b.diags.error(r.at(), `${label}: StreamDriverMode="1" needs StreamDriver="gtls" (or global(DefaultNetstreamDriver="gtls"))`);
    return;
  }
  if (framingText !== undefined && protocol === 'udp') {
    b.diags.warning(r.at(r.param('tcp_framing')), `${label}: TCP_Framing applies to TCP only; ignored for UDP`);
  }
  if (target === undefined || typeof template !== 'string') return;
  const action: ForwardAction = {
    selector,
    protocol: useTls ? 'tls' : protocol,
    host: target.host,
    port: target.port,
    framing: protocol === 'udp' ? 'lf' : framing,
    template,
    where: r.at(),
  };
  const tls: ActionTlsRequest | undefined = useTls
    ? { caFile, certFile, keyFile, verifyPeer: authMode !== 'anon', permittedPeers: peers, checkName: authMode !== 'x509/certvalid' }
    : undefined;
  if (useTls && authMode === undefined) {
    b.diags.warning(r.at(), `${label}: TLS without StreamDriverAuthMode: rsyslog would not check the collector's certificate ("anon"); nsm verifies it (set StreamDriverAuthMode="anon" to turn that off)`);
  }
  b.addAction(action, tls);
}

function applyOmrelp(r: ParamReader, b: ConfigBuilder, selector: SyslogSelector[]): void {
  const label = 'action(type="omrelp")';
  const target = readTargetAndPort(r, label);
  const templateText = r.string('template');
  // omrelp's default template differs from omfwd's: RSYSLOG_ForwardFormat.
  const template = templateText === undefined ? defaultForwardTemplate('relp') : parseForwardTemplate(templateText);
  if (typeof template !== 'string') b.diags.error(r.at(r.param('template')), `${label}: ${template.error}`);
  const tlsOn = r.typed('tls', parseBinary, 'on or off') ?? false;
  const caFile = r.string('tls.cacert');
  const certFile = r.string('tls.mycert');
  const keyFile = r.string('tls.myprivkey');
  // Both RELP auth modes (name, certvalid) verify the chain; nsm also verifies when none is given.
  const authMode = r.oneOf('tls.authmode', ['name', 'certvalid'] as const);
  if (tlsOn && authMode === undefined && !r.has('tls.authmode')) {
    b.diags.warning(r.at(r.param('tls')), `${label}: tls="on" without tls.authMode: rsyslog would encrypt without checking the collector; ` +
      'nsm verifies its certificate (against tls.caCert, else the system CAs)');
  }
  const peerParam = r.param('tls.permittedpeer');
  const peers = peerParam === undefined ? [] : typeof peerParam.value === 'string' ? [peerParam.value] : peerParam.value;
  // What rsyslog's omrelp documentation says (reference/parameters/omrelp-windowsize): an integer, default 0, meant
  // for experts and passed to librelp; 0 keeps librelp's own default, documented as 128 messages and free to change;
  // only the client sets the window (imrelp has no counterpart). Bigger windows trade more possible duplicates after
  // a failure for speed.
  const window = r.typed('windowsize', parseRelpWindowSize, `a whole number of messages 0..${MAX_RELP_WINDOW} (0: librelp's default, 128)`);
  applyQueueParams(r, b);
  r.ignore(ACTION_PARAMS_NSM_HANDLES_ITSELF, 'the agent reconnects and retries on its own and never drops a batch');
  r.ignore(['tls.compression', 'tls.prioritystring', 'tls.tlslib'], 'not implemented by nsm\'s RELP transport');
  r.finish();
  if (target === undefined || typeof template !== 'string') return;
  const action: ForwardAction = {
    selector, protocol: 'relp', host: target.host, port: target.port, framing: 'lf', template, where: r.at(),
  };
  if (window !== undefined && window > 0) action.relpWindow = window;
  b.addAction(action, tlsOn ? { caFile, certFile, keyFile, verifyPeer: true, permittedPeers: peers, checkName: authMode !== 'certvalid' } : undefined);
}

/** `action(...)`, at top level (all messages) or after a selector. */
export function applyActionObject(stmt: ObjectStatement, file: string, b: ConfigBuilder, selector: SyslogSelector[] = ALL_MESSAGES): void {
  const r = new ParamReader(stmt, 'action()', file, b);
  const type = r.required('type', 'the output module, e.g. "omfwd"');
  const t = type === undefined ? undefined : moduleBaseName(type);
  if (t === 'omfwd') {
    r.label = 'action(type="omfwd")';
    applyOmfwd(r, b, selector);
  } else if (t === 'omrelp') {
    r.label = 'action(type="omrelp")';
    applyOmrelp(r, b, selector);
  } else {
    if (type !== undefined) b.diags.warning(r.at(r.param('type')), `action type '${type}' is not part of nsm (it forwards with omfwd or omrelp only): ignored`);
    r.markAllUsed();
  }
}

function applyGlobal(r: ParamReader, b: ConfigBuilder): void {
  const wd = r.string('workdirectory');
  if (wd !== undefined) {
    if (!wd.startsWith('/')) b.diags.error(r.at(r.param('workdirectory')), `global(): workDirectory="${wd}" must be an absolute path`);
    else b.workDirectory = { path: wd.replace(/(.)\/+$/, '$1'), where: r.at(r.param('workdirectory')) };
  }
  const size = r.typed('maxmessagesize', parseSize, 'a size such as 8096, 8k or 64k');
  if (size !== undefined) b.maxMessageSize = size;
  const driver = r.oneOf('defaultnetstreamdriver', ['gtls', 'ossl', 'ptcp'] as const);
  if (driver) b.defaultNetstreamDriver = driver;
  const ca = r.string('defaultnetstreamdrivercafile');
  if (ca !== undefined) b.globalTls.caFile = ca;
  const cert = r.string('defaultnetstreamdrivercertfile');
  if (cert !== undefined) b.globalTls.certFile = cert;
  const key = r.string('defaultnetstreamdriverkeyfile');
  if (key !== undefined) b.globalTls.keyFile = key;
  const host = r.string('localhostname');
  if (host !== undefined) b.hostname = host;
  const fqdn = r.typed('preservefqdn', parseBinary, 'on or off');
  if (fqdn !== undefined) b.preserveFqdn = fqdn;
  r.ignore(['processinternalmessages', 'umask', 'dropmsgswithmaliciousdnsptrrecords', 'abortonuncleanconfig', 'shutdown.enable.ctlc'], 'not used by the agent');
  r.ignorePrefix('debug.', 'not used by the agent');
  r.ignorePrefix('net.', 'not used by the agent');
  r.ignorePrefix('parser.', 'not used by the agent');
  r.finish();
}

function applyInclude(r: ParamReader, include: IncludeHandler): void {
  const textParam = r.param('text');
  if (textParam) r.b.diags.error(r.at(textParam), 'include(text=...) is not supported yet');
  const mode = r.oneOf('mode', ['abort-if-missing', 'required', 'optional'] as const);
  const file = textParam ? r.string('file') : r.required('file', 'the file or glob to include');
  r.finish();
  if (file !== undefined) include(file, r.at(r.param('file')), mode === 'optional');
}

const IGNORED_OBJECTS: ReadonlyMap<string, string> = new Map([
  ['template', 'custom templates are not supported; an action that names one is an error'],
  ['main_queue', 'there is no main queue in the agent'],
  ['timezone', 'timestamps are written by the agent itself'],
  ['lookup_table', 'lookup tables are used by filters, which nsm does not support yet'],
  ['parser', 'the agent parses no incoming messages'],
  ['dyn_stats', 'statistics are not supported'],
  ['percentile_stats', 'statistics are not supported'],
]);

/** Applies one top-level RainerScript object. */
export function applyObject(stmt: ObjectStatement, file: string, b: ConfigBuilder, include: IncludeHandler): void {
  const where = { file, line: stmt.line };
  switch (stmt.name) {
    case 'module': {
      const r = new ParamReader(stmt, 'module()', file, b);
      applyModule(r, b);
      r.finish();
      return;
    }
    case 'input':
      applyInput(new ParamReader(stmt, 'input()', file, b), b);
      return;
    case 'action':
      applyActionObject(stmt, file, b);
      return;
    case 'global':
      applyGlobal(new ParamReader(stmt, 'global()', file, b), b);
      return;
    case 'include':
      applyInclude(new ParamReader(stmt, 'include()', file, b), include);
      return;
  }
  const reason = IGNORED_OBJECTS.get(stmt.name);
  if (reason !== undefined) b.diags.warning(where, `${stmt.name}() has no effect in nsm (${reason}): ignored`);
  else b.diags.error(where, `unknown statement ${stmt.name}(...)`);
}
