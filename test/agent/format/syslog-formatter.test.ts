// Proves the formatter writes what rsyslogd 8 writes: side by side with a real rsyslogd (imfile -> omfwd) over
// the awkward lines, plus a fast-check model of the templates for the input space rsyslog cannot cover cheaply.

import { expect } from 'chai';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ForwardTemplate } from '../../../agent/config/agent-config';
import { appNameAndProcId, formatSyslogMessage, rfc3164Timestamp, SyslogFormatter } from '../../../agent/format/syslog-formatter';
import { StreamDeframer } from '../../../agent/transport/framing';
import { RawCaptureListener } from '../../agent/integration/raw-capture-listener';
import { makeTempDir, waitFor } from '../../helpers/rsyslogd-process';
import { RsyslogReference, type ReferenceFile } from '../../helpers/rsyslog-reference';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Source extends ReferenceFile {
  facility: number;
  severity: number;
  lines: Buffer[];
}

/** The time rsyslog wrote into a message (microseconds too), to format our side with the same clock reading. */
function timeOf(received: Buffer, template: ForwardTemplate): { time: Date; micros: number } {
  const text = received.toString('latin1');
  if (template === 'RSYSLOG_TraditionalForwardFormat') {
    const m = /^<\d+>([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /.exec(text);
    if (!m) throw new Error(`no RFC 3164 timestamp in ${JSON.stringify(text)}`);
    return { time: new Date(new Date().getFullYear(), MONTHS.indexOf(m[1]), Number(m[2].trim()), Number(m[3]), Number(m[4]), Number(m[5])), micros: 0 };
  }
  const m = /^<\d+>(?:1 )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})(\d{3})([+-]\d\d:\d\d) /.exec(text);
  if (!m) throw new Error(`no RFC 3339 timestamp in ${JSON.stringify(text)}`);
  return { time: new Date(`${m[1]}${m[3]}`), micros: Number(m[2]) };
}

/** Checks every received message is the next line of some source, formatted by us, and all lines arrived. */
function expectSameAsRsyslog(received: Buffer[], sources: Source[], template: ForwardTemplate, hostname: string, maxMessageSize: number): void {
  const next = sources.map(() => 0);
  for (const r of received) {
    const { time, micros } = timeOf(r, template);
    const candidates: string[] = [];
    let matched = false;
    for (let s = 0; s < sources.length && !matched; s++) {
      const src = sources[s];
      if (next[s] >= src.lines.length) continue;
      const ours = formatSyslogMessage(template, { facility: src.facility, severity: src.severity, time, micros, hostname, tag: src.tag, msg: src.lines[next[s]] }, maxMessageSize);
      if (ours.equals(r)) {
        next[s]++;
        matched = true;
      } else candidates.push(JSON.stringify(ours.toString('latin1')));
    }
    if (!matched) {
      expect.fail(`${template}: rsyslog sent ${JSON.stringify(r.toString('latin1'))}; nsm would send one of ${candidates.join(' | ')}`);
    }
  }
  expect(next, `${template}: lines delivered per source`).to.deep.equal(sources.map((s) => s.lines.length));
}

describe('syslog-formatter: byte-identical to rsyslogd 8 (imfile -> omfwd)', function () {
  const maxMessageSize = 200;
  const dir = makeTempDir('formatter');
  const savedTz = process.env.TZ;
  const listeners: RawCaptureListener[] = [];
  let reference: RsyslogReference | undefined;

  const sources: Source[] = [
    {
      path: path.join(dir, 'conn.log'),
      tag: 'bro_conn:',
      facility: 23,
      severity: 6,
      lines: [
        Buffer.from('1322000000.000000\tCHhAvV\t10.0.0.1\t52000\t10.0.0.2\t80\ttcp\thttp\t0.5\t100\t200\tSF'),
        Buffer.from(' leading space'),
        Buffer.from([0x63, 0x74, 0x6c, 0x01, 0x02, 0x1b, 0x7f, 0x20, 0x62, 0x69, 0x6e, 0xff, 0xfe, 0xc3]),
        Buffer.from('carriage return before LF\r'),
        Buffer.from('utf8 é ü 日本'),
        Buffer.from(`L250-${'y'.repeat(245)}`),
        Buffer.from(`L165-${'z'.repeat(160)}`),
        Buffer.from('#011 literal, not an escape'),
      ],
    },
    {
      path: path.join(dir, 'legacy.log'),
      tag: 'averyveryverylongtagname_abcdefghijklmnop:',
      facility: 22,
      severity: 5,
      legacy: true,
      lines: [Buffer.from('legacy\tform'), Buffer.from('second')],
    },
    { path: path.join(dir, 'pid.log'), tag: 'bro[123]:', facility: 16, severity: 3, lines: [Buffer.from('with pid')] },
    { path: path.join(dir, 'nocolon.log'), tag: 'tag with space', facility: 1, severity: 7, lines: [Buffer.from('x')] },
  ];
  const targets: { template: ForwardTemplate; protocol: 'tcp' | 'udp'; framing: 'lf' | 'octet-counted' }[] = [
    { template: 'RSYSLOG_TraditionalForwardFormat', protocol: 'tcp', framing: 'lf' },
    { template: 'RSYSLOG_TraditionalForwardFormat', protocol: 'udp', framing: 'lf' },
    { template: 'RSYSLOG_ForwardFormat', protocol: 'tcp', framing: 'octet-counted' },
    { template: 'RSYSLOG_SyslogProtocol23Format', protocol: 'tcp', framing: 'octet-counted' },
    { template: 'RSYSLOG_SyslogProtocol23Format', protocol: 'udp', framing: 'lf' },
  ];
  const totalLines = sources.reduce((n, s) => n + s.lines.length, 0);

  before(async function () {
    // A half-hour offset zone exercises the RFC 3339 offset; rsyslogd and this process share it.
    process.env.TZ = 'Asia/Kolkata';
    for (const s of sources) {
      // An empty line in the file must produce nothing, as with rsyslog; a last line without LF is held.
      const body = Buffer.concat(s.lines.flatMap((l, i) => (i === 0 ? [l, Buffer.from('\n\n')] : [l, Buffer.from('\n')])));
      fs.writeFileSync(s.path, Buffer.concat([body, Buffer.from('held back: no LF yet')]));
    }
    const ports: number[] = [];
    for (const t of targets) {
      const l = new RawCaptureListener(t.protocol);
      listeners.push(l);
      ports.push(await l.listen());
    }
    reference = await RsyslogReference.start({
      files: sources,
      targets: targets.map((t, i) => ({ ...t, port: ports[i] })),
      maxMessageSize,
      env: { TZ: 'Asia/Kolkata' },
    });
  });

  after(async function () {
    await reference?.stop();
    for (const l of listeners) await l.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const receivedBy = (i: number): Buffer[] => {
    const t = targets[i];
    const l = listeners[i];
    if (t.protocol === 'udp') return l.datagrams;
    return new StreamDeframer(t.framing).push(l.tcpBytes());
  };

  targets.forEach((t, i) => {
    it(`${t.template} over ${t.protocol}${t.protocol === 'tcp' ? ` (${t.framing})` : ''} matches rsyslog's bytes`, async function () {
      await waitFor(`${totalLines} messages from rsyslogd`, () => receivedBy(i).length >= totalLines, 20_000);
      // Let a wrongly sent held-back partial line (or empty line) arrive before judging.
      await new Promise((r) => setTimeout(r, 300));
      expectSameAsRsyslog(receivedBy(i), sources, t.template, os.hostname().split('.')[0], maxMessageSize);
    });
  });

  it('shows rsyslog leaves a last line without LF unsent until it is completed', async function () {
    await waitFor('TCP traditional messages', () => receivedBy(0).length >= totalLines, 20_000);
    const all = receivedBy(0).map((b) => b.toString('latin1'));
    expect(all.some((m) => m.includes('held back'))).to.equal(false);
    fs.appendFileSync(sources[2].path, ' now complete\n');
    await waitFor('the completed line', () => receivedBy(0).length > totalLines, 20_000);
    expect(receivedBy(0)[totalLines].toString('latin1')).to.match(/ bro\[123\]: held back: no LF yet now complete$/);
  });
});

describe('syslog-formatter: template rules', function () {
  it('space-pads single-digit days in RFC 3164 timestamps', function () {
    expect(rfc3164Timestamp(new Date(2026, 10, 3, 4, 5, 6))).to.equal('Nov  3 04:05:06');
    expect(rfc3164Timestamp(new Date(2026, 0, 23, 14, 0, 0))).to.equal('Jan 23 14:00:00');
  });

  it('derives APP-NAME and PROCID from the tag as rsyslog does', function () {
    expect(appNameAndProcId('bro_conn:')).to.deep.equal({ appName: 'bro_conn', procId: '-' });
    expect(appNameAndProcId('bro[123]:')).to.deep.equal({ appName: 'bro', procId: '123' });
    expect(appNameAndProcId('bro/conn:')).to.deep.equal({ appName: 'bro', procId: '-' });
    expect(appNameAndProcId('tag with space:')).to.deep.equal({ appName: 'tag with space', procId: '-' });
    expect(appNameAndProcId('a:b')).to.deep.equal({ appName: 'a', procId: '-' });
  });

  it('cuts the whole message, header and Protocol23 final LF included, at maxMessageSize', function () {
    const time = new Date(2026, 10, 23, 14, 24, 3);
    const f = new SyslogFormatter('RSYSLOG_SyslogProtocol23Format', 23, 6, 'h', 'bro_x:', 60);
    const out = f.format(time, Buffer.from('m'.repeat(100)));
    expect(out.length).to.equal(60);
    expect(out[59]).to.equal(0x6d);
    const short = f.format(time, Buffer.from('m'));
    expect(short[short.length - 1]).to.equal(0x0a);
  });

  it('writes microseconds into the RFC 3339 fraction when given them; none are invented when not', function () {
    const time = new Date(Date.UTC(2026, 10, 23, 9, 24, 33, 57));
    const fields = { facility: 23, severity: 6, time, hostname: 'h', tag: 'bro_conn:', msg: Buffer.from('m') };
    const savedTz = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      expect(formatSyslogMessage('RSYSLOG_ForwardFormat', { ...fields, micros: 453 }, 8192).toString()).to.equal('<190>2026-11-23T09:24:33.057453+00:00 h bro_conn: m');
      expect(formatSyslogMessage('RSYSLOG_SyslogProtocol23Format', { ...fields, micros: 9 }, 8192).toString()).to.equal('<190>1 2026-11-23T09:24:33.057009+00:00 h bro_conn - - - m\n');
      expect(formatSyslogMessage('RSYSLOG_ForwardFormat', fields, 8192).toString()).to.equal('<190>2026-11-23T09:24:33.057000+00:00 h bro_conn: m');
      expect(formatSyslogMessage('RSYSLOG_TraditionalForwardFormat', { ...fields, micros: 453 }, 8192).toString()).to.equal('<190>Nov 23 09:24:33 h bro_conn: m');
      // Out-of-range values never become non-digit bytes.
      for (const bad of [1000, -1, Number.NaN]) {
        expect(formatSyslogMessage('RSYSLOG_ForwardFormat', { ...fields, micros: bad }, 8192).toString()).to.contain('.057000+00:00');
      }
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  // A model of the three templates written the slow, obvious way; the fast formatter must agree for any input.
  function model(template: ForwardTemplate, fac: number, sev: number, time: Date, host: string, tag: string, msg: Buffer, max: number, micros = 0): Buffer {
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const off = -time.getTimezoneOffset();
    const offset = `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
    const iso = `${time.getFullYear()}-${p2(time.getMonth() + 1)}-${p2(time.getDate())}T${p2(time.getHours())}:${p2(time.getMinutes())}:${p2(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}${String(micros).padStart(3, '0')}${offset}`;
    const tag32 = Buffer.from(tag).subarray(0, 32);
    const sp = msg.length > 0 && msg[0] === 0x20 ? '' : ' ';
    let whole: Buffer;
    if (template === 'RSYSLOG_TraditionalForwardFormat') {
      const ts = `${MONTHS[time.getMonth()]} ${String(time.getDate()).padStart(2, ' ')} ${p2(time.getHours())}:${p2(time.getMinutes())}:${p2(time.getSeconds())}`;
      whole = Buffer.concat([Buffer.from(`<${fac * 8 + sev}>${ts} ${host} `), tag32, Buffer.from(sp), msg]);
    } else if (template === 'RSYSLOG_ForwardFormat') {
      whole = Buffer.concat([Buffer.from(`<${fac * 8 + sev}>${iso} ${host} `), tag32, Buffer.from(sp), msg]);
    } else {
      const { appName, procId } = appNameAndProcId(tag);
      whole = Buffer.concat([Buffer.from(`<${fac * 8 + sev}>1 ${iso} ${host} ${appName} ${procId} - - `), msg, Buffer.from('\n')]);
    }
    return whole.subarray(0, max);
  }

  it('agrees with a plain model of the templates for any tag, message, time order and size limit', function () {
    const template = fc.constantFrom<ForwardTemplate>('RSYSLOG_TraditionalForwardFormat', 'RSYSLOG_ForwardFormat', 'RSYSLOG_SyslogProtocol23Format');
    const base = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(
        template,
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 7 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 20, max: 400 }),
        // Times close together (same second, next second) and far apart, in any order: the header cache must follow.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 * 86400 * 1000 }), fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 999 })), { minLength: 1, maxLength: 12 }),
        (tpl, fac, sev, tag, max, entries) => {
          const f = new SyslogFormatter(tpl, fac, sev, 'sensor1', tag, max);
          for (const [dt, bytes, micros] of entries) {
            for (const t of [base + dt, base + dt + 1, base + dt + 999]) {
              const time = new Date(t);
              const msg = Buffer.from(bytes);
              expect(f.format(time, msg, micros).equals(model(tpl, fac, sev, time, 'sensor1', tag, msg, max, micros))).to.equal(true);
              // Callers that pass no microseconds keep the millisecond-only fraction.
              expect(f.format(time, msg).equals(model(tpl, fac, sev, time, 'sensor1', tag, msg, max, 0))).to.equal(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
