// Zeek's notice framework (base/frameworks/notice/main.zeek), the part a sensor without email or a cluster needs:
// NOTICE() fills the defaults (ts, uid and id from the connection, src/dst/p from the id, proto from p,
// Notice::ACTION_LOG, suppress_for = 1 h), writes notice.log, and suppresses a notice with an identifier for its
// suppress_for seconds of network time after it was raised (notices without an identifier are never suppressed).

import type { LogSchema } from '../../logs/log-schema';
import type { SharedState } from '../shared-state';
import { NoticeInfo, noticeLog } from './notice-log';

/** Zeek's Notice::default_suppression_interval. */
export const DEFAULT_SUPPRESSION_SECONDS = 3600;

/** What raising a notice needs from its caller (an analyzer's ConnectionContext has all of it). */
export interface NoticeSink {
  readonly shared: SharedState;
  readonly networkTimeMicros: number;
  log<R>(schema: LogSchema<R>, record: R): void;
}

/** The connection a notice is about. */
export interface NoticeConnection {
  uid: string;
  proto: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
}

/** What a script passes to NOTICE(): the note and what it knows; the rest is filled in. */
export interface NoticeRequest {
  note: string;
  msg?: string;
  sub?: string;
  src?: string;
  dst?: string;
  p?: number;
  /** Transport of p when there is no connection. */
  proto?: string;
  n?: number;
  conn?: NoticeConnection;
  /** Notices with the same note and identifier are suppressed for suppress_for after the first. */
  identifier?: string;
  suppressFor?: number;
}

/** Suppressed (note, identifier) pairs kept before expired ones are swept. */
const SWEEP_AT = 10_000;

export class NoticeFramework {
  /** `note \0 identifier` → network time (seconds) the suppression ends. */
  private readonly suppressing = new Map<string, number>();
  /** Notices written and notices suppressed, for tests and status. */
  logged = 0;
  suppressed = 0;

  constructor(shared: SharedState) {
    shared.onEndOfInput(() => this.suppressing.clear());
  }

  /** Zeek's NOTICE(): true when the notice was logged, false when it was suppressed. */
  raise(sink: NoticeSink, req: NoticeRequest): boolean {
    const now = sink.networkTimeMicros / 1e6;
    const key = req.identifier === undefined ? undefined : `${req.note}\0${req.identifier}`;
    if (key !== undefined) {
      const until = this.suppressing.get(key);
      if (until !== undefined && now < until) {
        this.suppressed++;
        return false;
      }
    }
    const info: NoticeInfo = {
      tsMicros: sink.networkTimeMicros,
      note: req.note,
      msg: req.msg,
      sub: req.sub,
      src: req.src,
      dst: req.dst,
      p: req.p,
      proto: req.proto,
      n: req.n,
      actions: ['Notice::ACTION_LOG'],
      emailDest: [],
      suppressFor: req.suppressFor ?? DEFAULT_SUPPRESSION_SECONDS,
    };
    const c = req.conn;
    if (c !== undefined) {
      info.uid = c.uid;
      info.id = { origAddr: c.origAddr, origPort: c.origPort, respAddr: c.respAddr, respPort: c.respPort };
      info.src ??= c.origAddr;
      info.dst ??= c.respAddr;
      if (info.p === undefined) {
        info.p = c.respPort;
        info.proto = c.proto;
      }
    }
    sink.log(noticeLog, info);
    this.logged++;
    if (key !== undefined && info.suppressFor > 0) {
      if (this.suppressing.size >= SWEEP_AT) this.sweep(now);
      this.suppressing.set(key, now + info.suppressFor);
    }
    return true;
  }

  private sweep(now: number): void {
    for (const [k, until] of this.suppressing) if (until <= now) this.suppressing.delete(k);
  }
}

const frameworks = new WeakMap<SharedState, NoticeFramework>();

/** The notice framework of the run `shared` belongs to. */
export function noticeFramework(shared: SharedState): NoticeFramework {
  let f = frameworks.get(shared);
  if (f === undefined) {
    f = new NoticeFramework(shared);
    frameworks.set(shared, f);
  }
  return f;
}
