// Builds the transport for one forwarding action (the only place that maps a ForwardAction's protocol to a class).

import type { ForwardAction, TlsSettings } from '../config/agent-config';
import type { Logger } from '../../src/core/logger';
import type { BackoffOptions } from './backoff';
import { RelpTransport } from './relp-transport';
import { hostForUrl, TcpTransport } from './tcp-transport';
import { TlsTransport } from './tls-transport';
import type { Transport } from './transport';
import { UdpTransport } from './udp-transport';

export interface TransportTuning {
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
}

/** What a `tls` action without TLS settings does: verify the collector against the system CAs and the host name. */
const VERIFY_WITH_SYSTEM_CAS: TlsSettings = { verifyPeer: true, permittedPeers: [] };

/**
 * The TLS settings the action's transport uses, or undefined for clear text. RELP is over TLS only when the action
 * gives settings (omrelp tls="on").
 */
export function effectiveTlsSettings(action: ForwardAction): TlsSettings | undefined {
  return action.tls ?? (action.protocol === 'tls' ? VERIFY_WITH_SYSTEM_CAS : undefined);
}

/** The action's destination as its transport names itself (`relp+tls://collector:2514`). */
export function destinationName(action: ForwardAction): string {
  const scheme = action.protocol === 'relp' && action.tls ? 'relp+tls' : action.protocol;
  return `${scheme}://${hostForUrl(action.host)}:${action.port}`;
}

export function createTransport(action: ForwardAction, logger: Logger, tuning: TransportTuning = {}): Transport {
  const log = logger.child('transport');
  const stream = { framing: action.framing, logger: log, backoff: tuning.backoff, connectTimeoutMs: tuning.connectTimeoutMs };
  switch (action.protocol) {
    case 'udp':
      return new UdpTransport(action.host, action.port, log);
    case 'tcp':
      return new TcpTransport(action.host, action.port, stream);
    case 'tls':
      return new TlsTransport(action.host, action.port, action.tls ?? VERIFY_WITH_SYSTEM_CAS, stream);
    case 'relp':
      // Undefined relpWindow: the transport's default, librelp's 128.
      // action.tls present (omrelp tls="on", or tls settings on a JSON relp action): RELP over TLS.
      return new RelpTransport(action.host, action.port, { ...stream, window: action.relpWindow, tls: action.tls });
  }
}
