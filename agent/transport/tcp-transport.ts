// Plain TCP syslog (rsyslog omfwd protocol="tcp"): LF framing by default, RFC 6587 octet counting on request.

import * as net from 'net';
import { DEFAULT_STREAM_BATCHES_IN_FLIGHT, StreamSocketTransport, type StreamTransportOptions } from './stream-socket-transport';

export class TcpTransport extends StreamSocketTransport {
  readonly name: string;
  protected readonly readyEvent = 'connect';
  readonly maxBatchesInFlight = DEFAULT_STREAM_BATCHES_IN_FLIGHT;

  constructor(
    readonly host: string,
    readonly port: number,
    options: StreamTransportOptions,
  ) {
    super(options);
    this.name = `tcp://${hostForUrl(host)}:${port}`;
  }

  protected openSocket(): net.Socket {
    return net.connect({ host: this.host, port: this.port });
  }
}

/** IPv6 literals go in brackets in names such as `tcp://[::1]:514`. */
export function hostForUrl(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}
