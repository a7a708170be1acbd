// Builds the transport for one forwarding action (the only place that maps a ForwardAction's protocol to a class).

import type { ForwardAction } from '../config/agent-config';
import type { Logger } from '../../src/core/logger';
import type { BackoffOptions } from './backoff';
import { RelpTransport } from './relp-transport';
import { TcpTransport } from './tcp-transport';
import { TlsTransport } from './tls-transport';
import type { Transport } from './transport';
import { UdpTransport } from './udp-transport';

export interface TransportTuning {
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
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
      return new TlsTransport(action.host, action.port, action.tls ?? { verifyPeer: true, permittedPeers: [] }, stream);
    case 'relp':
      // Undefined relpWindow: the transport's default, librelp's 128.
      // action.tls present (omrelp tls="on", or tls settings on a JSON relp action): RELP over TLS.
      return new RelpTransport(action.host, action.port, { ...stream, window: action.relpWindow, tls: action.tls });
  }
}
