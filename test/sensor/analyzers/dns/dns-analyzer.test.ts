// The DNS analyzer on messages built byte by byte: how each record type is written into `answers` (Zeek's main.zeek
// reply strings), query/response matching by id as main.zeek does it, TCP's length prefix with several messages per
// stream split anywhere, and malformed names and records ending as Zeek's weirds (names from Zeek's DNS.cc).

import { expect } from 'chai';
import * as fc from 'fast-check';
import { dnsAnalyzer, DnsSession } from '../../../../sensor/analyzers/dns/dns-analyzer';
import { message, recordingContext, RecordingContext, rr, wireName } from './dns-test-support';

function session(ctx: RecordingContext): DnsSession {
  return dnsAnalyzer.create(ctx) as DnsSession;
}

function udp(ctx: RecordingContext, s: DnsSession, isOrig: boolean, msg: Buffer, at?: number): void {
  if (at !== undefined) ctx.now = at;
  s.deliverPacket(isOrig, msg, 0, msg.length);
}

/** One query and its response carrying `answers`: the dns.log row. */
function exchange(answers: Buffer[], q = { name: 'example.org', type: 1 }): RecordingContext {
  const ctx = recordingContext();
  const s = session(ctx);
  udp(ctx, s, true, message({ id: 7, rd: true, question: q }), 1000);
  udp(ctx, s, false, message({ id: 7, qr: true, ra: true, question: q, answers }), 1000.25);
  s.end();
  return ctx;
}

function u16(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

describe('DNS analyzer', () => {
  it('writes each record type as Zeek does', () => {
    const txt = Buffer.concat([Buffer.from([3]), Buffer.from('abc'), Buffer.from([0]), Buffer.from([2]), Buffer.from('de')]);
    const soa = Buffer.concat([wireName('ns1.example.org'), wireName('hostmaster.example.org'), Buffer.alloc(20)]);
    const naptr = Buffer.concat([u16(10, 20), Buffer.from([1]), Buffer.from('S'), Buffer.from([7]), Buffer.from('SIP+D2U'),
      Buffer.from([0]), wireName('_sip._udp.example.org')]);
    const ctx = exchange([
      rr({ type: 1, rdata: Buffer.from([192, 0, 2, 9]), ttl: 60 }),
      rr({ type: 28, rdata: Buffer.from('20010db8000000000000000000000001', 'hex') }),
      rr({ type: 5, rdata: wireName('Alias.Example.ORG') }),
      rr({ type: 15, rdata: Buffer.concat([u16(10), wireName('mx.example.org')]) }),
      rr({ type: 33, rdata: Buffer.concat([u16(1, 2, 389), wireName('ldap.example.org')]) }),
      rr({ type: 16, rdata: txt }),
      rr({ type: 6, rdata: soa }),
      rr({ type: 35, rdata: naptr }),
      rr({ type: 257, rdata: Buffer.concat([Buffer.from([0, 5]), Buffer.from('issueca.example')]) }),
      rr({ type: 99, rdata: Buffer.from('\x06v=spf1', 'latin1') }),
      rr({ type: 12345, rdata: Buffer.from('xyz') }),
    ]);
    const row = ctx.rows[0];
    expect(row.answers).to.deep.equal([
      '192.0.2.9', '2001:db8::1', 'alias.example.org', 'mx.example.org', 'ldap.example.org', 'TXT 3 abc TXT 0  TXT 2 de',
      'ns1.example.org', 'NAPTR 10 20 S SIP+D2U _sip._udp.example.org', 'SPF 6 v=spf1', '<unknown type=12345>',
    ]);
    expect(row.TTLs).to.deep.equal([60, 300, 300, 300, 300, 300, 300, 300, 300, 300]);
    expect(ctx.weirds).to.deep.equal([{ name: 'DNS_RR_unknown_type', addl: '12345' }]);
    expect(row.rtt).to.equal(0.25);
    expect(ctx.services).to.deep.equal(['dns']);
  });

  it('matches responses to queries by id on the connection, as main.zeek does', () => {
    const ctx = recordingContext();
    const s = session(ctx);
    const a = (id: number): Buffer => rr({ type: 1, rdata: Buffer.from([10, 0, 0, id]) });
    udp(ctx, s, true, message({ id: 1 }), 1);
    udp(ctx, s, true, message({ id: 2 }), 2);
    udp(ctx, s, true, message({ id: 1 }), 3);
    udp(ctx, s, false, message({ id: 2, qr: true, answers: [a(2)] }), 4);
    udp(ctx, s, false, message({ id: 1, qr: true, answers: [a(1)] }), 5);
    udp(ctx, s, false, message({ id: 1, qr: true, answers: [a(11)] }), 6);
    udp(ctx, s, false, message({ id: 1, qr: true, answers: [a(12)] }), 7); // a duplicate: no query left
    udp(ctx, s, false, message({ id: 9, qr: true, rcode: 5, question: null }), 8); // refused without a question
    udp(ctx, s, true, message({ id: 3 }), 9); // never answered
    s.end();
    expect(ctx.rows.map((r) => [r.transId, r.tsMicros / 1e6, r.rtt, r.answers?.join(), r.rejected, r.qtype])).to.deep.equal([
      [2, 2, 2, '10.0.0.2', false, 1],
      [1, 1, 4, '10.0.0.1', false, 1],
      [1, 3, 3, '10.0.0.11', false, 1],
      // finalize: the pending query, then the replies that found no query, in arrival order.
      [3, 9, undefined, undefined, false, 1],
      [1, 7, undefined, '10.0.0.12', false, undefined],
      [9, 8, undefined, undefined, true, undefined],
    ]);
  });

  it('a response echoing the question without any record is rejected (Zeek\'s dns_rejected), whatever its rcode', () => {
    const ctx = recordingContext();
    const s = session(ctx);
    udp(ctx, s, true, message({ id: 4, rd: true }), 1);
    udp(ctx, s, false, message({ id: 4, qr: true, rcode: 5 }), 2);
    udp(ctx, s, true, message({ id: 5, rd: true }), 3);
    udp(ctx, s, false, message({ id: 5, qr: true, rcode: 0 }), 4);
    // An authority record makes it a plain reply (dns_query_reply), not a rejection.
    udp(ctx, s, true, message({ id: 6, rd: true }), 5);
    udp(ctx, s, false, message({ id: 6, qr: true, rcode: 3, counts: [1, 0, 1, 0],
      answers: [rr({ type: 6, rdata: Buffer.concat([wireName('ns'), wireName('h'), Buffer.alloc(20)]) })] }), 6);
    s.end();
    expect(ctx.rows.map((r) => [r.transId, r.rcodeName, r.rejected, r.rtt, r.RD, r.answers])).to.deep.equal([
      [4, 'REFUSED', true, undefined, true, undefined], [5, 'NOERROR', true, undefined, true, undefined],
      [6, 'NXDOMAIN', false, undefined, true, undefined]]);
  });

  it('NetBIOS name service on 137/udp: names decoded as decode_netbios_name does, NetBIOS opcode names', () => {
    const ctx = recordingContext({ respPort: 137 });
    const s = session(ctx);
    // "FEEIEFCAEOEFFEECEJEPFDCAEOEBENEF" is Zeek's own example: "THE NETBIOS NAM" (16th byte dropped as the suffix).
    udp(ctx, s, true, message({ id: 1, opcode: 5, question: { name: 'FEEIEFCAEOEFFEECEJEPFDCAEOEBENEF', type: 33 } }));
    udp(ctx, s, true, message({ id: 2, question: { name: 'EOEFFEECEJEPFDCACACACACACACACAAA', type: 32 } }));
    udp(ctx, s, true, message({ id: 3, question: { name: 'not-netbios.example', type: 32 } }));
    s.end();
    expect(ctx.rows.map((r) => [r.query, r.qtypeName, r.opcodeName])).to.deep.equal([
      ['THE NETBIOS NAM', 'NBSTAT', 'netbios-registration'], ['NETBIOS', 'NIMLOC', 'netbios-query'],
      ['not-netbios.example', 'NIMLOC', 'netbios-query']]);
  });

  it('flips a connection whose first message is a response from the originator', () => {
    const ctx = recordingContext();
    const s = session(ctx);
    udp(ctx, s, true, message({ id: 4, qr: true, answers: [rr({ type: 1, rdata: Buffer.from([1, 2, 3, 4]) })] }));
    expect(ctx.flips).to.equal(1);
    const mcast = recordingContext({ respAddr: '224.0.0.251', respPort: 5353 });
    const m = session(mcast);
    udp(mcast, m, true, message({ id: 0, qr: true, answers: [rr({ type: 1, rdata: Buffer.from([1, 2, 3, 4]) })] }));
    // Multicast: no flip, and every message is its own row, written at once.
    expect(mcast.flips).to.equal(0);
    expect(mcast.rows).to.have.length(1);
  });

  it('reads TCP messages behind their 2-byte length, several per stream, however the stream is cut', () => {
    const msgs = [message({ id: 1 }), message({ id: 2, question: { name: 'b.example', type: 28 } })];
    const replies = [message({ id: 1, qr: true, answers: [rr({ type: 1, rdata: Buffer.from([1, 1, 1, 1]) })] }),
      message({ id: 2, qr: true, question: { name: 'b.example', type: 28 }, answers: [rr({ type: 5, rdata: wireName('c.example') })] })];
    const frame = (m: Buffer[]): Buffer => Buffer.concat(m.flatMap((x) => [u16(x.length), x]));
    const toServer = frame(msgs);
    const toClient = frame(replies);
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: toServer.length }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: toClient.length }), { maxLength: 8 }),
      (cutsA, cutsB) => {
        const ctx = recordingContext({ proto: 'tcp' });
        const s = session(ctx);
        const feed = (isOrig: boolean, stream: Buffer, cuts: number[]): void => {
          const points = [...new Set([0, ...cuts, stream.length])].sort((x, y) => x - y);
          for (let i = 0; i + 1 < points.length; i++) s.deliverStream(isOrig, stream, points[i], points[i + 1] - points[i]);
        };
        feed(true, toServer, cutsA);
        feed(false, toClient, cutsB);
        s.end();
        expect(ctx.rows.map((r) => [r.transId, r.proto, r.query, r.qtypeName, r.answers?.join()])).to.deep.equal([
          [1, 'tcp', 'example.org', 'A', '1.1.1.1'], [2, 'tcp', 'b.example', 'AAAA', 'c.example']]);
        expect(ctx.weirds).to.deep.equal([]);
      }), { seed: 12, numRuns: 200 });
  });

  it('a partial TCP message at the close is parsed as it is (Zeek flushes it)', () => {
    const ctx = recordingContext({ proto: 'tcp' });
    const s = session(ctx);
    const q = message({ id: 3 });
    const framed = Buffer.concat([u16(q.length + 10), q]);
    s.deliverStream(true, framed, 0, framed.length);
    s.endOfStream();
    s.end();
    expect(ctx.rows.map((r) => [r.transId, r.query])).to.deep.equal([[3, 'example.org']]);
  });

  describe('malformed messages end in weirds, as Zeek names them', () => {
    function weirdsOf(msg: Buffer, opts: { proto?: 'udp' | 'tcp' } = {}): RecordingContext {
      const ctx = recordingContext(opts);
      const s = session(ctx);
      udp(ctx, s, false, msg);
      s.end();
      return ctx;
    }
    const names = (ctx: RecordingContext): string[] => ctx.weirds.map((w) => w.name);

    it('a message shorter than the header', () => {
      expect(names(weirdsOf(Buffer.from([1, 2, 3])))).to.deep.equal(['DNS_truncated_len_lt_hdr_len']);
    });

    it('an unknown opcode (and X in the history)', () => {
      const ctx = weirdsOf(message({ id: 1, opcode: 2 }));
      expect(ctx.weirds).to.deep.equal([{ name: 'DNS_unknown_opcode', addl: '2' }]);
      expect(ctx.history).to.equal('X');
      expect(ctx.rows).to.deep.equal([]);
    });

    it('a label longer than 63, a label past the end, a compression pointer forward or to itself', () => {
      const h = message({ id: 1, question: null, counts: [1, 0, 0, 0] });
      expect(names(weirdsOf(Buffer.concat([h, Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]))))
        .to.deep.equal(['DNS_label_too_long']);
      expect(names(weirdsOf(Buffer.concat([h, Buffer.from([9, 0x61, 0x62]), Buffer.from([0])]))))
        .to.deep.equal(['DNS_label_len_gt_pkt']);
      expect(names(weirdsOf(Buffer.concat([h, Buffer.from([0xc0, 12]), Buffer.from([0, 1, 0, 1])]))))
        .to.deep.equal(['DNS_label_forward_compress_offset']);
      expect(names(weirdsOf(Buffer.concat([h, Buffer.from([0xc0, 40]), Buffer.from([0, 1, 0, 1])]))))
        .to.deep.equal(['DNS_label_forward_compress_offset']);
      expect(names(weirdsOf(Buffer.concat([h, Buffer.from([1, 0x61])])))).to.deep.equal(['dns_invalid_name']);
    });

    it('a chain of compression pointers deeper than 20 stops with a limit weird', () => {
      // Each answer's owner name points at the previous answer's owner name: the k-th answer is k pointers deep.
      const answers: Buffer[] = [];
      const questionLength = wireName('x').length + 4;
      for (let k = 1; k <= 24; k++) {
        const target = k === 1 ? 12 : 12 + questionLength + (k - 2) * 16;
        answers.push(rr({ name: Buffer.from([0xc0 | (target >> 8), target & 0xff]), type: 1, rdata: Buffer.from([10, 0, 0, k]) }));
      }
      const ctx = weirdsOf(message({ id: 1, qr: true, question: { name: 'x', type: 1 }, answers }));
      expect(ctx.weirds).to.deep.equal([21, 22, 23, 24].map(() => ({ name: 'DNS_max_compression_chain_depth_exceeded', addl: '21' })));
      expect(ctx.history).to.equal('X');
      expect(ctx.rows[0].answers).to.have.length(24);
    });

    it('records cut short: rdata past the end, a short A, a zero rdlength, a TXT string past its record', () => {
      const q = { name: 'example.org', type: 1 };
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q, answers: [rr({ type: 1, rdata: Buffer.from([1, 2]), rdlength: 4 })] }))))
        .to.deep.equal(['DNS_truncated_RR_rdlength_lt_len']);
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q, answers: [rr({ type: 1, rdata: Buffer.from([1, 2, 3, 4, 5]) })] }))))
        .to.deep.equal(['DNS_RR_bad_length']);
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q,
        answers: [rr({ type: 1, rdata: Buffer.alloc(0) }), rr({ type: 1, rdata: Buffer.from([1, 2, 3, 4]) })] }))))
        .to.deep.equal(['DNS_zero_rdlength']);
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q, answers: [rr({ type: 16, rdata: Buffer.from([9, 0x61]) })] }))))
        .to.deep.equal(['DNS_TXT_char_str_past_rdlen']);
      expect(names(weirdsOf(message({ id: 1, qr: true, question: null, counts: [1, 0, 0, 0], tail: Buffer.concat([wireName('a'), Buffer.from([0])]) }))))
        .to.deep.equal(['DNS_truncated_quest_too_short']);
    });

    it('more than 25 questions is a protocol violation', () => {
      const ctx = weirdsOf(message({ id: 1, counts: [26, 0, 0, 0] }));
      expect(ctx.weirds).to.deep.equal([{ name: 'DNS_Conn_count_too_large', addl: '26 > 25' }]);
      expect(ctx.violations).to.deep.equal(['DNS_Conn_count_too_large']);
    });

    it('HTTPS/SVCB parameters Zeek checks', () => {
      const q = { name: 'example.org', type: 65 };
      const https = (params: Buffer): Buffer => rr({ type: 65, rdata: Buffer.concat([u16(1), Buffer.from([0]), params]) });
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q, answers: [https(u16(3, 1, 0x0100).subarray(0, 5))] }))))
        .to.deep.equal(['DNS_SVCB_port_length_invalid']);
      expect(names(weirdsOf(message({ id: 1, qr: true, question: q, answers: [rr({ type: 65, rdata: u16(1) })] }))))
        .to.deep.equal(['DNS_SVCB_wrong_length']);
      const ok = weirdsOf(message({ id: 1, qr: true, question: q, answers: [https(Buffer.concat([u16(3, 2, 443), u16(1, 3), Buffer.from([2]), Buffer.from('h2')]))] }));
      expect(names(ok)).to.deep.equal([]);
    });
  });

  it('keeps at most what Zeek keeps pending on one connection, however many queries go unanswered', () => {
    const ctx = recordingContext();
    const s = session(ctx);
    let max = 0;
    for (let i = 0; i < 20_000; i++) {
      udp(ctx, s, true, message({ id: i % 65536 }), 1 + i / 1000);
      if (i % 97 === 0) max = Math.max(max, s.pendingCount());
    }
    expect(max).to.be.at.most(1 + 51 * 51);
    s.end();
    expect(ctx.rows).to.have.length(20_000);
  });
});
