// files.log: one row per file a protocol carried (per connection it was seen on), declared once (Zeek's
// scripts/base/frameworks/files/main.zeek Files::Info, with base/files/hash's and base/files/extract's columns, as
// Zeek 8 writes it when its default scripts are loaded).

import { columnsOf, defineLog } from '../../logs/log-schema';

/** One files.log row (Zeek's Files::Info); unset fields are undefined. */
export interface FileInfo {
  tsMicros: number;
  fuid: string;
  uid?: string;
  origAddr?: string;
  origPort?: number;
  respAddr?: string;
  respPort?: number;
  source?: string;
  depth: number;
  analyzers: readonly string[];
  mimeType?: string;
  filename?: string;
  /** Seconds between the first and the last data. */
  duration: number;
  localOrig?: boolean;
  isOrig?: boolean;
  seenBytes: number;
  totalBytes?: number;
  missingBytes: number;
  overflowBytes: number;
  timedout: boolean;
  parentFuid?: string;
  md5?: string;
  sha1?: string;
  sha256?: string;
}

const column = columnsOf<FileInfo>();

/** Bro 2.2's tx_hosts / rx_hosts: the sending and the receiving host of the file's connection. */
function txHost(r: FileInfo): readonly string[] | undefined {
  const a = r.isOrig === undefined ? undefined : r.isOrig ? r.origAddr : r.respAddr;
  return a === undefined ? undefined : [a];
}
function rxHost(r: FileInfo): readonly string[] | undefined {
  const a = r.isOrig === undefined ? undefined : r.isOrig ? r.respAddr : r.origAddr;
  return a === undefined ? undefined : [a];
}

export const filesLog = defineLog<FileInfo>({
  path: 'files',
  doc: 'One row per file carried by a protocol (HTTP bodies), written when the file ends.',
  columns: [
    column('ts', 'time', 'Time the first data of the file was seen.', (r) => r.tsMicros),
    column('fuid', 'string', 'Unique id of the file (F + base62); the protocol log names it in its fuids columns.', (r) => r.fuid),
    column('uid', 'string', 'uid of the connection that carried the file.', (r) => r.uid),
    column('id.orig_h', 'addr', "Connection originator's address.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Connection originator's port.", (r) => r.origPort),
    column('id.resp_h', 'addr', "Connection responder's address.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Connection responder's port.", (r) => r.respPort),
    // Bro 2.2's columns for the connection (before Zeek 5.1 wrote one row per connection): ELSA's profile only.
    column('tx_hosts', 'set[addr]', 'Host that sent the file (Bro 2.2; elsa profile).', txHost, { policy: true }),
    column('rx_hosts', 'set[addr]', 'Host that received the file (Bro 2.2; elsa profile).', rxHost, { policy: true }),
    column('conn_uids', 'set[string]', 'uid of the connection (Bro 2.2; elsa profile).', (r) => (r.uid === undefined ? undefined : [r.uid]), {
      policy: true,
    }),
    column('source', 'string', 'Protocol that carried the file (HTTP).', (r) => r.source),
    column('depth', 'count', 'Depth of the file in its source (HTTP: 0; SMTP: the MIME entity).', (r) => r.depth),
    column('analyzers', 'set[string]', 'File analyzers run on it (MD5, SHA1, SHA256 when hashing is on).', (r) => r.analyzers),
    column('mime_type', 'string', "MIME type from Zeek's file magic signatures on the first 4096 bytes.", (r) => r.mimeType),
    column('filename', 'string', 'File name from Content-Disposition (or a Content-Type name=).', (r) => r.filename),
    column('duration', 'interval', 'Seconds between the first and the last data.', (r) => r.duration),
    column('local_orig', 'bool', 'T when the sender is in the local networks; unset when none are configured.', (r) => r.localOrig),
    column('is_orig', 'bool', "T when the connection's originator sent the file.", (r) => r.isOrig),
    column('seen_bytes', 'count', 'Bytes of the file analysed (after de-chunking and Content-Encoding decoding).', (r) => r.seenBytes),
    column('total_bytes', 'count', 'Size the protocol announced (Content-Length).', (r) => r.totalBytes),
    column('missing_bytes', 'count', 'Bytes lost in content gaps.', (r) => r.missingBytes),
    column('overflow_bytes', 'count', 'Bytes not delivered to the analyzers (out of order beyond the buffer).', (r) => r.overflowBytes),
    column('timedout', 'bool', 'T when the analysis timed out.', (r) => r.timedout),
    column('parent_fuid', 'string', 'fuid of the container file this one was extracted from.', (r) => r.parentFuid),
    column('md5', 'string', 'MD5 of the file, hex (when hashing is on).', (r) => r.md5),
    column('sha1', 'string', 'SHA1 of the file, hex (when hashing is on).', (r) => r.sha1),
    column('sha256', 'string', 'SHA256 of the file, hex (when hashing is on).', (r) => r.sha256),
    column('extracted', 'string', 'Local file the content was extracted to (extraction is not built: unset).', () => undefined),
    column('extracted_cutoff', 'bool', 'T when extraction stopped at its size limit (unset).', () => undefined),
    column('extracted_size', 'count', 'Bytes extracted (unset).', () => undefined),
  ],
  profiles: {
    // ELSA's bro_files rule (test/fixtures/elsa/PATTERNS.md) walks Bro 2.2's files.log: ts fuid tx_hosts(i0)
    // rx_hosts(i1) conn_uids source(s0) depth analyzers mime_type(s1) filename(s2) duration(s3) local_orig is_orig
    // seen_bytes(i2) total_bytes missing_bytes(i3) overflow_bytes timedout parent_fuid md5(s4) sha1(s5) sha256 extracted.
    elsa: [
      'ts', 'fuid', 'tx_hosts', 'rx_hosts', 'conn_uids', 'source', 'depth', 'analyzers', 'mime_type', 'filename',
      'duration', 'local_orig', 'is_orig', 'seen_bytes', 'total_bytes', 'missing_bytes', 'overflow_bytes', 'timedout',
      'parent_fuid', 'md5', 'sha1', 'sha256', 'extracted',
    ],
  },
});
