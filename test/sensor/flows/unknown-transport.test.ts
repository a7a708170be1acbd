// IP protocols with no transport analyzer, as Zeek 8's UnknownIPTransport analyzer tracks them: one connection per
// address pair and protocol, ports 0, proto unknown_transport, state OTH, packets and IP bytes counted, ended by
// unknown_ip_inactivity_timeout (60 s). IGMP (Zeek's packet analyzer) and the tunnel protocols make none.
// (Zeek's own traces with such rows, cisco-fabric-path, pbb and vntag, are in the conformance set.)

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { buildPcap, SyntheticPacket } from '../capture/synthetic-captures';
import { readZeekLog } from '../logs/zeek-log-reader';
import { REPO_ROOT } from '../../helpers/fixture-paths';

/** A raw IPv4 packet (link type 101) of `proto` from `src` to `dst` with `payload` bytes after the header. */
function ipv4(tsSec: number, usec: number, src: string, dst: string, proto: number, payload: number): SyntheticPacket {
  const b = Buffer.alloc(20 + payload);
  b[0] = 0x45;
  b.writeUInt16BE(20 + payload, 2);
  b[8] = 64;
  b[9] = proto;
  Buffer.from(src.split('.').map(Number)).copy(b, 12);
  Buffer.from(dst.split('.').map(Number)).copy(b, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 10);
  return { tsSec, frac: usec, bytes: b, wireLength: b.length };
}

describe('connections of unknown IP protocols (unknown_transport)', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-unknown-ip-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('one row per address pair and protocol, both directions counted; none for IGMP, IP-in-IP or GRE; 60 s inactivity', () => {
    const pkts = [
      ipv4(1000, 0, '10.0.0.1', '10.0.0.2', 99, 20), // protocol 99: a connection
      ipv4(1000, 500, '10.0.0.2', '10.0.0.1', 99, 44), // the reply: same connection, responder side
      ipv4(1000, 800, '10.0.0.1', '10.0.0.2', 132, 8), // SCTP (no analyzer in Zeek 8 either): its own connection
      ipv4(1001, 0, '10.0.0.1', '224.0.0.22', 2, 8), // IGMP: none
      ipv4(1001, 100, '10.0.0.1', '10.0.0.3', 47, 4), // GRE: a tunnel, none (yet)
      ipv4(1001, 200, '10.0.0.1', '10.0.0.3', 4, 0), // IP-in-IP without its inner packet: none
      ipv4(1070, 0, '10.0.0.1', '10.0.0.2', 99, 20), // 70 s later: the first connection has expired, a new one
    ];
    const file = path.join(tmp, 'unknown.pcap');
    fs.writeFileSync(file, buildPcap(pkts, { littleEndian: true, nanoseconds: false, linkType: 101 }));
    const logs = path.join(tmp, 'logs');
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'nsm'), 'sensor', '-r', file, '--profile', 'zeek', '-l', logs], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const rows = readZeekLog(path.join(logs, 'conn.log')).rows.map((row) =>
      ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'history',
        'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'ip_proto'].map((f) => row.get(f)).join(' '));
    expect(rows).to.deep.equal([
      '10.0.0.1 0 10.0.0.2 0 unknown_transport 0.000500 0 0 OTH - 1 40 1 64 99',
      '10.0.0.1 0 10.0.0.2 0 unknown_transport - - - OTH - 1 28 0 0 132',
      '10.0.0.1 0 10.0.0.2 0 unknown_transport - - - OTH - 1 40 0 0 99',
    ]);
  });
});
