// rsyslog's legacy `$Directive value` lines: imfile's `$InputFile*` block, global settings, forwarding options.
// rsyslog only monitors a `$InputFileName` block once `$InputRunFileMonitor` commits it; nsm also commits a
// block at the next `$InputFileName` or at the end of its file, and warns, because deployed configs omit it.

import type { SourceLocation } from './agent-config';
import type { ConfigBuilder } from './config-builder';
import { freshLegacyBlock } from './config-builder';
import { parseBinary, parseNonNegativeInteger, parseSize } from './config-values';
import { parseForwardTemplate } from './forward-target';
import type { LegacyStatement } from './statement-scanner';
import { parseFacility, parseSeverity } from './syslog-names';

/** How the loader follows `$IncludeConfig` (it owns file reading and cycle detection). */
export type IncludeHandler = (pattern: string, where: SourceLocation, optional: boolean) => void;

type DirectiveHandler = (value: string, where: SourceLocation, b: ConfigBuilder, include: IncludeHandler, spelled: string) => void;

/** Modules nsm needs no code for: forwarding is built in, so loading them is simply accepted. */
const ACCEPTED_MODULES = new Set(['imfile', 'omfwd', 'omrelp', 'builtin:omfwd', 'lmnsd_gtls', 'lmnsd_ossl', 'lmnsd_ptcp']);

/** Directives rsyslog knows whose job nsm does differently or not at all: accepted with a warning. */
const IGNORED_DIRECTIVES: ReadonlyMap<string, string> = new Map([
  ['actionqueuetype', 'the agent always queues in memory and spills to its disk queue in the work directory'],
  ['actionqueuefilename', 'the disk queue lives in the work directory under a name nsm chooses'],
  ['actionqueuesaveonshutdown', 'the agent always keeps unsent messages across restarts'],
  ['actionqueuehighwatermark', 'the agent spills to disk when its memory queue is full'],
  ['actionqueuelowwatermark', 'the agent spills to disk when its memory queue is full'],
  ['actionqueuediscardmark', 'the agent never discards messages'],
  ['actionqueuediscardseverity', 'the agent never discards messages'],
  ['actionqueuetimeoutenqueue', 'reading pauses while the queue is full'],
  ['actionqueuedequeuebatchsize', 'batch sizes are chosen by the agent'],
  ['actionqueueworkerthreads', 'the agent uses one sender per action'],
  ['actionresumeretrycount', 'the agent retries forever with capped backoff and never drops a batch'],
  ['actionresumeinterval', 'the agent retries with capped exponential backoff'],
  ['mainmsgqueuesize', 'there is no main queue in the agent'],
  ['mainmsgqueuetype', 'there is no main queue in the agent'],
  ['repeatedmsgreduction', 'every line is sent'],
  ['filecreatemode', 'the agent writes no log files'],
  ['dircreatemode', 'the agent writes no log files'],
  ['fileowner', 'the agent writes no log files'],
  ['filegroup', 'the agent writes no log files'],
  ['umask', 'the agent writes no log files'],
  ['actionfiledefaulttemplate', 'the agent writes no log files'],
  ['actionfileenablesync', 'the agent writes no log files'],
  ['escapecontrolcharactersonreceive', 'lines are sent as read'],
  ['privdroptouser', 'run the agent as the user it should be'],
  ['privdroptogroup', 'run the agent as the group it should be'],
  ['template', 'custom templates are not supported; an action that names one is an error'],
  ['imjournalstatefile', 'nsm has no journal input'],
  ['omitlocallogging', 'nsm has no local log socket'],
  ['systemlogsocketname', 'nsm has no local log socket'],
]);

function oneWord(value: string, where: SourceLocation, b: ConfigBuilder, spelled: string): string | undefined {
  if (value === '') {
    b.diags.error(where, `$${spelled} needs a value`);
    return undefined;
  }
  const words = value.split(/\s+/);
  if (words.length > 1) {
    b.diags.error(where, `$${spelled} takes one value, but '${words.slice(1).join(' ')}' follows '${words[0]}'`);
    return undefined;
  }
  return words[0];
}

function withWord(apply: (word: string, where: SourceLocation, b: ConfigBuilder, spelled: string) => void): DirectiveHandler {
  return (value, where, b, _include, spelled) => {
    const word = oneWord(value, where, b, spelled);
    if (word !== undefined) apply(word, where, b, spelled);
  };
}

function withInteger(apply: (n: number, b: ConfigBuilder) => void, parse = parseNonNegativeInteger, kind = 'a non-negative integer'): DirectiveHandler {
  return withWord((word, where, b, spelled) => {
    const n = parse(word);
    if (n === undefined) b.diags.error(where, `$${spelled}: '${word}' is not ${kind}`);
    else apply(n, b);
  });
}

function absolutePath(word: string, where: SourceLocation, b: ConfigBuilder, spelled: string): string | undefined {
  if (!word.startsWith('/')) {
    b.diags.error(where, `$${spelled}: '${word}' must be an absolute path`);
    return undefined;
  }
  return word;
}

/** Module name from `imfile`, `imfile.so` or `/usr/lib/rsyslog/imfile.so`. */
export function moduleBaseName(text: string): string {
  return text.replace(/^.*\//, '').replace(/\.so$/, '').toLowerCase();
}

/** Commits the pending `$InputFileName` block to the file list; `implicit` means no $InputRunFileMonitor did. */
export function commitLegacyBlock(b: ConfigBuilder, how: 'run' | 'implicit'): void {
  const blk = b.legacyBlock;
  if (blk.path === undefined || blk.pathAt === undefined) return;
  if (how === 'implicit') {
    b.diags.warning(blk.pathAt, `$InputFileName ${blk.path} is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway`);
  }
  if (blk.tag === undefined) {
    b.diags.warning(blk.pathAt, `$InputFileName ${blk.path} has no $InputFileTag (rsyslog refuses such a block); nsm sends its lines with an empty tag`);
  }
  b.addFile({
    path: blk.path,
    tag: blk.tag ?? '',
    stateFile: blk.stateFile,
    facility: blk.facility,
    severity: blk.severity,
    persistStateInterval: blk.persistStateInterval,
    maxLinesAtOnce: blk.maxLinesAtOnce,
    readMode: blk.readMode,
    reopenOnTruncate: false,
    freshStartTail: false,
    where: blk.pathAt,
  });
  b.legacyBlock = freshLegacyBlock();
}

/** At the end of a file: a block whose `$InputFileName` is in that file is committed (with a warning). */
export function endLegacyFile(b: ConfigBuilder, file: string): void {
  if (b.legacyBlock.pathAt?.file === file) commitLegacyBlock(b, 'implicit');
}

function setPollInterval(n: number, b: ConfigBuilder): void {
  b.pollIntervalSeconds = n;
}

const HANDLERS: ReadonlyMap<string, DirectiveHandler> = new Map<string, DirectiveHandler>([
  ['modload', withWord((word, where, b) => {
    const name = moduleBaseName(word);
    if (name === 'imfile') b.imfileLoadedBy ??= 'legacy';
    else if (!ACCEPTED_MODULES.has(name)) b.diags.warning(where, `module '${name}' is not part of nsm: ignored (nsm reads files with imfile semantics and forwards them)`);
  })],
  ['workdirectory', withWord((word, where, b, spelled) => {
    const dir = absolutePath(word, where, b, spelled);
    if (dir !== undefined) b.workDirectory = { path: dir.replace(/(.)\/+$/, '$1'), where };
  })],
  ['maxmessagesize', withInteger((n, b) => { b.maxMessageSize = n; }, parseSize, 'a size such as 8096, 8k or 64k')],
  ['inputfilename', withWord((word, where, b, spelled) => {
    const file = absolutePath(word, where, b, spelled);
    if (file === undefined) return;
    if (b.imfileLoadedBy === undefined) {
      b.diags.warning(where, 'imfile is not loaded before $InputFileName ($ModLoad imfile), so rsyslog rejects this line; nsm monitors the file anyway');
    }
    commitLegacyBlock(b, 'implicit');
    b.legacyBlock.path = file;
    b.legacyBlock.pathAt = where;
  })],
  ['inputfiletag', withWord((word, _w, b) => { b.legacyBlock.tag = word; })],
  ['inputfilestatefile', withWord((word, _w, b) => { b.legacyBlock.stateFile = word; })],
  ['inputfileseverity', withWord((word, where, b, spelled) => {
    const n = parseSeverity(word);
    if (n === undefined) b.diags.error(where, `$${spelled}: unknown severity '${word}' (use emerg, alert, crit, err, warning, notice, info, debug or 0..7)`);
    else b.legacyBlock.severity = n;
  })],
  ['inputfilefacility', withWord((word, where, b, spelled) => {
    const n = parseFacility(word);
    if (n === undefined) b.diags.error(where, `$${spelled}: unknown facility '${word}' (use kern, user, ..., local0..local7 or 0..23)`);
    else b.legacyBlock.facility = n;
  })],
  ['inputrunfilemonitor', (value, where, b, _include, spelled) => {
    if (value !== '') b.diags.warning(where, `$${spelled} takes no value: '${value}' ignored`);
    if (b.legacyBlock.path === undefined) {
      b.diags.error(where, `$${spelled} without a $InputFileName before it: no file to monitor`);
      return;
    }
    commitLegacyBlock(b, 'run');
  }],
  ['inputfilepollinterval', withInteger(setPollInterval)],
  ['inputfilepollinginterval', (value, where, b, include, spelled) => {
    b.diags.warning(where, `$${spelled} is not an rsyslog directive (rsyslog ignores this line; the name is $InputFilePollInterval); nsm reads it as $InputFilePollInterval`);
    withInteger(setPollInterval)(value, where, b, include, spelled);
  }],
  ['inputfilepersiststateinterval', withInteger((n, b) => { b.legacyBlock.persistStateInterval = n; })],
  ['inputfilemaxlinesatonce', withInteger((n, b) => { b.legacyBlock.maxLinesAtOnce = n; }, parseSize, 'a number of lines')],
  ['inputfilereadmode', withWord((word, where, b, spelled) => {
    const n = parseNonNegativeInteger(word);
    if (n === undefined || n > 2) {
      b.diags.error(where, `$${spelled}: '${word}' is not 0, 1 or 2`);
      return;
    }
    if (n !== 0) b.diags.warning(where, `$${spelled} ${n}: nsm reads line by line (ReadMode 0) for now; multi-line messages are sent as separate lines`);
    b.legacyBlock.readMode = n;
  })],
  ['inputfilebindruleset', (_v, where, b, _i, spelled) => {
    b.diags.error(where, `$${spelled}: rulesets are not supported yet; the file would feed all actions`);
  }],
  ['resetconfigvariables', (_v, _where, b) => {
    b.legacyBlock = freshLegacyBlock();
  }],
  ['defaultnetstreamdriver', withWord((word, where, b, spelled) => {
    const d = word.toLowerCase();
    if (d !== 'gtls' && d !== 'ossl' && d !== 'ptcp') b.diags.error(where, `$${spelled}: unknown driver '${word}' (gtls, ossl or ptcp)`);
    else b.defaultNetstreamDriver = d;
  })],
  ['defaultnetstreamdrivercafile', withWord((word, _w, b) => { b.globalTls.caFile = word; })],
  ['defaultnetstreamdrivercertfile', withWord((word, _w, b) => { b.globalTls.certFile = word; })],
  ['defaultnetstreamdriverkeyfile', withWord((word, _w, b) => { b.globalTls.keyFile = word; })],
  ['actionsendstreamdrivermode', withWord((word, where, b, spelled) => {
    if (word !== '0' && word !== '1') b.diags.error(where, `$${spelled}: '${word}' must be 0 (plain TCP) or 1 (TLS)`);
    else b.legacyActionTls.mode = Number(word);
  })],
  ['actionsendstreamdriverauthmode', withWord((word, where, b, spelled) => {
    const m = word.toLowerCase();
    if (m !== 'anon' && m !== 'x509/name' && m !== 'x509/certvalid') {
      b.diags.error(where, `$${spelled}: '${word}' is not supported (anon, x509/name or x509/certvalid)`);
    } else {
      b.legacyActionTls.authMode = m;
    }
  })],
  ['actionsendstreamdriverpermittedpeer', withWord((word, _w, b) => { b.legacyActionTls.permittedPeers.push(word); })],
  ['actionforwarddefaulttemplate', withWord((word, where, b, spelled) => {
    const t = parseForwardTemplate(word);
    if (typeof t === 'string') b.legacyDefaultTemplate = t;
    else b.diags.error(where, `$${spelled}: ${t.error}`);
  })],
  ['localhostname', withWord((word, _w, b) => { b.hostname = word; })],
  ['preservefqdn', withWord((word, where, b, spelled) => {
    const v = parseBinary(word);
    if (v === undefined) b.diags.error(where, `$${spelled}: '${word}' must be on or off`);
    else b.preserveFqdn = v;
  })],
  ['actionqueuesize', withInteger((n, b) => { b.queue.memoryMessages = n; }, parseSize, 'a number of messages')],
  ['actionqueuemaxdiskspace', withInteger((n, b) => { b.queue.diskMaxBytes = n; }, parseSize, 'a size such as 1g or 512m')],
]);

/** Applies one `$Directive value` line to the builder. */
export function applyLegacyDirective(stmt: LegacyStatement, file: string, b: ConfigBuilder, include: IncludeHandler): void {
  const where = { file, line: stmt.line };
  const key = stmt.directive.toLowerCase();
  if (key === 'includeconfig') {
    const word = oneWord(stmt.value, where, b, stmt.directive);
    if (word !== undefined) include(word, where, false);
    return;
  }
  const handler = HANDLERS.get(key);
  if (handler) {
    handler(stmt.value, where, b, include, stmt.directive);
    return;
  }
  const ignoredBecause = IGNORED_DIRECTIVES.get(key);
  if (ignoredBecause !== undefined) {
    b.diags.warning(where, `$${stmt.directive} has no effect in nsm (${ignoredBecause}): ignored`);
    return;
  }
  b.diags.error(where, `unknown directive $${stmt.directive}`);
}
