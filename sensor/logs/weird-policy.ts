// Which weirds become weird.log rows, as Zeek decides it: the core's rate limiting (Reporter.cc / WeirdState.cc
// sampling per name, per address pair and per connection) followed by the script policy of
// scripts/base/frameworks/notice/weird.zeek (actions, did_log, weird_ignore). Every table it keeps is bounded.

import type { WeirdRecord } from '../flows/conn-record';

/** Weird::Action from weird.zeek (ACTION_UNSPECIFIED behaves as `log`). */
export type WeirdAction =
  | 'ignore'
  | 'log'
  | 'log_once'
  | 'log_per_conn'
  | 'log_per_orig'
  | 'notice'
  | 'notice_once'
  | 'notice_per_conn'
  | 'notice_per_orig';

/** Weird::actions at the commit the conformance cases come from; a name not listed gets `log`. */
export const ZEEK_WEIRD_ACTIONS: ReadonlyMap<string, WeirdAction> = new Map<string, WeirdAction>([
  ...names('ignore', 'unsolicited_SYN_response FIN_after_reset spontaneous_FIN spontaneous_RST'),
  ...names(
    'log_per_orig',
    'bad_ICMP_checksum bad_RPC bad_TCP_checksum bad_UDP_checksum connection_originator_SYN_ack ' +
      'DNS_label_forward_compress_offset DNS_label_len_gt_name_len DNS_label_len_gt_pkt DNS_label_too_long excess_RPC ' +
      'originator_RPC_reply partial_RPC responder_RPC_call SYN_with_data UDP_datagram_length_mismatch ' +
      'excessively_small_fragment fragment_inconsistency fragment_overlap fragment_size_inconsistency bad_IP_checksum ' +
      'SSH_max_packet_length_exceeded SSH_max_string_length_exceeded',
  ),
  ...names(
    'log_per_conn',
    'FTP_max_command_length_exceeded FTP_too_many_pending_commands FTP_user_too_long FTP_reply_msg_too_long ' +
      'FTP_arg_too_long FTP_password_too_long simultaneous_open smtp_mail_transaction_invalid ' +
      'smtp_excessive_invalid_mail_transactions smb_tree_connect_andx_response_without_tree',
  ),
  ...names('notice_per_orig', 'FIN_storm successful_RPC_reply_to_invalid_request SYN_after_partial'),
]);

/** Weird::weird_do_not_ignore_repeats: checksum weirds are never put on the 10-minute ignore list. */
export const ZEEK_WEIRD_DO_NOT_IGNORE_REPEATS: ReadonlySet<string> = new Set([
  'bad_IP_checksum',
  'bad_TCP_checksum',
  'bad_UDP_checksum',
  'bad_ICMP_checksum',
]);

export interface WeirdPolicyOptions {
  /** Weird::sampling_threshold: events of one name (per scope) let through before sampling starts. */
  samplingThreshold: number;
  /** Weird::sampling_rate: past the threshold, one in this many gets through; 0 lets none through. */
  samplingRate: number;
  /** Weird::sampling_duration (seconds): how long a scope's counters live before they reset. */
  samplingDurationSec: number;
  /** Weird::sampling_whitelist: names never rate-limited. */
  samplingWhitelist: ReadonlySet<string>;
  /** Weird::sampling_global_list: names rate-limited by name alone, not per flow or connection. */
  samplingGlobalList: ReadonlySet<string>;
  /** Weird::actions (overrides merge over Zeek's table). */
  actions: ReadonlyMap<string, WeirdAction>;
  doNotIgnoreRepeats: ReadonlySet<string>;
  /** weird_ignore's &create_expire (seconds). */
  ignoreRepeatsSec: number;
  /** did_log's and did_notice's &create_expire (seconds). */
  didLogSec: number;
  /** Cap on entries in each table this policy keeps (a hostile capture cannot grow memory past it). */
  maxTrackedKeys: number;
}

/** Zeek's defaults (init-bare.zeek and weird.zeek at zeek/zeek a13de64: sampling_threshold is 25, not 1000). */
export const ZEEK_WEIRD_POLICY_DEFAULTS: WeirdPolicyOptions = {
  samplingThreshold: 25,
  samplingRate: 1000,
  samplingDurationSec: 600,
  samplingWhitelist: new Set(),
  samplingGlobalList: new Set(),
  actions: ZEEK_WEIRD_ACTIONS,
  doNotIgnoreRepeats: ZEEK_WEIRD_DO_NOT_IGNORE_REPEATS,
  ignoreRepeatsSec: 600,
  didLogSec: 86_400,
  maxTrackedKeys: 100_000,
};

export interface WeirdPolicyStats {
  /** Weirds handed to report(). */
  reported: number;
  /** Dropped by the core's sampling (never reached the script policy). */
  sampledOut: number;
  /** Dropped by the script policy (ignore action, did_log, weird_ignore). */
  suppressed: number;
  /** Rows written. */
  logged: number;
}

/**
 * Decides per weird whether it is logged, then writes it (with `notice` set for notice actions). The kind of weird
 * follows the record: a uid makes it a conn weird, addresses without a uid a flow weird (ports 0), neither a net weird.
 */
export class WeirdPolicy {
  private readonly opts: WeirdPolicyOptions;
  /** Core sampling: per name (net weirds and the global list); per address pair; per connection uid. */
  private readonly netCounts: ExpiringTable<number>;
  private readonly flowCounts: ExpiringTable<Map<string, number>>;
  private readonly connCounts = new BoundedMap<Map<string, SamplingState>>();
  /** Script state: did_log / did_notice and weird_ignore, keyed `name \0 identifier`. */
  private readonly didLog: ExpiringTable<true>;
  private readonly ignored: ExpiringTable<true>;
  private readonly counters: WeirdPolicyStats = { reported: 0, sampledOut: 0, suppressed: 0, logged: 0 };
  private readonly keys = new LastKeys();

  /**
   * `write` gets the rows to log; `permitted`, when given, sees every weird the core's sampling lets through, whatever
   * the script policy then does with it (Zeek's conn_weird / flow_weird / net_weird events, which scripts such as the
   * checksum-offloading check count).
   */
  constructor(
    private readonly write: (rec: WeirdRecord) => void,
    options: Partial<WeirdPolicyOptions> = {},
    private readonly permitted?: (rec: WeirdRecord) => void,
  ) {
    const actions = options.actions
      ? new Map([...ZEEK_WEIRD_ACTIONS, ...options.actions])
      : ZEEK_WEIRD_ACTIONS;
    this.opts = { ...ZEEK_WEIRD_POLICY_DEFAULTS, ...options, actions };
    const max = this.opts.maxTrackedKeys;
    this.netCounts = new ExpiringTable(this.opts.samplingDurationSec, max);
    this.flowCounts = new ExpiringTable(this.opts.samplingDurationSec, max);
    this.connCounts.max = max;
    this.didLog = new ExpiringTable(this.opts.didLogSec, max);
    this.ignored = new ExpiringTable(this.opts.ignoreRepeatsSec, max);
  }

  /** One weird as reported by the decoder or the connection tracker; returns whether a row was written. */
  report(rec: WeirdRecord): boolean {
    this.counters.reported++;
    const now = rec.tsSec + rec.tsUsec / 1e6;
    if (!this.permittedByCore(rec, now)) {
      this.counters.sampledOut++;
      return false;
    }
    this.permitted?.(rec);
    if (!this.permittedByScript(rec, now)) {
      this.counters.suppressed++;
      return false;
    }
    this.counters.logged++;
    this.write(rec);
    return true;
  }

  /** The connection is gone: its sampling counters go with it, as Zeek's live with the Connection object. */
  connectionEnded(uid: string): void {
    this.connCounts.delete(uid);
  }

  get stats(): WeirdPolicyStats {
    return { ...this.counters };
  }

  /** Entries held across every table (for the memory bound). */
  trackedKeys(): number {
    return this.netCounts.size + this.flowCounts.size + this.connCounts.size + this.didLog.size + this.ignored.size;
  }

  /** Reporter::Weird: whitelist, global list, then the per-kind sampler. */
  private permittedByCore(rec: WeirdRecord, now: number): boolean {
    const name = rec.name;
    if (this.opts.samplingWhitelist.has(name)) return true;
    const isNet = rec.uid === undefined && rec.origAddr === undefined;
    if (isNet || this.opts.samplingGlobalList.has(name)) return this.permitNet(name, now);
    if (rec.uid === undefined) return this.permitFlow(name, `${rec.origAddr} ${rec.respAddr}`, now);
    return this.permitConn(rec.uid, name, now);
  }

  /** Reporter::PermitNetWeird: one counter per name, all reset `duration` after the first. */
  private permitNet(name: string, now: number): boolean {
    const count = (this.netCounts.get(name, now) ?? 0) + 1;
    this.netCounts.set(name, count, now);
    return this.pastThresholdPermits(count);
  }

  /** Reporter::PermitFlowWeird: counters per address pair and name, the pair's table reset `duration` after it began. */
  private permitFlow(name: string, pair: string, now: number): boolean {
    let byName = this.flowCounts.get(pair, now);
    if (byName === undefined) {
      byName = new Map();
      this.flowCounts.set(pair, byName, now);
    }
    const count = (byName.get(name) ?? 0) + 1;
    byName.set(name, count);
    return this.pastThresholdPermits(count);
  }

  /** WeirdState.cc PermitWeird: per connection and name; sampling restarts once `duration` has passed since it began. */
  private permitConn(uid: string, name: string, now: number): boolean {
    let byName = this.connCounts.get(uid);
    if (byName === undefined) {
      byName = new Map();
      this.connCounts.set(uid, byName);
    }
    let state = byName.get(name);
    if (state === undefined) {
      state = { count: 0, samplingStart: 0 };
      byName.set(name, state);
    }
    state.count++;
    const threshold = this.opts.samplingThreshold;
    if (state.count <= threshold) return true;
    if (state.count === threshold + 1) state.samplingStart = now;
    else if (now > state.samplingStart + this.opts.samplingDurationSec) {
      state.samplingStart = 0;
      state.count = 1;
      return true;
    }
    return this.pastThresholdPermits(state.count);
  }

  private pastThresholdPermits(count: number): boolean {
    const threshold = this.opts.samplingThreshold;
    if (count <= threshold) return true;
    const rate = this.opts.samplingRate;
    return rate > 0 && (count - threshold) % rate === 0;
  }

  /** weird.zeek's do_weird(): the action, weird_ignore, did_log / did_notice, notice marking. */
  private permittedByScript(rec: WeirdRecord, now: number): boolean {
    const name = rec.name;
    const action = this.opts.actions.get(name) ?? 'log';
    if (action === 'ignore') return false;
    const identifier = this.keys.identifier(rec);
    const ignoreKey = this.keys.ignoreKey(name, identifier);
    if (this.ignored.get(ignoreKey, now) !== undefined) return false;
    if (action !== 'log' && action !== 'notice') {
      // Limiting actions: once per identifier (per connection), per originator, or once in all.
      let limitBy = identifier;
      if ((action === 'log_per_orig' || action === 'notice_per_orig') && rec.origAddr !== undefined) limitBy = rec.origAddr;
      else if (action === 'log_once' || action === 'notice_once') limitBy = '';
      // did_log and did_notice are separate sets in Zeek; the action decides which one a name uses.
      const limitKey = `${action.startsWith('notice') ? 'n' : 'l'}\0${name}\0${limitBy}`;
      if (this.didLog.get(limitKey, now) !== undefined) return false;
      this.didLog.set(limitKey, true, now);
    }
    if (action.startsWith('notice')) rec.notice = true;
    if (!this.opts.doNotIgnoreRepeats.has(name)) this.ignored.set(ignoreKey, true, now);
    return true;
  }
}

/** Weird::Info$identifier: id_string(conn id) for conn weirds, "src -> dst" for flow weirds, empty for net weirds. */
function weirdIdentifier(rec: WeirdRecord): string {
  if (rec.origAddr === undefined) return '';
  if (rec.uid === undefined) return `${rec.origAddr} -> ${rec.respAddr}`;
  return `${rec.origAddr}:${rec.origPort} > ${rec.respAddr}:${rec.respPort}`;
}

/**
 * The identifier and weird_ignore key of the previous weird, reused when the next one has the same flow and name (a
 * connection's weirds mostly come in a row): a repeat then builds no strings, and the table lookups hash a string whose
 * hash V8 has already cached.
 */
class LastKeys {
  private uid: string | undefined;
  private origAddr: string | undefined;
  private origPort: number | undefined;
  private respAddr: string | undefined;
  private respPort: number | undefined;
  /** The identifier of a weird with no flow at all: right for the fields' starting values. */
  private lastIdentifier = '';
  private name = '';
  private keyIdentifier = '';
  private lastIgnoreKey = '';

  identifier(rec: WeirdRecord): string {
    if (rec.uid !== this.uid || rec.origAddr !== this.origAddr || rec.origPort !== this.origPort ||
        rec.respAddr !== this.respAddr || rec.respPort !== this.respPort) {
      this.uid = rec.uid;
      this.origAddr = rec.origAddr;
      this.origPort = rec.origPort;
      this.respAddr = rec.respAddr;
      this.respPort = rec.respPort;
      this.lastIdentifier = weirdIdentifier(rec);
    }
    return this.lastIdentifier;
  }

  ignoreKey(name: string, identifier: string): string {
    // '' until the first key is made (a real key always contains the \0).
    if (name !== this.name || identifier !== this.keyIdentifier || this.lastIgnoreKey === '') {
      this.name = name;
      this.keyIdentifier = identifier;
      this.lastIgnoreKey = `${name}\0${identifier}`;
    }
    return this.lastIgnoreKey;
  }
}

interface SamplingState {
  count: number;
  samplingStart: number;
}

/**
 * A table whose entries expire a fixed time after creation (Zeek's &create_expire, on network time) and which never
 * holds more than `max` entries: past that, the oldest entry goes first. Insertion order is creation order, so expiry
 * only ever looks at the front.
 */
class ExpiringTable<V> {
  private readonly entries = new Map<string, { created: number; value: V }>();

  constructor(
    private readonly ttlSec: number,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (now >= e.created + this.ttlSec) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Sets a value; an existing live entry keeps its creation time (counters reset with the entry, not per update). */
  set(key: string, value: V, now: number): void {
    const e = this.entries.get(key);
    if (e !== undefined && now < e.created + this.ttlSec) {
      e.value = value;
      return;
    }
    if (e !== undefined) this.entries.delete(key);
    this.expireFront(now);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { created: now, value });
  }

  private expireFront(now: number): void {
    // Bounded by the entries that actually expired; each is removed once.
    for (const [key, e] of this.entries) {
      if (now < e.created + this.ttlSec) break;
      this.entries.delete(key);
    }
  }
}

/** A Map that evicts its oldest entry past `max` (per-connection state whose owner never ended). */
class BoundedMap<V> extends Map<string, V> {
  max = Number.MAX_SAFE_INTEGER;

  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

function names(action: WeirdAction, list: string): [string, WeirdAction][] {
  return list.split(' ').map((n) => [n, action]);
}
