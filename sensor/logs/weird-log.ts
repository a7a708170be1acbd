// weird.log: unusual or malformed traffic, declared once (Zeek's scripts/base/frameworks/notice/weird.zeek, Weird::Info).

import { WeirdRecord } from '../flows/conn-record';
import { columnsOf, defineLog } from './log-schema';

const column = columnsOf<WeirdRecord>();

export const weirdLog = defineLog<WeirdRecord>({
  path: 'weird',
  doc: 'One row per weird: protocol violations and oddities, tied to a connection when there is one.',
  columns: [
    column('ts', 'time', 'Time of the packet that caused the weird.', (r) => r.tsSec * 1_000_000 + r.tsUsec),
    column('uid', 'string', 'uid of the connection the weird belongs to; unset when none.', (r) => r.uid),
    column('id.orig_h', 'addr', "Originator's address; unset when the weird is not about a flow.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Originator's port (0 for a flow weird below the transport layer).", (r) => r.origPort),
    column('id.resp_h', 'addr', "Responder's address; unset when the weird is not about a flow.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Responder's port (0 for a flow weird below the transport layer).", (r) => r.respPort),
    column('name', 'string', "The weird's name, e.g. bad_TCP_checksum.", (r) => r.name),
    column('addl', 'string', 'Additional detail; unset when none.', (r) => (r.addl === '' ? undefined : r.addl)),
    column('notice', 'bool', 'Whether the weird was also raised as a notice.', (r) => r.notice),
    column('peer', 'string', 'Name of the sensor that saw the weird.', (r) => r.peer),
    column('source', 'string', 'The analyzer that reported the weird; unset when unknown.', (r) =>
      r.source === '' ? undefined : r.source,
    ),
  ],
  profiles: {
    // ELSA's bro_weird rule (patterndb.xml from mcholste/elsa): its example row is Bro 2.1's weird.log,
    // ts uid id.orig_h id.orig_p id.resp_h id.resp_p name addl notice peer; schema.sql's BRO_WEIRD (class 44) maps
    // s0 = uid (eventid), i0..i3 = the id fields, s3 = name. Bro 2.1 had no `source` column.
    elsa: ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'name', 'addl', 'notice', 'peer'],
  },
});
