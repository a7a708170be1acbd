// Seeded fuzzing with mutated real DNS messages (every DNS message of Zeek's dns-* cases and of the dig capture):
// the sensor never crashes and the DNS analyzer never throws, malformed input ends in weird.log under the names Zeek's
// DNS analyzer uses, and what one connection keeps pending stays within Zeek's limits however many messages it sees.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dnsAnalyzer, DnsSession } from '../../../../sensor/analyzers/dns/dns-analyzer';
import { AnalyzerRegistry } from '../../../../sensor/analyzers/registry';
import { openCaptureFile } from '../../../../sensor/capture/open-capture';
import { ZEEK_DEFAULT_LIKELY_SERVER_PORTS } from '../../../../sensor/flows/likely-server-ports';
import { LocalNetworks } from '../../../../sensor/flows/local-networks';
import { LogWriterSet } from '../../../../sensor/logs/log-writer-set';
import { SensorPipeline } from '../../../../sensor/pipeline';
import { buildPcap } from '../../capture/synthetic-captures';
import { buildFrame } from '../../flows/packet-builder';
import { trackCapture } from '../../flows/zeek-case-runner';
import { readZeekLog } from '../../logs/zeek-log-reader';
import { PCAPS_DIR, ZEEK_CASES_DIR } from '../../../helpers/fixture-paths';
import { recordingContext } from './dns-test-support';

/** Every weird name Zeek's src/analyzer/protocol/dns/DNS.cc can raise. */
const ZEEK_DNS_WEIRDS = new Set(('DNSSEC_DNSKEY_Indirect_ZoneSignAlgo DNSSEC_DNSKEY_Invalid_Flag DNSSEC_DNSKEY_Invalid_Protocol ' +
  'DNSSEC_DNSKEY_NotRecommended_ZoneSignAlgo DNSSEC_DNSKEY_PrivateDNS_ZoneSignAlgo DNSSEC_DNSKEY_PrivateOID_ZoneSignAlgo ' +
  'DNSSEC_DNSKEY_Revoked_KSK DNSSEC_DNSKEY_unknown_ZoneSignAlgo DNSSEC_DS_ReservedDigestType DNSSEC_DS_unknown_DigestType ' +
  'DNSSEC_NSEC3_bitmapLen0 DNSSEC_NSEC_bitmapLen0 DNSSEC_RRSIG_Indirect_ZoneSignAlgo DNSSEC_RRSIG_NotRecommended_ZoneSignAlgo ' +
  'DNSSEC_RRSIG_PrivateDNS_ZoneSignAlgo DNSSEC_RRSIG_PrivateOID_ZoneSignAlgo DNSSEC_RRSIG_unknown_ZoneSignAlgo DNS_A6_neg_length ' +
  'DNS_AAAA_neg_length DNS_CAA_char_str_past_rdlen DNS_Conn_count_too_large DNS_DU_incorrect_zone_type DNS_DU_invalid_zone_count ' +
  'DNS_LOC_version_unrecognized DNS_NAME_too_long DNS_RR_bad_length DNS_RR_length_mismatch DNS_RR_unknown_type ' +
  'DNS_SVCB_aliasmode_with_params DNS_SVCB_alpn_length_invalid DNS_SVCB_hint_length_invalid DNS_SVCB_key_reserved_or_invalid ' +
  'DNS_SVCB_mandatory_length_invalid DNS_SVCB_nodefaultalpn_value DNS_SVCB_param_value_toobig DNS_SVCB_port_length_invalid ' +
  'DNS_SVCB_wrong_length DNS_TXT_char_str_past_rdlen DNS_dynamic_update_invalid_prereq DNS_dynamic_update_invalid_update ' +
  'DNS_dynamic_update_prereq_nonzero_ttl DNS_label_forward_compress_offset DNS_label_len_gt_name_len DNS_label_len_gt_pkt ' +
  'DNS_label_too_long DNS_max_compression_chain_depth_exceeded DNS_truncated_RR_rdlength_lt_len DNS_truncated_ans_too_short ' +
  'DNS_truncated_len_lt_hdr_len DNS_truncated_quest_too_short DNS_unknown_opcode DNS_zero_rdlength EDNS_truncated_option ' +
  'dns_invalid_loc_length dns_invalid_name').split(' '));

/** xorshift32: the same mutations on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

function mutate(msg: Buffer, rand: () => number): Buffer {
  let m = Buffer.from(msg);
  const ops = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < ops && m.length > 0; k++) {
    const at = Math.floor(rand() * m.length);
    switch (Math.floor(rand() * 6)) {
      case 0: m[at] ^= 1 << Math.floor(rand() * 8); break;
      case 1: m[at] = [0x00, 0xff, 0xc0, 0x3f, 0x40, 0x7f][Math.floor(rand() * 6)]; break;
      case 2: m = m.subarray(0, at); break;
      case 3: m = Buffer.concat([m, m.subarray(at, at + 1 + Math.floor(rand() * 40))]); break;
      case 4: if (m.length > 12) m.writeUInt16BE(Math.floor(rand() * 65536), 4 + 2 * Math.floor(rand() * 4)); break;
      default: if (at + 1 < m.length) { m[at] = 0xc0 | Math.floor(rand() * 4); m[at + 1] = Math.floor(rand() * 256); } break;
    }
  }
  return m;
}

/** The UDP payloads of every DNS message in the Zeek cases and the dig capture. */
async function realMessages(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const registry = new AnalyzerRegistry({ likelyServerPorts: ZEEK_DEFAULT_LIKELY_SERVER_PORTS });
  registry.register({
    name: 'COLLECT', ports: [53, 5353, 5355].map((port) => ({ proto: 'udp' as const, port })),
    create: () => ({ deliverPacket: (_o, d, o, n) => { out.push(Buffer.from(d.subarray(o, o + n))); } }),
  });
  const files = fs.readdirSync(ZEEK_CASES_DIR).filter((c) => c.startsWith('dns-'))
    .flatMap((c) => fs.readdirSync(path.join(ZEEK_CASES_DIR, c)).filter((f) => f.endsWith('.pcap')).map((f) => path.join(ZEEK_CASES_DIR, c, f)));
  for (const f of [...files, path.join(PCAPS_DIR, 'dns-dig-types.pcap')]) await trackCapture(f, { analyzers: registry, ignoreChecksums: true });
  return out;
}

describe('DNS fuzzing (seeded mutations of real messages)', function () {
  this.timeout(300_000);
  let seeds: Buffer[];
  let tmp: string;
  before(async () => {
    seeds = await realMessages();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-dns-fuzz-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('through the whole sensor: no crash, no analyzer failure, malformed input in weird.log under Zeek\'s names', async () => {
    expect(seeds.length).to.be.greaterThan(40);
    const rand = rng(20261203);
    const frames = [];
    for (let i = 0; i < 4000; i++) {
      const payload = mutate(seeds[i % seeds.length], rand);
      const fromClient = rand() < 0.5;
      const client = 20000 + (i % 500); // 500 connections of 8 messages
      frames.push({
        tsSec: 1_700_000_000 + Math.floor(i / 100), frac: (i % 100) * 1000,
        bytes: buildFrame({ t: 0, src: fromClient ? '10.0.0.1' : '10.0.0.2', dst: fromClient ? '10.0.0.2' : '10.0.0.1',
          sport: fromClient ? client : 53, dport: fromClient ? 53 : client, proto: 'udp', payload }),
      });
    }
    const pcap = path.join(tmp, 'fuzz.pcap');
    fs.writeFileSync(pcap, buildPcap(frames.map((f) => ({ ...f, wireLength: f.bytes.length })), { littleEndian: true, nanoseconds: false, linkType: 1 }));
    const logs = path.join(tmp, 'logs');
    await new SensorPipeline({
      source: openCaptureFile(pcap),
      logs: new LogWriterSet({ dir: logs, profile: 'zeek', format: 'ascii' }),
      localNets: LocalNetworks.zeekDefault(),
      // Zeek samples repeated weirds; count every one here.
      weirdPolicy: { samplingThreshold: Number.MAX_SAFE_INTEGER },
    }).run();
    const weirds = readZeekLog(path.join(logs, 'weird.log')).rows;
    expect(weirds.filter((w) => w.get('name') === 'analyzer_failed')).to.deep.equal([]);
    const dnsWeirds = weirds.filter((w) => w.get('source') === 'DNS');
    expect(dnsWeirds.length).to.be.greaterThan(100);
    for (const w of dnsWeirds) expect(ZEEK_DNS_WEIRDS.has(w.get('name') as string), w.get('name')).to.equal(true);
    expect(new Set(dnsWeirds.map((w) => w.get('name'))).size).to.be.greaterThan(8);
    expect(readZeekLog(path.join(logs, 'dns.log')).rows.length).to.be.greaterThan(100);
    expect(readZeekLog(path.join(logs, 'conn.log')).rows.length).to.be.at.least(500);
  });

  it('one connection fed every mutation over UDP and TCP (cut anywhere) keeps its pending state within Zeek\'s limits', () => {
    const rand = rng(7);
    for (const proto of ['udp', 'tcp'] as const) {
      const ctx = recordingContext({ proto });
      const s = dnsAnalyzer.create(ctx) as DnsSession;
      let maxPending = 0;
      for (let i = 0; i < 30_000; i++) {
        const m = mutate(seeds[i % seeds.length], rand);
        ctx.now += 0.001;
        if (proto === 'udp') {
          s.deliverPacket(rand() < 0.5, m, 0, m.length);
        } else {
          const framed = Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
          const cut = Math.floor(rand() * framed.length);
          const isOrig = i % 2 === 0;
          s.deliverStream(isOrig, framed, 0, cut);
          s.deliverStream(isOrig, framed, cut, framed.length - cut);
        }
        if (i % 101 === 0) maxPending = Math.max(maxPending, s.pendingCount());
      }
      s.endOfStream();
      s.end();
      // One fast-path query plus at most 51 ids of at most 51 messages, for queries and for replies.
      expect(maxPending, proto).to.be.at.most(1 + 2 * 51 * 52);
      expect(ctx.weirds.length, proto).to.be.greaterThan(1000);
      expect(ctx.rows.length, proto).to.be.greaterThan(1000);
    }
  });
});
