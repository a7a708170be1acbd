// notice.log: one row per notice the notice framework logs (Zeek's Notice::Info, base/frameworks/notice/main.zeek,
// columns as in the notice.log baselines of Zeek's tests at the commit of test/fixtures/zeek-cases).

import { columnsOf, defineLog } from '../../logs/log-schema';

/** One notice.log row. */
export interface NoticeInfo {
  tsMicros: number;
  uid?: string;
  id?: { origAddr: string; origPort: number; respAddr: string; respPort: number };
  fuid?: string;
  fileMimeType?: string;
  fileDesc?: string;
  /** Transport of `p`: tcp, udp or icmp. */
  proto?: string;
  /** Zeek's Notice::Type, e.g. `Software::Vulnerable_Version`. */
  note: string;
  msg?: string;
  sub?: string;
  src?: string;
  dst?: string;
  p?: number;
  n?: number;
  peerDescr?: string;
  actions: readonly string[];
  emailDest: readonly string[];
  /** Seconds. */
  suppressFor: number;
}

const column = columnsOf<NoticeInfo>();

export const noticeLog = defineLog<NoticeInfo>({
  path: 'notice',
  doc: "Notices: things worth a look that the sensor's policy found (e.g. a vulnerable software version).",
  columns: [
    column('ts', 'time', 'When the notice was raised.', (r) => r.tsMicros),
    column('uid', 'string', 'uid of the connection it is about, if any.', (r) => r.uid),
    column('id.orig_h', 'addr', "Originator's address of that connection.", (r) => r.id?.origAddr),
    column('id.orig_p', 'port', "Originator's port.", (r) => r.id?.origPort),
    column('id.resp_h', 'addr', "Responder's address.", (r) => r.id?.respAddr),
    column('id.resp_p', 'port', "Responder's port.", (r) => r.id?.respPort),
    column('fuid', 'string', 'File id, if the notice is about a file.', (r) => r.fuid),
    column('file_mime_type', 'string', 'MIME type of that file.', (r) => r.fileMimeType),
    column('file_desc', 'string', 'Description of that file (e.g. its URL).', (r) => r.fileDesc),
    column('proto', 'enum', 'Transport protocol of p.', (r) => r.proto),
    column('note', 'enum', 'Notice type.', (r) => r.note),
    column('msg', 'string', 'Human-readable message.', (r) => r.msg),
    column('sub', 'string', 'Human-readable sub-message.', (r) => r.sub),
    column('src', 'addr', 'Source address.', (r) => r.src),
    column('dst', 'addr', 'Destination address.', (r) => r.dst),
    column('p', 'port', 'Associated port.', (r) => r.p),
    column('n', 'count', 'Associated count or status code.', (r) => r.n),
    column('peer_descr', 'string', 'Which node raised it (cluster only).', (r) => r.peerDescr),
    column('actions', 'set[enum]', 'Actions taken (Notice::ACTION_LOG).', (r) => r.actions),
    column('email_dest', 'set[string]', 'Where it was mailed.', (r) => r.emailDest),
    column('suppress_for', 'interval', 'How long the same notice (note and identifier) is suppressed.', (r) => r.suppressFor),
    column('remote_location.country_code', 'string', 'GeoIP country of the remote address (no GeoIP database: unset).', () => undefined),
    column('remote_location.region', 'string', 'GeoIP region (unset).', () => undefined),
    column('remote_location.city', 'string', 'GeoIP city (unset).', () => undefined),
    column('remote_location.latitude', 'double', 'GeoIP latitude (unset).', () => undefined),
    column('remote_location.longitude', 'double', 'GeoIP longitude (unset).', () => undefined),
  ],
  profiles: {
    // ELSA's bro_notice rule (test/fixtures/elsa/PATTERNS.md) reads Bro 2.2's layout: the same columns up to
    // actions, then suppress_for, Bro 2.2's `dropped` (gone from Zeek) and the location; email_dest goes last.
    elsa: [
      'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'fuid', 'file_mime_type', 'file_desc', 'proto',
      'note', 'msg', 'sub', 'src', 'dst', 'p', 'n', 'peer_descr', 'actions', 'suppress_for',
      'remote_location.country_code', 'remote_location.region', 'remote_location.city', 'remote_location.latitude',
      'remote_location.longitude', 'email_dest',
    ],
  },
});
