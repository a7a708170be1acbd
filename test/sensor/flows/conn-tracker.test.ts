// ConnTracker on hand-built packet sequences (real frames decoded by H5's decoder): every conn_state, the
// history letters and their repetition rule, sizes from sequence numbers, gaps, flips, pairing and timeouts.
import { expect } from 'chai';
import { AnalyzerRegistry } from '../../../sensor/analyzers/registry';
import { LocalNetworks } from '../../../sensor/flows/local-networks';
import { F, PacketSpec, TcpDialog, track } from './packet-builder';

function only(specs: PacketSpec[], opts: Parameters<typeof track>[1] = {}) {
  const { conns, weirds } = track(specs, opts);
  expect(conns).to.have.length(1);
  return { conn: conns[0], weirds };
}

describe('ConnTracker: TCP conn_state and history', () => {
  it('SF: full handshake, data both ways, FIN both ways; sizes from sequence numbers', () => {
    const d = new TcpDialog().handshake().client(F.ACK | F.PSH, 'GET / HTTP/1.0\r\n\r\n')
      .serverSends(F.ACK | F.PSH, 'HTTP/1.0 200 OK\r\n\r\nhello').client(F.ACK)
      .serverSends(F.FIN | F.ACK).client(F.FIN | F.ACK).serverSends(F.ACK);
    const { conn } = only(d.packets);
    expect(conn.connState).to.equal('SF');
    expect(conn.history).to.equal('ShADdfFa');
    expect([conn.origBytes, conn.respBytes]).to.deep.equal([18, 24]);
    expect([conn.origPkts, conn.respPkts]).to.deep.equal([5, 4]);
    expect(conn.origIpBytes).to.equal(5 * 40 + 18);
    expect([conn.origAddr, conn.origPort, conn.respAddr, conn.respPort]).to.deep.equal(['10.1.1.1', 40000, '10.2.2.2', 80]);
    // +0 exactly: the counter starts as -0 inside the tracker (stored as a double), which must not reach the record.
    expect(Object.is(conn.missedBytes, 0), 'missed_bytes is +0').to.equal(true);
    expect(conn.localOrig).to.equal(true);
  });

  it('S0: a lone SYN; REJ: SYN answered by RST', () => {
    expect(only(new TcpDialog().client(F.SYN).packets).conn).to.include({ connState: 'S0', history: 'S' });
    const rej = new TcpDialog().client(F.SYN).serverSends(F.RST | F.ACK);
    expect(only(rej.packets).conn).to.include({ connState: 'REJ', history: 'Sr' });
  });

  it('S1, S2, S3: established, then only one side closes', () => {
    expect(only(new TcpDialog().handshake().client(F.ACK | F.PSH, 'x').packets).conn).to.include({ connState: 'S1', history: 'ShAD' });
    expect(only(new TcpDialog().handshake().client(F.FIN | F.ACK).packets).conn).to.include({ connState: 'S2', history: 'ShAF' });
    expect(only(new TcpDialog().handshake().serverSends(F.FIN | F.ACK).packets).conn).to.include({ connState: 'S3', history: 'ShAf' });
  });

  it('RSTO, RSTR, RSTOS0, SH: resets and half-open closes', () => {
    expect(only(new TcpDialog().handshake().client(F.RST | F.ACK).packets).conn).to.include({ connState: 'RSTO', history: 'ShAR' });
    expect(only(new TcpDialog().handshake().serverSends(F.RST | F.ACK).packets).conn).to.include({ connState: 'RSTR', history: 'ShAr' });
    expect(only(new TcpDialog().client(F.SYN).client(F.RST).packets).conn).to.include({ connState: 'RSTOS0', history: 'SR' });
    expect(only(new TcpDialog().client(F.SYN).client(F.FIN).packets).conn).to.include({ connState: 'SH', history: 'SF' });
  });

  it('SHR and RSTRH: only the responder was seen (first packet a SYN-ACK from a server port: flipped)', () => {
    const shr = new TcpDialog().serverSends(F.SYN | F.ACK).serverSends(F.FIN | F.ACK);
    expect(only(shr.packets).conn).to.include({ connState: 'SHR', history: '^hf', origPort: 40000, respPort: 80 });
    const rstrh = new TcpDialog().serverSends(F.SYN | F.ACK).serverSends(F.RST);
    expect(only(rstrh.packets).conn).to.include({ connState: 'RSTRH', history: '^hr' });
  });

  it('OTH: mid-stream data without a SYN; a likely server port as source flips the roles (^)', () => {
    const noSyn = new TcpDialog('10.1.1.1', '10.2.2.2', 40000, 4444).client(F.ACK | F.PSH, 'abc');
    expect(only(noSyn.packets).conn).to.include({ connState: 'OTH', history: 'D', origPort: 40000, duration: undefined });
    const fromServer = new TcpDialog().serverSends(F.ACK | F.PSH, 'abc');
    expect(only(fromServer.packets).conn).to.include({ connState: 'OTH', history: '^d', origPort: 40000, respPort: 80, respPkts: 1 });
  });

  it('a SYN-ACK first, then the ACK: flipped to ^h (the SYN-ACK sender stays half-open: OTH)', () => {
    const d = new TcpDialog('10.1.1.1', '10.2.2.2', 40000, 4444).serverSends(F.SYN | F.ACK).client(F.ACK).client(F.ACK | F.PSH, 'hi');
    const { conn, weirds } = only(d.packets);
    expect(conn).to.include({ history: '^hAD', connState: 'OTH', origPort: 40000, origPkts: 2, respPkts: 1 });
    expect(weirds.map((w) => w.name)).to.deep.equal(['connection_originator_SYN_ack']);
  });

  it('I and Q: FIN+RST and SYN+FIN packets', () => {
    expect(only(new TcpDialog().handshake().client(F.FIN | F.RST | F.ACK).packets).conn.history).to.equal('ShAI');
    expect(only(new TcpDialog().client(F.SYN | F.FIN).packets).conn.history).to.equal('Q');
  });

  it('T/t, W/w: repeated letters are logged again only at 10, 100, ... repeats', () => {
    const d = new TcpDialog().handshake().serverSends(F.ACK | F.PSH, 'data!');
    const again = d.packets[d.packets.length - 1];
    for (let i = 0; i < 11; i++) d.packets.push({ ...again, t: again.t + 0.001 * (i + 1) });
    const { conn } = only(d.packets);
    expect(conn.history).to.equal('ShAdtt');
    const w = new TcpDialog().handshake();
    for (let i = 0; i < 3; i++) w.client(F.ACK, '', { win: 0 });
    expect(only(w.packets).conn.history).to.equal('ShAW');
  });

  it('C: a bad checksum drops the packet (not counted) and reports bad_TCP_checksum', () => {
    const { conn, weirds } = only([{ t: 1, src: '10.1.1.1', dst: '10.2.2.2', sport: 1234, dport: 80, flags: F.SYN, seq: 1, badChecksum: true }]);
    expect(conn).to.include({ history: 'C', connState: 'OTH', origPkts: 0 });
    expect(weirds.map((w) => [w.name, w.source, w.uid])).to.deep.equal([['bad_TCP_checksum', 'TCP', conn.uid]]);
    const ignored = only([{ t: 1, src: '10.1.1.1', dst: '10.2.2.2', sport: 1234, dport: 80, flags: F.SYN, seq: 1, badChecksum: true }], { checksum: undefined });
    expect(ignored.conn).to.include({ history: 'S', connState: 'S0', origPkts: 1 });
  });

  it('G and missed_bytes: a hole acknowledged by the peer is a content gap', () => {
    const d = new TcpDialog().handshake().client(F.ACK | F.PSH, 'a'.repeat(100));
    d.clientSeq += 100; // 100 bytes never captured
    d.client(F.ACK | F.PSH, 'c'.repeat(100)).serverSends(F.ACK).client(F.FIN | F.ACK).serverSends(F.FIN | F.ACK).client(F.ACK);
    const { conn } = only(d.packets);
    expect(conn.missedBytes).to.equal(100);
    expect(conn.history).to.equal('ShADaGFf');
    expect(conn.origBytes).to.equal(300);
  });

  it('sequence numbers that wrap around 2^32 still give the right sizes', () => {
    const d = new TcpDialog();
    d.clientSeq = 0xffffff00;
    d.handshake();
    for (let i = 0; i < 4; i++) d.client(F.ACK | F.PSH, 'z'.repeat(200));
    d.client(F.FIN | F.ACK).serverSends(F.FIN | F.ACK).client(F.ACK);
    expect(only(d.packets).conn).to.include({ origBytes: 800, connState: 'SF' });
  });

  it('a SYN with a new sequence number after a finished connection starts a new connection', () => {
    const first = new TcpDialog().handshake().client(F.FIN | F.ACK).serverSends(F.FIN | F.ACK).client(F.ACK);
    const second = new TcpDialog();
    second.t = first.t + 1;
    second.clientSeq = 777777;
    second.handshake();
    const { conns } = track([...first.packets, ...second.packets]);
    expect(conns.map((c) => c.connState)).to.deep.equal(['SF', 'S1']);
    expect(conns[0].uid).to.not.equal(conns[1].uid);
  });

  it('reports TCP_scale_range for a window scale above 14', () => {
    const options = Buffer.from([3, 3, 255, 0]);
    const { weirds } = only([{ t: 1, src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, flags: F.SYN, seq: 9, options }]);
    expect(weirds.map((w) => [w.name, w.addl])).to.deep.equal([['TCP_scale_range', '255']]);
  });
});

describe('ConnTracker: UDP and ICMP', () => {
  it('UDP request/response is SF Dd; sizes are UDP payload bytes', () => {
    const { conn } = only([
      { t: 1, proto: 'udp', src: '10.0.0.1', dst: '8.8.8.8', sport: 5555, dport: 53, payload: 'q'.repeat(30) },
      { t: 1.5, proto: 'udp', src: '8.8.8.8', dst: '10.0.0.1', sport: 53, dport: 5555, payload: 'r'.repeat(70) },
    ]);
    expect(conn).to.include({ connState: 'SF', history: 'Dd', origBytes: 30, respBytes: 70, duration: 0.5, origIpBytes: 58, localResp: false });
  });

  it('a UDP reply from a server port seen first is flipped (^d, SHR); a lone datagram has no duration', () => {
    const { conn } = only([{ t: 1, proto: 'udp', src: '8.8.8.8', dst: '10.0.0.1', sport: 53, dport: 5555, payload: 'x' }]);
    expect(conn).to.include({ connState: 'SHR', history: '^d', origPort: 5555, respPort: 53, duration: undefined, origBytes: undefined });
  });

  it('UDP connections end after the inactivity timeout; a later datagram starts a new one', () => {
    const spec = { proto: 'udp' as const, src: '10.0.0.1', dst: '10.0.0.9', sport: 7000, dport: 7001, payload: 'p' };
    const { conns } = track([{ ...spec, t: 100 }, { ...spec, t: 100.5 }, { ...spec, t: 200 }]);
    expect(conns.map((c) => [c.connState, c.origPkts])).to.deep.equal([['S0', 2], ['S0', 1]]);
  });

  it('ICMP echo request and reply form one connection keyed by type and counterpart', () => {
    const { conn } = only([
      { t: 1, proto: 'icmp', src: '10.0.0.1', dst: '10.0.0.2', sport: 0, dport: 0, icmpType: 8, payload: 'ping' },
      { t: 1.1, proto: 'icmp', src: '10.0.0.2', dst: '10.0.0.1', sport: 0, dport: 0, icmpType: 0, payload: 'ping' },
    ]);
    expect(conn).to.include({ proto: 'icmp', origPort: 8, respPort: 0, connState: 'OTH', origPkts: 1, respPkts: 1, origBytes: 4, respBytes: 4, history: '' });
  });

  it('ICMPv6 neighbour solicitation and advertisement pair up; one-way messages use the code as responder port', () => {
    const { conns } = track([
      { t: 1, proto: 'icmp', src: 'fe80::1', dst: 'fe80::2', sport: 0, dport: 0, icmpType: 135, payload: Buffer.alloc(20) },
      { t: 1.1, proto: 'icmp', src: 'fe80::2', dst: 'fe80::1', sport: 0, dport: 0, icmpType: 136, payload: Buffer.alloc(20) },
      { t: 1.2, proto: 'icmp', src: 'fe80::2', dst: 'fe80::1', sport: 0, dport: 0, icmpType: 1, icmpCode: 4, payload: Buffer.alloc(20) },
    ]);
    expect(conns.map((c) => [c.origAddr, c.origPort, c.respPort, c.origPkts, c.respPkts, c.ipProto])).to.deep.equal([
      ['fe80::1', 135, 136, 1, 1, 58], ['fe80::2', 1, 4, 1, 0, 58]]);
  });
});

describe('ConnTracker: timers, memory and locality', () => {
  it('removes an unanswered SYN after tcp_attempt_delay and a closed connection after tcp_close_delay', () => {
    const syn = new TcpDialog().client(F.SYN).packets;
    const closed = new TcpDialog('10.3.3.3').handshake().client(F.FIN | F.ACK).serverSends(F.FIN | F.ACK).client(F.ACK).packets;
    const { conns, tracker } = track([...syn, ...closed], { flush: false });
    expect(conns).to.have.length(0);
    tracker.advanceTime(1000 + 4);
    expect(conns).to.have.length(0);
    tracker.advanceTime(1000 + 6);
    expect(conns.map((c) => c.connState)).to.deep.equal(['S0', 'SF']);
    expect(tracker.stats()).to.include({ active: 0, total: 2 });
  });

  it('keeps memory bounded by live connections: 20000 short UDP flows over time leave few behind', () => {
    const { tracker, conns } = track([], { flush: false });
    void tracker;
    const specs: PacketSpec[] = [];
    for (let i = 0; i < 20000; i++) specs.push({ t: 1000 + i * 0.05, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1024 + (i % 60000), dport: 9999, payload: 'x' });
    const run = track(specs, { flush: false });
    expect(run.tracker.stats().active).to.be.below(1300); // 60 s of flows at 20/s
    expect(run.conns.length + run.tracker.stats().active).to.equal(20000);
    expect(conns).to.have.length(0);
  });

  it('local_orig/local_resp: unset with no networks, from networks.cfg otherwise', () => {
    const udp: PacketSpec = { t: 1, proto: 'udp', src: '192.0.2.10', dst: '10.9.9.9', sport: 1111, dport: 2222 };
    expect(only([udp], { localNets: LocalNetworks.empty() }).conn).to.include({ localOrig: undefined, localResp: undefined });
    const nets = LocalNetworks.parse('# site\n192.0.2.0/24   docs net\n', 'networks.cfg', { includePrivateAddressSpace: false });
    expect(only([udp], { localNets: nets }).conn).to.include({ localOrig: true, localResp: false });
  });

  it('hands analyzers the in-order stream and records confirmed services', () => {
    const registry = new AnalyzerRegistry();
    const streams = { orig: '', resp: '' };
    registry.register({
      name: 'echo', ports: [{ proto: 'tcp', port: 7 }],
      create: (ctx) => ({
        deliverStream: (isOrig, data, offset, length) => {
          streams[isOrig ? 'orig' : 'resp'] += data.toString('latin1', offset, offset + length);
          ctx.confirmService('ECHO');
        },
      }),
    });
    const d = new TcpDialog('10.1.1.1', '10.2.2.2', 40000, 7).handshake();
    d.client(F.ACK | F.PSH, 'hello ').client(F.ACK | F.PSH, 'world').serverSends(F.ACK | F.PSH, 'hello world');
    // Deliver the client's two segments out of order: the stream must still be in order.
    const n = d.packets.length;
    [d.packets[n - 3], d.packets[n - 2]] = [d.packets[n - 2], d.packets[n - 3]];
    const { conn } = only(d.packets, { analyzers: registry });
    expect(streams).to.deep.equal({ orig: 'hello world', resp: 'hello world' });
    expect(conn.services).to.deep.equal(['echo']);
  });
});
