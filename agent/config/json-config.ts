// nsm's native JSON agent config: parsed with positions, validated against the published schema
// (conf.d/agent.schema.json) with ajv, and normalised to `AgentConfig` through the same builder and value parsers
// as rsyslog configs, so the two front ends cannot drift. Every mistake becomes a `file:line:` diagnostic.

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import type {
  AgentConfig, Diagnostic, ForwardAction, ForwardTemplate, QueueSettings, SourceLocation, TcpFraming, TransportProtocol,
} from './agent-config';
import type { ActionTlsRequest } from './config-builder';
import { ConfigBuilder } from './config-builder';
import { childPointer, JsonSourceMap, parentPointer, pointerTokens, scanJson } from './json-source-map';
import { defaultForwardTemplate } from './forward-target';
import { parseFacility, parseSeverity } from './syslog-names';
import { parseSelectorList } from './syslog-selector';
import { checkWorkDirectory } from './work-directory';

/** The published schema; also what editors can point `"$schema"` at. */
export const AGENT_CONFIG_SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', 'conf.d', 'agent.schema.json');

export interface JsonConfigOptions {
  /** Used when the config sets no workDirectory. */
  defaultWorkDirectory: string;
  /** Check that a configured work directory exists and is writable (default true). */
  checkWorkDirectory?: boolean;
}

// The document's shape once the schema has validated it and filled in its defaults. The normaliser only reads
// subtrees without schema errors, so these types hold for everything it touches.
interface JsonMonitoredFile {
  path: string;
  tag: string;
  facility: string | number;
  severity: string | number;
  stateFile?: string;
  persistStateInterval: number;
  maxLinesAtOnce: number;
  reopenOnTruncate: boolean;
  freshStartTail: boolean;
}

interface JsonTlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verifyPeer: boolean;
  permittedPeers: string[];
}

interface JsonForwardAction {
  selector: string;
  protocol: TransportProtocol;
  host: string;
  port: number;
  framing: TcpFraming;
  template?: ForwardTemplate;
  tls?: JsonTlsSettings;
  relpWindow?: number;
}

interface JsonAgentConfigDocument {
  workDirectory?: string;
  maxMessageSize: number;
  watchMode: AgentConfig['watchMode'];
  pollIntervalSeconds: number;
  hostname?: string;
  queue: QueueSettings;
  files: JsonMonitoredFile[];
  actions: JsonForwardAction[];
}

let compiledValidator: ValidateFunction | { error: string } | undefined;

/** The schema compiled once per process; a missing or broken schema file is reported, not thrown. */
function schemaValidator(): ValidateFunction | { error: string } {
  if (compiledValidator === undefined) {
    try {
      const schema = JSON.parse(fs.readFileSync(AGENT_CONFIG_SCHEMA_FILE, 'utf8')) as object;
      // verbose: errors carry the offending value and schema, for messages that quote both.
      const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, allowUnionTypes: true });
      compiledValidator = ajv.compile(schema);
    } catch (err) {
      compiledValidator = { error: `cannot use the config schema ${AGENT_CONFIG_SCHEMA_FILE}: ${(err as Error).message}` };
    }
  }
  return compiledValidator;
}

/** Reads a JSON agent config file. Bad input gives diagnostics, never an exception. */
export function loadJsonAgentConfig(file: string, opts: JsonConfigOptions): AgentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const b = new ConfigBuilder();
    b.sources.push(file);
    b.diags.error({ file, line: 0 }, `cannot read ${file}: ${(err as Error).message}`);
    return b.finish(opts.defaultWorkDirectory);
  }
  return parseJsonAgentConfigText(text, file, opts);
}

/** Reads `text` as the JSON config file `fileName` (tests, and configs that do not live in a file). */
export function parseJsonAgentConfigText(text: string, fileName: string, opts: JsonConfigOptions): AgentConfig {
  const b = new ConfigBuilder();
  b.sources.push(fileName);
  new JsonConfigReader(stripByteOrderMark(text), fileName, b, opts).read();
  const config = b.finish(opts.defaultWorkDirectory);
  // One file: report by line; the sort is stable, so one line's messages keep their order.
  config.diagnostics.sort((x, y) => x.line - y.line);
  return config;
}

/** Editors on some systems save UTF-8 with a BOM, which JSON.parse refuses; it carries no meaning. */
function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

class JsonConfigReader {
  private map!: JsonSourceMap;
  /** Pointers with a schema error (for a missing or unknown property: the property itself). */
  private readonly invalidPointers: string[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly b: ConfigBuilder,
    private readonly opts: JsonConfigOptions,
  ) {}

  read(): void {
    const scan = scanJson(this.text);
    if (!scan.ok) {
      const d: Diagnostic = {
        file: this.file, line: scan.position.line, column: scan.position.column, severity: 'error', message: `JSON syntax: ${scan.message}`,
      };
      this.b.diags.items.push(d);
      return;
    }
    this.map = scan.map;
    for (const dup of scan.map.duplicateKeys) {
      this.b.diags.warning(this.at(dup.pointer), `${displayPath(parentPointer(dup.pointer))}: property '${lastToken(dup.pointer)}' is given more than once; the last one counts`);
    }
    const validate = schemaValidator();
    if (typeof validate !== 'function') {
      this.b.diags.error({ file: this.file, line: 0 }, validate.error);
      return;
    }
    // The scanner accepted the text, so JSON.parse does too.
    const doc: unknown = JSON.parse(this.text);
    if (!validate(doc)) {
      for (const e of validate.errors ?? []) this.reportSchemaError(e);
    }
    // Not an object at all: there is nothing to take from it.
    if (this.failedAtOrAbove('')) return;
    this.apply(doc as JsonAgentConfigDocument);
  }

  private at(pointer: string): SourceLocation {
    return { file: this.file, line: this.map.lineOf(pointer) };
  }

  /** True when neither the value at `pointer`, nor anything inside it, nor anything containing it failed the schema. */
  private isValid(pointer: string): boolean {
    return !this.failedAtOrAbove(pointer) && !this.invalidPointers.some((p) => p.startsWith(`${pointer}/`));
  }

  /** True when the value at `pointer` or one containing it failed the schema (its type may then be anything). */
  private failedAtOrAbove(pointer: string): boolean {
    return this.invalidPointers.some((p) => p === pointer || p === '' || pointer.startsWith(`${p}/`));
  }

  private reportSchemaError(e: ErrorObject): void {
    const { pointer, message } = describeSchemaError(e);
    this.invalidPointers.push(pointer);
    this.b.diags.error(this.at(pointer), message);
  }

  private apply(doc: JsonAgentConfigDocument): void {
    const b = this.b;
    if (doc.workDirectory !== undefined && this.isValid('/workDirectory')) {
      // Trailing slashes dropped as for global(workDirectory=), so state file paths are the same either way.
      b.workDirectory = { path: doc.workDirectory.replace(/(.)\/+$/, '$1'), where: this.at('/workDirectory') };
      if (this.opts.checkWorkDirectory !== false) checkWorkDirectory(b.workDirectory.path, b.workDirectory.where, b.diags);
    }
    if (this.isValid('/maxMessageSize')) b.maxMessageSize = doc.maxMessageSize;
    if (this.isValid('/watchMode')) b.watchMode = doc.watchMode;
    if (this.isValid('/pollIntervalSeconds')) b.pollIntervalSeconds = doc.pollIntervalSeconds;
    if (doc.hostname !== undefined && this.isValid('/hostname')) b.hostname = doc.hostname;
    if (this.isValid('/queue/memoryMessages')) b.queue.memoryMessages = doc.queue.memoryMessages;
    if (this.isValid('/queue/diskMaxBytes')) b.queue.diskMaxBytes = doc.queue.diskMaxBytes;

    if (this.isArrayWithoutOwnError('/files', doc.files)) {
      if (doc.files.length === 0) b.diags.warning(this.at('/files'), 'files: the list is empty: nothing would be monitored');
      doc.files.forEach((f, i) => {
        const pointer = childPointer('/files', i);
        if (!this.failedAtOrAbove(pointer)) this.addFile(f, pointer);
      });
    }
    if (this.isArrayWithoutOwnError('/actions', doc.actions)) {
      if (doc.actions.length === 0) b.diags.warning(this.at('/actions'), 'actions: the list is empty: lines would be read but sent nowhere');
      doc.actions.forEach((a, i) => {
        const pointer = childPointer('/actions', i);
        if (!this.failedAtOrAbove(pointer)) this.addAction(a, pointer);
      });
    }
  }

  /** The list itself is usable even when some of its items are not: those are skipped one by one. */
  private isArrayWithoutOwnError(pointer: string, value: unknown): value is unknown[] {
    return Array.isArray(value) && !this.failedAtOrAbove(pointer);
  }

  /** `f` is an object; its members are checked one by one, and it is used only when all of them are right. */
  private addFile(f: JsonMonitoredFile, pointer: string): void {
    const facility = this.nameOrNumber(f.facility, parseFacility, childPointer(pointer, 'facility'), 'a facility (kern..local7 or 0..23)');
    const severity = this.nameOrNumber(f.severity, parseSeverity, childPointer(pointer, 'severity'), 'a severity (emerg..debug or 0..7)');
    if (facility === undefined || severity === undefined || !this.isValid(pointer)) return;
    this.b.addFile({
      path: f.path,
      tag: f.tag,
      stateFile: f.stateFile,
      facility,
      severity,
      persistStateInterval: f.persistStateInterval,
      maxLinesAtOnce: f.maxLinesAtOnce,
      // Line by line is the only read mode nsm has (see MonitoredFile.readMode).
      readMode: 0,
      reopenOnTruncate: f.reopenOnTruncate,
      freshStartTail: f.freshStartTail,
      where: this.at(pointer),
    });
  }

  /** Facility and severity names go through the rsyslog path's parsers, so both accept exactly the same names. */
  private nameOrNumber(value: string | number, parse: (text: string) => number | undefined, pointer: string, kind: string): number | undefined {
    if (!this.isValid(pointer)) return undefined;
    const parsed = parse(String(value));
    if (parsed === undefined) this.b.diags.error(this.at(pointer), `${displayPath(pointer)}: ${describeValue(value)} is not ${kind}`);
    return parsed;
  }

  /** `a` is an object; the selector is checked even when other members are wrong, the rest only when none is. */
  private addAction(a: JsonForwardAction, pointer: string): void {
    const where = this.at(pointer);
    const selectorPointer = childPointer(pointer, 'selector');
    if (!this.isValid(selectorPointer)) return;
    const selector = parseSelectorList(a.selector);
    if ('error' in selector) {
      this.b.diags.error(this.at(selectorPointer), `${displayPath(selectorPointer)}: ${selector.error}`);
      return;
    }
    if (!this.isValid(pointer)) return;
    const streamed = a.protocol === 'tcp' || a.protocol === 'tls';
    if (!streamed && a.framing !== 'lf') {
      this.b.diags.warning(this.at(childPointer(pointer, 'framing')), `${displayPath(childPointer(pointer, 'framing'))}: framing applies to tcp and tls only; ignored for ${a.protocol}`);
    }
    if (a.tls !== undefined && (a.protocol === 'udp' || a.protocol === 'tcp')) {
      this.b.diags.error(this.at(childPointer(pointer, 'tls')), `${displayPath(childPointer(pointer, 'tls'))}: TLS settings need protocol "tls" or "relp" (this action is ${a.protocol})`);
      return;
    }
    // As TLS settings on udp: a window set where it cannot apply is a mistake worth stopping for, not a warning.
    if (a.relpWindow !== undefined && a.protocol !== 'relp') {
      this.b.diags.error(this.at(childPointer(pointer, 'relpWindow')), `${displayPath(childPointer(pointer, 'relpWindow'))}: relpWindow applies to protocol "relp" only (this action is ${a.protocol})`);
      return;
    }
    const action: ForwardAction = {
      selector: selector.selectors,
      protocol: a.protocol,
      host: a.host,
      port: a.port,
      framing: streamed ? a.framing : 'lf',
      // rsyslog's defaults: omrelp sends RSYSLOG_ForwardFormat, omfwd the traditional format.
      template: a.template ?? defaultForwardTemplate(a.protocol),
      where,
    };
    if (a.relpWindow !== undefined) action.relpWindow = a.relpWindow;
    const tls = a.tls ?? (a.protocol === 'tls' ? { verifyPeer: true, permittedPeers: [] } : undefined);
    const request: ActionTlsRequest | undefined = tls && {
      caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile, verifyPeer: tls.verifyPeer, permittedPeers: [...tls.permittedPeers],
    };
    this.b.addSelectedAction(action, request);
  }
}

/** `/files/0/tag` -> `files[0].tag`; the root is `top level`. */
function displayPath(pointer: string): string {
  let out = '';
  for (const token of pointerTokens(pointer)) {
    if (/^\d+$/.test(token)) out += `[${token}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(token)) out += out === '' ? token : `.${token}`;
    else out += `[${JSON.stringify(token)}]`;
  }
  return out === '' ? 'top level' : out;
}

function lastToken(pointer: string): string {
  const tokens = pointerTokens(pointer);
  return tokens[tokens.length - 1] ?? '';
}

/** A value as it would be quoted in a message; long strings are cut. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', object: 'an object', array: 'an array', null: 'null',
};

/** What a schema `pattern` means, in words (the schema's patterns, nothing else). */
const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  '^/': 'must be an absolute path (starting with /)',
  '^\\S+$': 'must not be empty or contain whitespace',
};

/** Turns one ajv error into the pointer it is about (where its line is looked up) and a sentence. */
function describeSchemaError(e: ErrorObject): { pointer: string; message: string } {
  const at = e.instancePath;
  const where = displayPath(at);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { pointer: childPointer(at, name), message: `${where}: unknown property '${name}' (known: ${known.join(', ')})` };
    }
    case 'required': {
      const name = String(params.missingProperty);
      return { pointer: childPointer(at, name), message: `${where}: missing required property '${name}'` };
    }
    case 'dependencies':
      return { pointer: at, message: `${where}: ${String(params.property)} needs ${String(params.missingProperty)} as well` };
    case 'type': {
      const wanted = (Array.isArray(params.type) ? params.type : String(params.type).split(',')).map((t) => TYPE_NAMES[String(t)] ?? String(t));
      return { pointer: at, message: `${where}: must be ${wanted.join(' or ')}, not ${describeValue(e.data)}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      return { pointer: at, message: `${where}: ${describeValue(e.data)} is not one of ${allowed}` };
    }
    case 'minimum':
      return { pointer: at, message: `${where}: ${describeValue(e.data)} is less than the minimum ${String(params.limit)}` };
    case 'maximum':
      return { pointer: at, message: `${where}: ${describeValue(e.data)} is more than the maximum ${String(params.limit)}` };
    case 'minLength':
      return { pointer: at, message: `${where}: must not be empty` };
    case 'pattern': {
      const meaning = PATTERN_MEANINGS[String(params.pattern)] ?? `must match the pattern ${String(params.pattern)}`;
      return { pointer: at, message: `${where}: ${describeValue(e.data)} ${meaning}` };
    }
    default:
      return { pointer: at, message: `${where}: ${e.message ?? `fails the schema's ${e.keyword} rule`}` };
  }
}
