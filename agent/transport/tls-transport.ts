// Syslog over TLS (RFC 5425; rsyslog omfwd with StreamDriver="gtls"). The framing is the action's: rsyslog's gtls
// omfwd sends LF framing unless TCP_Framing="octet-counted" is set (measured with 8.2302), although RFC 5425
// asks for octet counting; nsm matches rsyslog so the collector sees the same bytes.
// The collector's certificate is verified by default: chain against caFile, then its name against the
// permitted peers (rsyslog StreamDriverPermittedPeers; `*.example.org` wildcards), else against the host.
// x509/certvalid (omrelp tls.authMode="certvalid") verifies the chain only, as rsyslog's gtls driver and librelp do:
// any certificate the CA signed is accepted, whatever its name.
// Nothing is written before the handshake and verification succeed, so a failed check never leaks a line.

import * as fs from 'fs';
import * as net from 'net';
import type * as tls from 'tls';
import type { TlsSettings } from '../config/agent-config';
import { DEFAULT_STREAM_BATCHES_IN_FLIGHT, StreamSocketTransport, type StreamTransportOptions } from './stream-socket-transport';
import { hostForUrl } from './tcp-transport';

export class TlsTransport extends StreamSocketTransport {
  readonly name: string;
  protected readonly readyEvent = 'secureConnect';
  readonly maxBatchesInFlight = DEFAULT_STREAM_BATCHES_IN_FLIGHT;
  // The kernel counts ciphertext: a write is confirmed once the kernel holds nothing unacknowledged.
  protected override readonly confirmation = 'drained' as const;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly tlsSettings: TlsSettings,
    options: StreamTransportOptions,
  ) {
    super(options);
    this.name = `tls://${hostForUrl(host)}:${port}`;
  }

  protected openSocket(): net.Socket {
    return connectTls(this.host, this.port, this.tlsSettings);
  }

  protected override describeError(err: Error): string {
    return describeTlsError(err);
  }
}

/**
 * Starts a TLS connection to the collector with the action's settings (shared by syslog over TLS and RELP over TLS);
 * the socket emits 'secureConnect' only after the chain and name checks pass.
 */
/**
 * Node's tls module, loaded at the first TLS connection: an agent without TLS actions is about 1 MB smaller
 * (resident) without it.
 */
function tlsModule(): typeof tls {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('tls') as typeof tls;
}

export function connectTls(host: string, port: number, s: TlsSettings): tls.TLSSocket {
  const { connect, checkServerIdentity } = tlsModule();
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} file ${file}: ${(err as Error).message}`);
    }
  };
  const permitted = s.permittedPeers;
  return connect({
    host,
    port,
    servername: net.isIP(host) ? undefined : host,
    ca: read('CA', s.caFile),
    cert: read('certificate', s.certFile),
    key: read('key', s.keyFile),
    rejectUnauthorized: s.verifyPeer,
    checkServerIdentity: (name, cert) => {
      if (!s.verifyPeer) return undefined;
      // certvalid: the chain was verified (rejectUnauthorized); the name is not rsyslog's concern in this mode.
      if (s.checkName === false) return undefined;
      if (permitted.length === 0) return checkServerIdentity(name, cert);
      const names = certificateNames(cert);
      if (names.some((n) => permitted.some((peer) => peerNameMatches(peer, n)))) return undefined;
      return new Error(
        `collector certificate names [${names.join(', ')}] match none of the permitted peers [${permitted.join(', ')}]`,
      );
    },
  });
}

/** Names a certificate failure as one (the operator's first question), other errors as they are. */
export function describeTlsError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO|SIGNATURE|HOSTNAME|ERR_TLS/.test(code)) {
    return `TLS verification of the collector failed: ${err.message} (${code})`;
  }
  return err.message;
}

/** DNS names of the subjectAltName, then the subject CN, as rsyslog's x509/name mode checks them. */
export function certificateNames(cert: tls.PeerCertificate): string[] {
  const names: string[] = [];
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m) names.push(m[1].trim());
  }
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  return names;
}

/** `*.example.org` matches one or more leading labels; otherwise names compare case-insensitively. */
export function peerNameMatches(permittedPeer: string, certName: string): boolean {
  const peer = permittedPeer.toLowerCase();
  const name = certName.toLowerCase();
  if (peer.startsWith('*.')) return name.endsWith(peer.slice(1)) && name.length > peer.length - 1;
  return peer === name;
}
