// The state accumulated while one or more config files are read in order (rsyslog settings are global and
// order-dependent), and the final step that turns it into a checked `AgentConfig`.

import * as os from 'os';
import * as path from 'path';
import type {
  AgentConfig, ForwardAction, ForwardTemplate, MonitoredFile, QueueSettings, SourceLocation, SyslogSelector, TlsSettings,
} from './agent-config';
import type { FilterExpression } from '../filter/message-filter';
import type { RuleStatement } from '../filter/rule-program';
import { DiagnosticList } from './diagnostic-list';
import { selectorRule } from './routing-rules';
import { defaultStateFileName } from './state-file-name';

/** rsyslog 8's default `$MaxMessageSize` (8096, not 8192: rsyslog's own historic value). */
export const DEFAULT_MAX_MESSAGE_SIZE = 8096;
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
export const DEFAULT_FACILITY = 16; // local0, as imfile
export const DEFAULT_SEVERITY = 5; // notice, as imfile
export const DEFAULT_QUEUE: Readonly<QueueSettings> = { memoryMessages: 10_000, diskMaxBytes: 1024 ** 3 };

/** The `$InputFile*` settings of the block being defined (rsyslog's legacy "current file"). */
export interface LegacyFileBlock {
  path?: string;
  pathAt?: SourceLocation;
  tag?: string;
  stateFile?: string;
  facility: number;
  severity: number;
  persistStateInterval: number;
  maxLinesAtOnce: number;
  readMode: number;
}

export function freshLegacyBlock(): LegacyFileBlock {
  return { facility: DEFAULT_FACILITY, severity: DEFAULT_SEVERITY, persistStateInterval: 0, maxLinesAtOnce: 0, readMode: 0 };
}

/** TLS wishes of one action; the CA/cert/key default to the global DefaultNetstreamDriver* files at the end. */
export interface ActionTlsRequest {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verifyPeer: boolean;
  permittedPeers: string[];
  /** false for x509/certvalid: chain only (see TlsSettings). */
  checkName?: boolean;
}

/** Legacy `$ActionSendStreamDriver*` settings: they apply to every `@@` action that follows them. */
export interface LegacyActionTls {
  mode: number;
  authMode?: string;
  permittedPeers: string[];
}

export type FileSettings = Omit<MonitoredFile, 'pollIntervalSeconds' | 'stateFile'> & { stateFile?: string };

export class ConfigBuilder {
  readonly diags = new DiagnosticList();
  readonly sources: string[] = [];
  workDirectory?: { path: string; where: SourceLocation };
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  watchMode?: AgentConfig['watchMode'];
  /** How imfile was loaded: legacy `$ModLoad` implies polling mode in rsyslog, `module()` implies inotify. */
  imfileLoadedBy?: 'legacy' | 'module';
  pollIntervalSeconds?: number;
  hostname?: string;
  preserveFqdn = false;
  readonly queue: QueueSettings = { ...DEFAULT_QUEUE };
  readonly globalTls: { caFile?: string; certFile?: string; keyFile?: string } = {};
  /** `$DefaultNetstreamDriver` / global(defaultNetstreamDriver=): `gtls` or `ossl` enable TLS for legacy @@. */
  defaultNetstreamDriver?: string;
  legacyBlock: LegacyFileBlock = freshLegacyBlock();
  legacyActionTls: LegacyActionTls = { mode: 0, permittedPeers: [] };
  legacyDefaultTemplate?: ForwardTemplate;
  /** Selector of the last selector line, for `&` continuation lines. */
  lastSelector?: SyslogSelector[];
  /** Where the statements of the last selector or property-filter line went, for `&` continuation lines. */
  lastFilterBlock?: RuleStatement[];
  private readonly files: FileSettings[] = [];
  private readonly actions: { action: ForwardAction; tls?: ActionTlsRequest }[] = [];
  private readonly rules: RuleStatement[] = [];
  /** The block statements are added to: the top level, or the body of the filter being read. */
  private target: RuleStatement[] = this.rules;

  addFile(file: FileSettings): void {
    this.files.push(file);
  }

  /** Adds the action where the config reading is (top level, or inside the filter being read). */
  addAction(action: ForwardAction, tls?: ActionTlsRequest): void {
    this.target.push({ kind: 'action', action: this.actions.length, where: action.where });
    this.actions.push({ action, tls });
  }

  /** An action that carries its own selector (nsm's JSON config): added under that selector. */
  addSelectedAction(action: ForwardAction, tls?: ActionTlsRequest): void {
    const rule = selectorRule(action, this.actions.length);
    this.target.push(rule);
    this.actions.push({ action, tls });
  }

  addStop(where: SourceLocation): void {
    this.target.push({ kind: 'stop', where });
  }

  /** Adds `if condition then ... else ...`; returns its two blocks, to be filled with `inBlock`. */
  addCondition(condition: FilterExpression, where: SourceLocation): { then: RuleStatement[]; else: RuleStatement[] } {
    const statement: RuleStatement = { kind: 'if', condition, then: [], else: [], where };
    this.target.push(statement);
    return statement;
  }

  /** Runs `read` with new statements going into `block`. */
  inBlock(block: RuleStatement[], read: () => void): void {
    const outer = this.target;
    this.target = block;
    try {
      read();
    } finally {
      this.target = outer;
    }
  }

  /** Applies defaults, resolves TLS files and checks what can only be checked with the whole config. */
  finish(defaultWorkDirectory: string): AgentConfig {
    const pollIntervalSeconds = this.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS;
    const files: MonitoredFile[] = this.files.map((f) => ({
      ...f,
      stateFile: f.stateFile ?? defaultStateFileName(f.path),
      pollIntervalSeconds,
    }));
    this.checkDuplicates(files);

    const actions = this.actions.map(({ action, tls }) => (tls ? { ...action, tls: this.resolveTls(action, tls) } : action));

    const fullHostname = os.hostname();
    return {
      sources: [...this.sources],
      workDirectory: this.workDirectory?.path ?? path.resolve(defaultWorkDirectory),
      maxMessageSize: this.maxMessageSize,
      watchMode: this.watchMode ?? (this.imfileLoadedBy === 'legacy' ? 'polling' : 'inotify'),
      hostname: this.hostname ?? (this.preserveFqdn ? fullHostname : fullHostname.split('.')[0]),
      files,
      actions,
      rules: this.rules,
      queue: { ...this.queue },
      diagnostics: this.diags.items,
    };
  }

  private checkDuplicates(files: readonly MonitoredFile[]): void {
    const byPath = new Map<string, MonitoredFile>();
    const byState = new Map<string, MonitoredFile>();
    for (const f of files) {
      const samePath = byPath.get(f.path);
      if (samePath) {
        this.diags.error(f.where, `${f.path} is already monitored (${samePath.where.file}:${samePath.where.line}): every line would be sent twice`);
        continue;
      }
      byPath.set(f.path, f);
      const sameState = byState.get(f.stateFile);
      if (sameState) {
        this.diags.error(f.where, `state file '${f.stateFile}' is already used for ${sameState.path} (${sameState.where.file}:${sameState.where.line}): the two files would overwrite each other's position`);
      } else {
        byState.set(f.stateFile, f);
      }
    }
  }

  private resolveTls(action: ForwardAction, tls: ActionTlsRequest): TlsSettings {
    const resolved: TlsSettings = {
      caFile: tls.caFile ?? this.globalTls.caFile,
      certFile: tls.certFile ?? this.globalTls.certFile,
      keyFile: tls.keyFile ?? this.globalTls.keyFile,
      verifyPeer: tls.verifyPeer,
      permittedPeers: tls.permittedPeers,
    };
    if (tls.checkName === false) resolved.checkName = false;
    if (resolved.verifyPeer && resolved.caFile === undefined) {
      this.diags.warning(action.where, 'TLS without a CA file: the collector\'s certificate is checked against the system\'s trusted CAs (name a CA file — DefaultNetstreamDriverCAFile, or tls.caFile in JSON — for a private CA)');
    }
    if ((resolved.certFile === undefined) !== (resolved.keyFile === undefined)) {
      this.diags.error(action.where, 'TLS client certificate and key must be given together (DefaultNetstreamDriverCertFile and DefaultNetstreamDriverKeyFile)');
    }
    return resolved;
  }
}
