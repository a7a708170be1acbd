// analyzer.log: a protocol analyzer that had confirmed its protocol on a connection and then met a protocol violation
// (Zeek 8's base/frameworks/analyzer/logging.zeek, Analyzer::Logging::Info). Rows are written by analyzer-set.ts.

import { columnsOf, defineLog } from '../logs/log-schema';

/** One analyzer.log row (Zeek's Analyzer::Logging::Info, as written for a protocol analyzer on a connection). */
export interface AnalyzerLogInfo {
  tsMicros: number;
  /** Zeek's Analyzer::kind: `protocol` for every analyzer nsm has. */
  kind: 'protocol';
  /** Zeek's analyzer name, e.g. `HTTP`. */
  name: string;
  uid: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  proto: 'tcp' | 'udp';
  reason: string;
  /** The data the analyzer blamed, a byte string (one char per byte) already cut to FAILURE_DATA_MAX_SIZE. */
  data?: string;
}

/** Zeek's Analyzer::Logging::failure_data_max_size: bytes of the offending data kept in failure_data. */
export const FAILURE_DATA_MAX_SIZE = 40;

const column = columnsOf<AnalyzerLogInfo>();

export const analyzerLog = defineLog<AnalyzerLogInfo>({
  path: 'analyzer',
  doc: 'One row per protocol analyzer removed from a connection by a protocol violation after it had confirmed its protocol.',
  columns: [
    column('ts', 'time', 'Time of the packet that caused the violation.', (r) => r.tsMicros),
    column('analyzer_kind', 'string', 'Kind of analyzer: protocol.', (r) => r.kind),
    column('analyzer_name', 'string', "The analyzer's name, e.g. HTTP.", (r) => r.name),
    column('uid', 'string', 'uid of the connection.', (r) => r.uid),
    column('fuid', 'string', 'File id, for file analyzers (none yet: unset).', () => undefined),
    column('id.orig_h', 'addr', "Originator's address.", (r) => r.origAddr),
    column('id.orig_p', 'port', "Originator's port.", (r) => r.origPort),
    column('id.resp_h', 'addr', "Responder's address.", (r) => r.respAddr),
    column('id.resp_p', 'port', "Responder's port.", (r) => r.respPort),
    column('proto', 'enum', 'Transport protocol.', (r) => r.proto),
    column('failure_reason', 'string', 'Why the analyzer gave up, e.g. "not a http request line".', (r) => r.reason),
    column('failure_data', 'string', `The data it failed on, at most ${FAILURE_DATA_MAX_SIZE} bytes; unset when the analyzer gives none.`, (r) => r.data),
  ],
  // ELSA's patterndb has no rule for this log (nor for Bro's dpd.log): every profile writes Zeek's columns.
  profiles: {},
});
