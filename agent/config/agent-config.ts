// The agent's configuration after parsing: what rsyslog legacy directives, RainerScript and nsm's own
// settings all normalise to. Everything downstream (discovery, tailers, queue, transports) reads only this.

import type { RuleStatement } from '../filter/rule-program';

/** Where a setting came from, for `file:line: what is wrong` messages. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface Diagnostic extends SourceLocation {
  severity: 'error' | 'warning';
  message: string;
  /** 1-based column, when the position within the line matters (JSON syntax errors). */
  column?: number;
}

/** Numeric syslog facility (0..23) and severity (0..7); PRI = facility * 8 + severity. */
export type Facility = number;
export type Severity = number;

export type ForwardTemplate =
  | 'RSYSLOG_TraditionalForwardFormat'
  | 'RSYSLOG_ForwardFormat'
  | 'RSYSLOG_SyslogProtocol23Format';

/** One monitored file: an rsyslog `$InputFileName` block or an `input(type="imfile")`. */
export interface MonitoredFile {
  /** Absolute path as configured (may be under a symlinked directory such as Bro's logs/current). */
  path: string;
  /** Syslog tag sent before the message, exactly as configured, e.g. `bro_conn:`. */
  tag: string;
  /** State file name (relative to workDirectory) or absolute path; derived from the path when not configured. */
  stateFile: string;
  facility: Facility;
  severity: Severity;
  /** Polling interval in seconds (polling mode, and the safety re-scan in inotify mode). */
  pollIntervalSeconds: number;
  /** Persist state every N lines (rsyslog PersistStateInterval; 0 = only on shutdown in rsyslog; nsm also persists per confirmed batch). */
  persistStateInterval: number;
  maxLinesAtOnce: number;
  /** rsyslog ReadMode 0 = line per line (the only mode nsm supports now; others are reported by `nsm check`). */
  readMode: number;
  reopenOnTruncate: boolean;
  /** Start at the end of a file seen for the first time (no state file). */
  freshStartTail: boolean;
  /** Index of the ruleset/actions this input feeds: all actions in config order unless a ruleset binds it. */
  where: SourceLocation;
}

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'relp';
export type TcpFraming = 'lf' | 'octet-counted';

export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Verify the collector's certificate chain and name (default true; `anon` auth mode turns it off). */
  verifyPeer: boolean;
  /** Names accepted in the collector certificate (rsyslog `StreamDriverPermittedPeers`). */
  permittedPeers: string[];
  /**
   * false: the chain is verified and the name is not (rsyslog `x509/certvalid`, omrelp `tls.authMode="certvalid"`).
   * Absent or true: the name is checked too (x509/name).
   */
  checkName?: boolean;
}

/** One forwarding action: `local7.* @@host:port;Template` or `action(type="omfwd" ...)`. */
export interface ForwardAction {
  /** Selector such as `local7.info` / `*.*`; matches when facility matches and message severity <= selector severity. */
  selector: SyslogSelector[];
  protocol: TransportProtocol;
  host: string;
  port: number;
  framing: TcpFraming;
  template: ForwardTemplate;
  tls?: TlsSettings;
  /**
   * RELP only: most syslog commands sent and not yet acknowledged (omrelp `windowSize`). Undefined: librelp's
   * default, 128 (also what omrelp's windowSize="0" means).
   */
  relpWindow?: number;
  where: SourceLocation;
}

export interface SyslogSelector {
  /** Facility number, or '*' for all. */
  facility: Facility | '*';
  /** Severity threshold: matches severities <= this (numerically), or '*' for all; 'none' excludes the facility. */
  severity: Severity | '*' | 'none';
  /**
   * `=` prefix: exact severity only. `!` prefix: negation (removes this severity and more urgent ones).
   * `!=` prefix: removes exactly this severity. A selector list is applied left to right, as in rsyslog:
   * use `selectorMatches()` from agent/config/syslog-selector.ts rather than re-implementing it.
   */
  comparison: 'at-or-above' | 'exact' | 'not' | 'not-exact';
}

export interface QueueSettings {
  /** Messages kept in memory before spilling to the on-disk queue. */
  memoryMessages: number;
  /** Upper bound of the on-disk queue in the work directory, in bytes. */
  diskMaxBytes: number;
}

export interface AgentConfig {
  /** Files the config was read from, in order. */
  sources: string[];
  /** rsyslog `$WorkDirectory` / global(workDirectory=): state files and the disk queue live here. */
  workDirectory: string;
  /** rsyslog `$MaxMessageSize` (default 8k = 8192 bytes). */
  maxMessageSize: number;
  watchMode: 'inotify' | 'polling';
  /** Hostname written into each message (default: os.hostname() up to the first dot, as rsyslog does). */
  hostname: string;
  files: MonitoredFile[];
  actions: ForwardAction[];
  /**
   * rsyslog's default ruleset in config order: selectors, property filters, `if`/`else`, `stop` and the actions
   * (indices into `actions`). Undefined: each action gets the lines its selector matches (see routing-rules.ts).
   */
  rules?: RuleStatement[];
  queue: QueueSettings;
  /** Warnings (and, when the config is unusable, errors) found while reading it. */
  diagnostics: Diagnostic[];
}
