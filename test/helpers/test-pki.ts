// A throw-away PKI for TLS tests, made with the openssl CLI: a CA, a collector certificate for
// `collector.test` + 127.0.0.1 signed by it, and a second, unrelated CA to provoke verification failures.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface TestPki {
  dir: string;
  caFile: string;
  /** Collector certificate: CN and DNS SAN `collector.test`, IP SAN 127.0.0.1. */
  certFile: string;
  keyFile: string;
  /** A CA that did not sign the collector certificate. */
  wrongCaFile: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
}

export function createTestPki(dir: string): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  const selfSignedCa = (name: string, cn: string): void =>
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`]);
  selfSignedCa('ca', 'nsm test CA');
  selfSignedCa('wrong-ca', 'nsm unrelated CA');
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'collector.key', '-out', 'collector.csr', '-subj', '/CN=collector.test']);
  fs.writeFileSync(
    path.join(dir, 'collector.ext'),
    'subjectAltName=DNS:collector.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(dir, ['x509', '-req', '-in', 'collector.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'collector.pem', '-days', '2', '-extfile', 'collector.ext']);
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'collector.pem'),
    keyFile: path.join(dir, 'collector.key'),
    wrongCaFile: path.join(dir, 'wrong-ca.pem'),
  };
}
