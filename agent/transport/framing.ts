// Syslog-over-stream framing: LF termination (rsyslog's default "traditional" framing) and RFC 6587 octet
// counting (`LEN SP MSG`), plus a streaming deframer that undoes either, for tests and collectors.
//
// As rsyslog's omfwd does: LF framing appends an LF only when the message does not already end with one
// (RSYSLOG_SyslogProtocol23Format ends with LF, which then is the frame end); octet counting counts every
// byte of the message, a final LF included, and adds nothing after it.

import type { TcpFraming } from '../config/agent-config';

const LF = 0x0a;
const SPACE = 0x20;

function frameLength(message: Buffer, framing: TcpFraming): number {
  if (framing === 'lf') return message.length + (message.length > 0 && message[message.length - 1] === LF ? 0 : 1);
  return decimalLength(message.length) + 1 + message.length;
}

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Frames a batch of messages into one Buffer, ready for one socket write. */
export function frameMessages(messages: readonly Buffer[], framing: TcpFraming): Buffer {
  let total = 0;
  for (const m of messages) total += frameLength(m, framing);
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const m of messages) {
    if (framing === 'octet-counted') {
      o += out.write(String(m.length), o, 'latin1');
      out[o++] = SPACE;
      o += m.copy(out, o);
    } else {
      o += m.copy(out, o);
      if (m.length === 0 || m[m.length - 1] !== LF) out[o++] = LF;
    }
  }
  return out;
}

export function frameMessage(message: Buffer, framing: TcpFraming): Buffer {
  return frameMessages([message], framing);
}

/**
 * Splits a byte stream back into messages. Feed chunks split anywhere; complete messages come out in order.
 * LF framing yields the bytes before each LF; octet counting yields exactly LEN bytes after `LEN SP`.
 * A malformed octet count is reported by throwing (the stream can no longer be resynchronised).
 */
export class StreamDeframer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(readonly framing: TcpFraming) {}

  push(chunk: Buffer): Buffer[] {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let start = 0;
    if (this.framing === 'lf') {
      for (;;) {
        const lf = data.indexOf(LF, start);
        if (lf < 0) break;
        out.push(Buffer.from(data.subarray(start, lf)));
        start = lf + 1;
      }
    } else {
      for (;;) {
        const sp = data.indexOf(SPACE, start);
        if (sp < 0) {
          if (data.length - start > 10) throw new Error(`octet-counted frame without SP after ${data.length - start} bytes`);
          break;
        }
        const digits = data.toString('latin1', start, sp);
        if (!/^[1-9][0-9]{0,9}$/.test(digits)) throw new Error(`invalid octet count ${JSON.stringify(digits)}`);
        const len = Number(digits);
        if (data.length < sp + 1 + len) break;
        out.push(Buffer.from(data.subarray(sp + 1, sp + 1 + len)));
        start = sp + 1 + len;
      }
    }
    this.pending = Buffer.from(data.subarray(start));
    return out;
  }

  /** Bytes received after the last complete message. */
  get remainder(): Buffer {
    return this.pending;
  }
}
