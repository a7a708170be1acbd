// What the connection tracker hands the log layer when a connection ends (or at end of input):
// one plain record per connection, with Zeek's conn.log semantics. The conn.log schema maps these to columns.

export type TransportProto = 'tcp' | 'udp' | 'icmp' | 'unknown_transport';

export interface ConnRecord {
  /** Time of the first packet: whole seconds and microseconds. */
  tsSec: number;
  tsUsec: number;
  /** Zeek-shaped unique id, e.g. `CHhAvVGS1DHFjwGM9`; shared by every log row about this connection. */
  uid: string;
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  proto: TransportProto;
  /** Analyzers that confirmed the protocol (comma-joined in the log), empty when none. */
  services: string[];
  /** Seconds between first and last packet; undefined prints as `-` (single-packet connections in Zeek print 0 only when...: follow Zeek). */
  duration: number | undefined;
  origBytes: number | undefined;
  respBytes: number | undefined;
  connState: string;
  localOrig: boolean | undefined;
  localResp: boolean | undefined;
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  tunnelParents: string[];
  vlan: number | undefined;
  innerVlan: number | undefined;
  /** IP protocol number (Zeek's ip_proto column). */
  ipProto: number;
  /** MAC addresses as Zeek formats them (`00:13:7f:be:8c:ff`), when the tracker records them (mac-logging). */
  origL2Addr?: string;
  respL2Addr?: string;
}

/** One weird.log row. Connection fields are absent for weirds not tied to a connection. */
export interface WeirdRecord {
  tsSec: number;
  tsUsec: number;
  uid?: string;
  origAddr?: string;
  origPort?: number;
  respAddr?: string;
  respPort?: number;
  name: string;
  addl?: string;
  notice: boolean;
  peer: string;
  source: string;
}
