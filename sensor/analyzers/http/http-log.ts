// http.log: one row per HTTP request/response pair (or unanswered request, or reply without a request), declared once
// (Zeek's scripts/base/protocols/http/main.zeek, HTTP::Info, at the Zeek commit of test/fixtures/zeek-cases).

import { columnsOf, defineLog } from '../../logs/log-schema';

/** One http.log row as it is being filled in (Zeek's HTTP::Info); unset fields are undefined. */
export interface HttpInfo {
  tsMicros: number;
  uid: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  transDepth: number;
  method?: string;
  host?: string;
  uri?: string;
  referrer?: string;
  version?: string;
  userAgent?: string;
  origin?: string;
  requestBodyLen: number;
  responseBodyLen: number;
  statusCode?: number;
  statusMsg?: string;
  infoCode?: number;
  infoMsg?: string;
  username?: string;
  password?: string;
  proxied?: string[];
  /** Files of the request bodies and of the replies (filled by http-files.ts), at most 15 each. */
  origFuids?: string[];
  origFilenames?: string[];
  origMimeTypes?: string[];
  respFuids?: string[];
  respFilenames?: string[];
  respMimeTypes?: string[];
}

const column = columnsOf<HttpInfo>();

const NO_TAGS: readonly string[] = [];

export const httpLog = defineLog<HttpInfo>({
  path: 'http',
  doc: 'One row per HTTP request and its response, or per message left unmatched when the connection ends.',
  columns: [
    column('ts', 'time', 'Time the request (or the unmatched reply) was seen.', (r) => r.tsMicros),
    column('uid', 'string', 'uid of the connection.', (r) => r.uid),
    column('id.orig_h', 'addr', "Originator's address.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Originator's port.", (r) => r.origPort),
    column('id.resp_h', 'addr', "Responder's address.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Responder's port.", (r) => r.respPort),
    column('trans_depth', 'count', 'Position of the transaction on its connection (pipelining, keep-alive), from 1.', (r) => r.transDepth),
    column('method', 'string', 'Request method.', (r) => r.method),
    column('host', 'string', 'Host header, port included if given.', (r) => r.host),
    column('uri', 'string', 'Request URI, %-escapes decoded.', (r) => r.uri),
    column('referrer', 'string', 'Referer header.', (r) => r.referrer),
    column('version', 'string', "HTTP version of the reply's status line.", (r) => r.version),
    column('user_agent', 'string', 'User-Agent header.', (r) => r.userAgent),
    column('origin', 'string', 'Origin header.', (r) => r.origin),
    column('request_body_len', 'count', 'Request body bytes (after de-chunking).', (r) => r.requestBodyLen),
    column('response_body_len', 'count', 'Response body bytes (after de-chunking).', (r) => r.responseBodyLen),
    column('status_code', 'count', 'Status code of the final reply.', (r) => r.statusCode),
    column('status_msg', 'string', 'Reason phrase of the final reply.', (r) => r.statusMsg),
    column('info_code', 'count', 'Status code of the last 1xx reply.', (r) => r.infoCode),
    column('info_msg', 'string', 'Reason phrase of the last 1xx reply.', (r) => r.infoMsg),
    column('tags', 'set[enum]', "Zeek's HTTP::Tags (none are set by the base scripts).", () => NO_TAGS),
    column('username', 'string', 'User name of a Basic Authorization header.', (r) => r.username),
    column('password', 'string', "Password of a Basic Authorization header (Zeek's default_capture_password: off).", (r) => r.password),
    column('proxied', 'set[string]', 'Proxy headers seen, as "NAME -> value".', (r) => r.proxied),
    column('orig_fuids', 'vector[string]', 'fuids of the request body files (files.log).', (r) => r.origFuids),
    column('orig_filenames', 'vector[string]', 'File names of the request bodies (Content-Disposition).', (r) => r.origFilenames),
    column('orig_mime_types', 'vector[string]', 'Sniffed MIME types of the request bodies.', (r) => r.origMimeTypes),
    column('resp_fuids', 'vector[string]', 'fuids of the reply body files (files.log).', (r) => r.respFuids),
    column('resp_filenames', 'vector[string]', 'File names of the reply bodies (Content-Disposition).', (r) => r.respFilenames),
    column('resp_mime_types', 'vector[string]', 'Sniffed MIME types of the reply bodies.', (r) => r.respMimeTypes),
  ],
  profiles: {
    // ELSA's bro_http rule (patterndb.xml from mcholste/elsa, see test/fixtures/elsa/PATTERNS.md) reads Bro 2.0-2.2's
    // layout: trans_depth (7) before method (s0), host (s1), uri (s2), referrer (s3), user_agent (s4), then
    // request_body_len, response_body_len (i5) and status_code (i4). Today's version and origin sit between those
    // columns, so they go last here; the rest keeps Bro 2.2's order (its single `filename` is gone from Zeek).
    elsa: [
      'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'trans_depth', 'method', 'host', 'uri',
      'referrer', 'user_agent', 'request_body_len', 'response_body_len', 'status_code', 'status_msg', 'info_code',
      'info_msg', 'tags', 'username', 'password', 'proxied', 'orig_fuids', 'orig_filenames', 'orig_mime_types',
      'resp_fuids', 'resp_filenames', 'resp_mime_types', 'version', 'origin',
    ],
  },
});
