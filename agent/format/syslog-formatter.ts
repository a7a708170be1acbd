// Turns one line read from a monitored file into the exact bytes rsyslog 8's omfwd sends for it, in the
// three built-in forward templates. Runs once per line, so the header is cached per second and written once.
//
// Facts measured against Debian 12's rsyslogd 8.2302.0 (imfile -> omfwd to a raw 127.0.0.1 listener; the
// reference harness is test/helpers/rsyslog-reference.ts, the assertions test/agent/format/):
// - RSYSLOG_TraditionalForwardFormat = `<PRI>Mmm dd hh:mm:ss HOST TAG32[SP]MSG`: local time of the
//   rsyslogd process (TZ), month in English, day space-padded ("Nov  3"); TAG32 is the configured tag cut to
//   its first 32 bytes (`%syslogtag:1:32%`), no colon added; one SP is inserted only when MSG does not
//   already start with SP (`sp-if-no-1st-sp`: " x" -> "tag: x", not "tag:  x").
// - RSYSLOG_ForwardFormat: same, with an RFC 3339 local timestamp with 6 fraction digits and a numeric offset
//   (`2026-11-23T09:24:33.057453-05:00`, `+00:00` for UTC, never `Z`). A JS Date has milliseconds: callers pass
//   the microseconds beyond it separately (precise-clock.ts), else the last three fraction digits are `000`.
// - RSYSLOG_SyslogProtocol23Format = `<PRI>1 TS HOST APP-NAME PROCID - - MSG\n` (the template ends with LF; MSG
//   is not space-adjusted). APP-NAME is the tag up to the first ':', '[', '/' or non-printable byte, not cut
//   at 48 ("tag with space:" -> "tag with space"); PROCID is what stands inside "[...]" ("bro[123]:" ->
//   "bro 123"), else "-"; empty fields are "-".
// - The whole formatted message (header and, for Protocol23, the final LF) is cut to $MaxMessageSize bytes;
//   the rest of a longer line is dropped, not sent as a second message.
// - imfile passes the line's bytes through untouched: TAB, other control bytes (0x01, 0x7f), NUL, CR before
//   the LF, invalid UTF-8. No `#011` escaping happens on the sending side (that is an input parser option).
// - imfile never sends an empty line, and holds a last line without LF until its LF is written (the tailer's
//   job; see the report). The PRI is facility*8+severity of the input (local7.info -> 190).

import type { ForwardTemplate } from '../config/agent-config';

export interface SyslogMessageFields {
  facility: number;
  severity: number;
  time: Date;
  /** 0..999: microseconds beyond `time`'s milliseconds (default 0), for the 6-digit fraction of the RFC 3339 templates. */
  micros?: number;
  hostname: string;
  tag: string;
  msg: Buffer;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SPACE = 0x20;
const LF = 0x0a;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad(n: number, width: number): string {
  let s = String(n);
  while (s.length < width) s = `0${s}`;
  return s;
}

/** `Nov 23 14:24:03` / `Nov  3 04:05:06` in the process's local time zone. */
export function rfc3164Timestamp(time: Date): string {
  const day = time.getDate();
  const dd = day < 10 ? ` ${day}` : String(day);
  return `${MONTHS[time.getMonth()]} ${dd} ${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())}`;
}

/** The local UTC offset as rsyslog writes it: `+00:00`, `-05:00`, `+05:30`. */
function rfc3339Offset(time: Date): string {
  const minutesEast = -time.getTimezoneOffset();
  const sign = minutesEast < 0 ? '-' : '+';
  const abs = Math.abs(minutesEast);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** `2026-11-23T09:24:33` (local time, no fraction, no offset). */
function rfc3339Seconds(time: Date): string {
  return `${pad(time.getFullYear(), 4)}-${pad2(time.getMonth() + 1)}-${pad2(time.getDate())}T${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())}`;
}

/** rsyslog's `%syslogtag:1:32%`: the first 32 bytes of the tag. */
function truncatedTag(tag: string): Buffer {
  const bytes = Buffer.from(tag, 'utf8');
  return bytes.length > 32 ? bytes.subarray(0, 32) : bytes;
}

/** APP-NAME and PROCID as rsyslog derives them from an imfile tag. */
export function appNameAndProcId(tag: string): { appName: string; procId: string } {
  let end = 0;
  while (end < tag.length) {
    const c = tag.charCodeAt(end);
    if (c === 0x3a /* : */ || c === 0x5b /* [ */ || c === 0x2f /* / */ || c < 0x20 || c === 0x7f) break;
    end++;
  }
  const appName = end > 0 ? tag.slice(0, end) : '-';
  let procId = '-';
  if (tag.charCodeAt(end) === 0x5b) {
    const close = tag.indexOf(']', end + 1);
    const inside = close < 0 ? tag.slice(end + 1) : tag.slice(end + 1, close);
    if (inside.length > 0) procId = inside;
  }
  return { appName, procId };
}

/**
 * Formats lines of one source (fixed template, PRI, hostname and tag) into rsyslog's bytes. Keeps the header of
 * the current second, so the per-line cost is one allocation and two copies.
 */
export class SyslogFormatter {
  private readonly pri: string;
  private readonly tagBytes: Buffer;
  private readonly appName: string;
  private readonly procId: string;
  private readonly hasFraction: boolean;
  private readonly spaceIfNoFirstSpace: boolean;
  private readonly finalLf: boolean;
  private cachedSecond = Number.NaN;
  /** Header bytes of the cached second before the fraction digits (the whole header when there is none). */
  private cachedHead: Buffer = Buffer.alloc(0);
  /** Header bytes after the fraction digits (Traditional: the tag). */
  private cachedTail: Buffer = Buffer.alloc(0);

  constructor(
    readonly template: ForwardTemplate,
    readonly facility: number,
    readonly severity: number,
    readonly hostname: string,
    readonly tag: string,
    readonly maxMessageSize: number,
  ) {
    this.pri = `<${facility * 8 + severity}>`;
    this.tagBytes = truncatedTag(tag);
    const ids = appNameAndProcId(tag);
    this.appName = ids.appName;
    this.procId = ids.procId;
    this.hasFraction = template !== 'RSYSLOG_TraditionalForwardFormat';
    this.spaceIfNoFirstSpace = template !== 'RSYSLOG_SyslogProtocol23Format';
    this.finalLf = template === 'RSYSLOG_SyslogProtocol23Format';
  }

  /** `micros` (0..999) are the microseconds beyond `time`'s milliseconds; Traditional format ignores them. */
  format(time: Date, msg: Buffer, micros = 0): Buffer {
    const ms = time.getTime();
    const second = Math.floor(ms / 1000);
    if (second !== this.cachedSecond) this.buildHeader(time, second);
    const head = this.cachedHead;
    const tail = this.cachedTail;
    const fractionLen = this.hasFraction ? 6 : 0;
    const sp = this.spaceIfNoFirstSpace && (msg.length === 0 || msg[0] !== SPACE) ? 1 : 0;
    const fullLen = head.length + fractionLen + tail.length + sp + msg.length + (this.finalLf ? 1 : 0);
    const out = Buffer.allocUnsafe(fullLen);
    let o = head.copy(out, 0);
    if (fractionLen > 0) {
      // Six ASCII digits of the microsecond fraction: milliseconds from the Date, the rest from `micros`.
      const millis = ms - second * 1000;
      // Out-of-range or fractional input must not turn into non-digit bytes.
      const us = micros >= 0 && micros < 1000 ? Math.floor(micros) : 0;
      out[o++] = 0x30 + Math.floor(millis / 100);
      out[o++] = 0x30 + (Math.floor(millis / 10) % 10);
      out[o++] = 0x30 + (millis % 10);
      out[o++] = 0x30 + Math.floor(us / 100);
      out[o++] = 0x30 + (Math.floor(us / 10) % 10);
      out[o++] = 0x30 + (us % 10);
    }
    o += tail.copy(out, o);
    if (sp) out[o++] = SPACE;
    o += msg.copy(out, o);
    if (this.finalLf) out[o++] = LF;
    return fullLen > this.maxMessageSize ? out.subarray(0, this.maxMessageSize) : out;
  }

  private buildHeader(time: Date, second: number): void {
    this.cachedSecond = second;
    const host = this.hostname.length > 0 ? this.hostname : '-';
    switch (this.template) {
      case 'RSYSLOG_TraditionalForwardFormat':
        this.cachedHead = Buffer.from(`${this.pri}${rfc3164Timestamp(time)} ${host} `);
        this.cachedTail = this.tagBytes;
        break;
      case 'RSYSLOG_ForwardFormat':
        this.cachedHead = Buffer.from(`${this.pri}${rfc3339Seconds(time)}.`);
        this.cachedTail = Buffer.concat([Buffer.from(`${rfc3339Offset(time)} ${host} `), this.tagBytes]);
        break;
      case 'RSYSLOG_SyslogProtocol23Format':
        this.cachedHead = Buffer.from(`${this.pri}1 ${rfc3339Seconds(time)}.`);
        this.cachedTail = Buffer.from(`${rfc3339Offset(time)} ${host} ${this.appName} ${this.procId} - - `);
        break;
    }
  }
}

// One-shot API: keeps a small set of recently used per-source formatters so callers that do not hold a
// SyslogFormatter still get the per-second header cache.
const RECENT_LIMIT = 32;
const recent: SyslogFormatter[] = [];

export function formatSyslogMessage(template: ForwardTemplate, m: SyslogMessageFields, maxMessageSize: number): Buffer {
  let f: SyslogFormatter | undefined;
  for (let i = 0; i < recent.length; i++) {
    const r = recent[i];
    if (
      r.template === template &&
      r.facility === m.facility &&
      r.severity === m.severity &&
      r.maxMessageSize === maxMessageSize &&
      r.hostname === m.hostname &&
      r.tag === m.tag
    ) {
      f = r;
      break;
    }
  }
  if (!f) {
    f = new SyslogFormatter(template, m.facility, m.severity, m.hostname, m.tag, maxMessageSize);
    if (recent.length >= RECENT_LIMIT) recent.shift();
    recent.push(f);
  }
  return f.format(m.time, m.msg, m.micros ?? 0);
}
