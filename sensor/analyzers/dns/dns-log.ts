// dns.log: one row per DNS query/response pair (or unmatched message), declared once (Zeek's
// scripts/base/protocols/dns/main.zeek, DNS::Info, at the Zeek commit of test/fixtures/zeek-cases).

import { columnsOf, defineLog } from '../../logs/log-schema';

/** One dns.log row as it is being filled in (Zeek's DNS::Info); unset fields are undefined. */
export interface DnsInfo {
  tsMicros: number;
  uid: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  proto: 'udp' | 'tcp';
  transId: number;
  rtt?: number;
  query?: string;
  qclass?: number;
  qclassName?: string;
  qtype?: number;
  qtypeName?: string;
  rcode?: number;
  rcodeName?: string;
  AA: boolean;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  Z: number;
  answers?: string[];
  TTLs?: number[];
  rejected: boolean;
  opcode?: number;
  opcodeName?: string;
  // Not logged: what matching needs.
  sawQuery: boolean;
  sawReply: boolean;
}

const column = columnsOf<DnsInfo>();

export const dnsLog = defineLog<DnsInfo>({
  path: 'dns',
  doc: 'One row per DNS query and its response, or per message left unmatched when the connection ends.',
  columns: [
    column('ts', 'time', 'Time of the first message of the pair.', (r) => r.tsMicros),
    column('uid', 'string', 'uid of the connection the messages travelled on.', (r) => r.uid),
    column('id.orig_h', 'addr', "Originator's address.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Originator's port.", (r) => r.origPort),
    column('id.resp_h', 'addr', "Responder's address.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Responder's port.", (r) => r.respPort),
    column('proto', 'enum', 'Transport protocol.', (r) => r.proto),
    column('trans_id', 'count', 'DNS transaction id (matches a response to its query).', (r) => r.transId),
    column('rtt', 'interval', 'Seconds from the query to the first answer record; unset without both.', (r) => r.rtt),
    column('query', 'string', 'The name queried (lower case).', (r) => r.query),
    column('qclass', 'count', 'Query class.', (r) => r.qclass),
    column('qclass_name', 'string', 'Query class name (C_INTERNET, ...).', (r) => r.qclassName),
    column('qtype', 'count', 'Query type.', (r) => r.qtype),
    column('qtype_name', 'string', 'Query type name (A, AAAA, ...).', (r) => r.qtypeName),
    column('rcode', 'count', 'Response code.', (r) => r.rcode),
    column('rcode_name', 'string', 'Response code name (NOERROR, NXDOMAIN, ...).', (r) => r.rcodeName),
    column('AA', 'bool', 'Authoritative Answer bit of the response.', (r) => r.AA),
    column('TC', 'bool', 'Truncation bit of the query.', (r) => r.TC),
    column('RD', 'bool', 'Recursion Desired bit of the query.', (r) => r.RD),
    column('RA', 'bool', 'Recursion Available bit of the response.', (r) => r.RA),
    column('Z', 'count', 'The reserved Z bits of the query.', (r) => r.Z),
    column('answers', 'vector[string]', 'The answer records, as Zeek renders each type.', (r) => r.answers),
    column('TTLs', 'vector[interval]', 'The TTL of each answer, in order.', (r) => r.TTLs),
    column('rejected', 'bool', 'The server rejected the query (error response without a question).', (r) => r.rejected),
    column('opcode', 'count', 'Opcode of the last message of the pair.', (r) => r.opcode),
    column('opcode_name', 'string', 'Opcode name (query, notify, dynamic-update, ...).', (r) => r.opcodeName),
  ],
  profiles: {
    // ELSA's bro_dns rule (patterndb.xml from mcholste/elsa, see test/fixtures/elsa/PATTERNS.md): i0..i4 are columns
    // 3-7 (id and proto), s0 (hostname) column 9, and s1 (answer) everything from column 23 to the end: only the Bro
    // 2.0-beta layout, whose column 22 was a TTL and 23 the answers, puts the answers there. So: today's columns up to
    // Z (20), then rtt and TTLs (21, 22), then answers last; rejected and opcode are left out (they would land in s1).
    elsa: [
      'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'query', 'qclass',
      'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'rtt', 'TTLs', 'answers',
    ],
  },
});
