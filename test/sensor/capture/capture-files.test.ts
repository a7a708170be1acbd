// Proves the pcap/pcapng readers against tcpdump/tshark on every Zeek case capture, on synthetic files in
// every supported flavour (byte orders, ns timestamps, multi-section pcapng) and on damaged files.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CaptureFileError, openCaptureFile } from '../../../sensor/capture/open-capture';
import { caseCapture, readAll, runTool, tsharkFields, zeekCaptures } from './capture-test-support';
import { buildPcap, buildPcapng, SyntheticPacket } from './synthetic-captures';

describe('capture files', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-capture-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads every Zeek case capture with the packet count tcpdump reports', async function () {
    this.timeout(120000);
    const mismatches: string[] = [];
    for (const file of zeekCaptures()) {
      const expected = runTool('tcpdump', ['-r', file, '-nn', '-q']).split('\n').filter((l) => l !== '').length;
      const { packets, error } = await readAll(file);
      if (error) mismatches.push(`${file}: ${error.message}`);
      else if (packets.length !== expected) mismatches.push(`${file}: ${packets.length} != tcpdump ${expected}`);
    }
    expect(mismatches).to.deep.equal([]);
  });

  it('gives the bytes, lengths and microsecond timestamps tshark sees (pcapng multi-interface, nanosecond IDB)', async () => {
    for (const c of ['core-pcapng-pktsrc', 'core-tcp-flip-without-syn', 'core-q-in-q', 'http-http-connect-with-header', 'ssl-ml-dsa-44-cert']) {
      const file = caseCapture(c);
      const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len'], ['-o', 'gui.column.format:"T","%t"']);
      const { packets, error } = await readAll(file);
      expect(error).to.equal(undefined);
      expect(packets.length).to.equal(rows.length);
      packets.forEach((p, i) => {
        const [sec, frac = '0'] = rows[i][0].split('.');
        // libpcap (and so Zeek) truncates nanoseconds to microseconds.
        expect(`${p.tsSec}.${String(p.tsUsec).padStart(6, '0')}`, `${c} #${i + 1}`).to.equal(`${sec}.${frac.padEnd(9, '0').slice(0, 6)}`);
        expect(p.wireLength).to.equal(Number(rows[i][1]));
        expect(p.bytes.length).to.equal(Number(rows[i][2]));
      });
    }
  });

  it('reads the same packets whatever the chunk size (records straddling chunk boundaries)', async () => {
    for (const c of ['ftp-ftp-ipv6', 'smtp-bdat-cmd-invalid', 'core-pcapng-pktsrc']) {
      const file = caseCapture(c);
      const whole = await readAll(file);
      for (const chunkBytes of [64, 1000, 4099]) {
        const chunked = await readAll(file, { chunkBytes });
        expect(chunked.error).to.equal(undefined);
        expect(chunked.packets).to.deep.equal(whole.packets);
      }
    }
  });

  const synthetic: SyntheticPacket[] = [
    { tsSec: 1700000000, frac: 123456789, bytes: Buffer.from('00112233445566778899aabb08004500001c000100004011f9cd7f0000017f000001', 'hex'), wireLength: 60 },
    { tsSec: 1700000001, frac: 999999999, bytes: Buffer.alloc(300, 7), wireLength: 1514 },
    { tsSec: 1700000002, frac: 1, bytes: Buffer.alloc(1, 1), wireLength: 1 },
  ];

  for (const littleEndian of [true, false]) {
    for (const nanoseconds of [false, true]) {
      it(`classic pcap, ${littleEndian ? 'little' : 'big'}-endian, ${nanoseconds ? 'nano' : 'micro'}seconds: agrees with tshark`, async () => {
        const file = path.join(tmp, `syn-${littleEndian}-${nanoseconds}.pcap`);
        const pkts = synthetic.map((p) => ({ ...p, frac: nanoseconds ? p.frac : Math.floor(p.frac / 1000) }));
        fs.writeFileSync(file, buildPcap(pkts, { littleEndian, nanoseconds, linkType: 1 }));
        const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
        const { packets, error } = await readAll(file);
        expect(error).to.equal(undefined);
        expect(packets.map((p) => `${p.tsSec}.${String(p.tsUsec).padStart(6, '0')} ${p.wireLength} ${p.bytes.length}`))
          .to.deep.equal(rows.map((r) => `${r[0].split('.')[0]}.${r[0].split('.')[1].padEnd(9, '0').slice(0, 6)} ${r[1]} ${r[2]}`));
        packets.forEach((p, i) => expect(p.bytes.equals(pkts[i].bytes)).to.equal(true));
      });
    }
  }

  for (const littleEndian of [true, false]) {
    it(`pcapng ${littleEndian ? 'little' : 'big'}-endian: two sections, tsresol 10^-9 / 2^-20 / default, tsoffset, EPB+SPB+OPB, unknown blocks`, async () => {
      const file = path.join(tmp, `syn-${littleEndian}.pcapng`);
      fs.writeFileSync(file, buildPcapng(littleEndian));
      const rows = tsharkFields(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id']);
      const { packets, error } = await readAll(file);
      expect(error).to.equal(undefined);
      expect(packets.length).to.equal(rows.length);
      packets.forEach((p, i) => {
        // tshark prints no time for a simple packet block (it has none); we deliver 0.
        const [sec, frac = '0'] = (rows[i][0] || '0.0').split('.');
        expect(`${p.tsSec}.${String(p.tsUsec).padStart(6, '0')}`, `packet ${i + 1}`).to.equal(`${sec}.${frac.padEnd(9, '0').slice(0, 6)}`);
        expect(p.wireLength).to.equal(Number(rows[i][1]));
        expect(p.bytes.length).to.equal(Number(rows[i][2]));
      });
      // The second section's interface is raw IP: link types are per interface.
      expect(packets.map((p) => p.linkType)).to.deep.equal([1, 1, 1, 1, 101]);
    });
  }

  it('rejects files that are not captures before reading, naming the byte offset', () => {
    const cases: [string, Buffer][] = [
      ['empty.pcap', Buffer.alloc(0)],
      ['text.pcap', Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n')],
      ['short.pcap', Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])],
      ['zeros.pcapng', Buffer.alloc(4096)],
    ];
    for (const [name, bytes] of cases) {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, bytes);
      expect(() => openCaptureFile(file, {}), name).to.throw(CaptureFileError, /at byte 0/);
    }
    expect(() => openCaptureFile(path.join(tmp, 'missing.pcap'), {})).to.throw(CaptureFileError, /cannot open/);
  });

  it('delivers every whole packet before a cut and then fails with the offset (random cuts of real captures)', async () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let errors = 0;
    for (const c of ['ftp-ftp-ipv4', 'core-pcapng-pktsrc', 'smtp-bdat-cmd-invalid', 'core-vlan-mpls']) {
      const file = caseCapture(c);
      const full = fs.readFileSync(file);
      const whole = await readAll(file);
      // Byte offset where each packet's record ends, found by cutting exactly there.
      for (let k = 0; k < 12; k++) {
        const cut = 40 + random(full.length - 41);
        const cutFile = path.join(tmp, `cut-${c}-${cut}${path.extname(file)}`);
        fs.writeFileSync(cutFile, full.subarray(0, cut));
        const got = await readAll(cutFile);
        // What tcpdump (libpcap) reads from the same cut file: the same whole packets.
        const tcpdumpCount = (() => {
          try {
            return runTool('tcpdump', ['-r', cutFile, '-nn', '-q']).split('\n').filter((l) => l !== '').length;
          } catch (e) {
            return String((e as { stdout?: string }).stdout ?? '').split('\n').filter((l) => l !== '').length;
          }
        })();
        expect(got.packets.length, `${c} cut at ${cut}`).to.equal(tcpdumpCount);
        expect(got.packets).to.deep.equal(whole.packets.slice(0, got.packets.length));
        if (got.error) {
          errors++;
          expect(got.error).to.be.instanceOf(CaptureFileError);
          expect(got.error.message).to.match(/truncated .* at byte \d+ \(needs \d+ bytes, \d+ left\)/);
          const at = Number(/at byte (\d+)/.exec(got.error.message)![1]);
          expect(at).to.be.lessThan(cut);
        }
        fs.rmSync(cutFile);
      }
    }
    expect(errors).to.be.greaterThan(30); // almost every random cut lands inside a record
  });

  it('reports a corrupt record length instead of allocating for it', async () => {
    const file = caseCapture('core-q-in-q');
    const bytes = Buffer.from(fs.readFileSync(file));
    bytes.writeUInt32LE(0x7fffffff, 24 + 8); // first record's captured length
    const bad = path.join(tmp, 'bad-len.pcap');
    fs.writeFileSync(bad, bytes);
    const got = await readAll(bad);
    expect(got.packets.length).to.equal(0);
    expect(got.error?.message).to.match(/bad-len\.pcap: invalid packet record at byte 24/);
  });

  it('stop() ends run() early', async () => {
    const src = openCaptureFile(caseCapture('ftp-cwd-navigation'), {});
    let n = 0;
    await src.run(() => {
      if (++n === 10) src.stop();
    });
    expect(n).to.be.at.least(10);
    expect(n).to.be.lessThan(8317);
  });
});
