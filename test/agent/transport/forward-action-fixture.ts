// Shared by the transport and queue tests: a forwarding action to 127.0.0.1, fast reconnect tuning, and ranges.

import type { ForwardAction, TcpFraming, TlsSettings } from '../../../agent/config/agent-config';

/** A `*.*` action to 127.0.0.1:port, as the config reader would build it. */
export function forwardAction(protocol: ForwardAction['protocol'], port: number, framing: TcpFraming = 'lf', tls?: TlsSettings): ForwardAction {
  return {
    selector: [{ facility: '*', severity: '*', comparison: 'at-or-above' }],
    protocol,
    host: '127.0.0.1',
    port,
    framing,
    template: 'RSYSLOG_TraditionalForwardFormat',
    tls,
    where: { file: 'test.conf', line: 1 },
  };
}

/** Reconnect quickly so collector-down tests stay short. */
export const FAST_RECONNECT = { backoff: { initialMs: 50, maxMs: 300 }, connectTimeoutMs: 2000 };

/** [from, to) as an array of numbers. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
