// conn.log: one row per connection, declared once (Zeek's scripts/base/protocols/conn/main.zeek, Conn::Info).

import { ConnRecord } from '../flows/conn-record';
import { columnsOf, defineLog } from './log-schema';

const column = columnsOf<ConnRecord>();

export const connLog = defineLog<ConnRecord>({
  path: 'conn',
  doc: 'One row per connection (TCP, UDP, ICMP flow), written when it ends or at end of input.',
  columns: [
    column('ts', 'time', 'Time of the first packet.', (r) => r.tsSec * 1_000_000 + r.tsUsec),
    column('uid', 'string', 'Unique id of the connection, shared by every log row about it.', (r) => r.uid),
    column('id.orig_h', 'addr', "Originator's address.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Originator's port (ICMP: type).", (r) => r.origPort),
    column('id.resp_h', 'addr', "Responder's address.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Responder's port (ICMP: code).", (r) => r.respPort),
    column('proto', 'enum', 'Transport protocol.', (r) => r.proto),
    column('service', 'string', 'Comma-joined protocols the analyzers confirmed; unset when none.', (r) =>
      r.services.length === 0 ? undefined : r.services.join(','),
    ),
    column('duration', 'interval', 'Seconds between the first and the last packet.', (r) => r.duration),
    column('orig_bytes', 'count', 'Payload bytes the originator sent (TCP: from sequence numbers).', (r) => r.origBytes),
    column('resp_bytes', 'count', 'Payload bytes the responder sent (TCP: from sequence numbers).', (r) => r.respBytes),
    column('conn_state', 'string', 'Connection state summary: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH.', (r) =>
      r.connState === '' ? undefined : r.connState,
    ),
    column('local_orig', 'bool', 'T when the originator is in the local networks; unset when none are configured.', (r) => r.localOrig),
    column('local_resp', 'bool', 'T when the responder is in the local networks; unset when none are configured.', (r) => r.localResp),
    column('missed_bytes', 'count', 'Bytes missed in content gaps (packet loss).', (r) => r.missedBytes),
    column('history', 'string', 'State history letters (upper case: originator, lower case: responder).', (r) =>
      r.history === '' ? undefined : r.history,
    ),
    column('orig_pkts', 'count', 'Packets the originator sent.', (r) => r.origPkts),
    column('orig_ip_bytes', 'count', 'IP bytes the originator sent (IP total length of each packet).', (r) => r.origIpBytes),
    column('resp_pkts', 'count', 'Packets the responder sent.', (r) => r.respPkts),
    column('resp_ip_bytes', 'count', 'IP bytes the responder sent (IP total length of each packet).', (r) => r.respIpBytes),
    column('tunnel_parents', 'set[string]', 'uids of the tunnel connections this one was carried in; unset when none.', (r) =>
      r.tunnelParents.length === 0 ? undefined : r.tunnelParents,
    ),
    column('ip_proto', 'count', 'IP protocol number.', (r) => r.ipProto),
    column('vlan', 'int', 'Outer VLAN tag (policy/protocols/conn/vlan-logging).', (r) => r.vlan || undefined, { policy: true }),
    column('inner_vlan', 'int', 'Inner VLAN tag (policy/protocols/conn/vlan-logging).', (r) => r.innerVlan || undefined, {
      policy: true,
    }),
    column('orig_l2_addr', 'string', "Originator's link-layer (MAC) address (policy/protocols/conn/mac-logging).",
      (r) => r.origL2Addr, { policy: true }),
    column('resp_l2_addr', 'string', "Responder's link-layer (MAC) address (policy/protocols/conn/mac-logging).",
      (r) => r.respL2Addr, { policy: true }),
  ],
  profiles: {
    // ELSA's bro_conn rule (patterndb.xml from mcholste/elsa, see test/fixtures/elsa/README.md): its XML comment names
    // the Bro 2.1 columns the pattern walks, in this order, and schema.sql's BRO_CONN (class 20) slots map them:
    // i0..i4 = id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto; s0 service, s1 duration, s2 orig_bytes,
    // i5 resp_bytes, s3 orig_pkts, s4 resp_pkts. Today's extra local_resp would shift history into orig_pkts.
    elsa: [
      'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes',
      'resp_bytes', 'conn_state', 'local_orig', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts',
      'resp_ip_bytes',
    ],
  },
});
