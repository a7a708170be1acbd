// The files framework on its own and under HTTP: Zeek's magic signatures pick the types Zeek picks, hashes and MIME
// types do not depend on how a body is cut into segments (property), gaps stop hashing, file names come from
// Content-Disposition as Zeek extracts them, and a hostile start of file costs no exponential regex time.

import { expect } from 'chai';
import { createHash } from 'crypto';
import fc from 'fast-check';
import * as zlib from 'zlib';
import { HttpSession } from '../../../../sensor/analyzers/http/http-analyzer';
import { filenameFromDisposition, MAX_FILES_PER_SIDE } from '../../../../sensor/analyzers/http/http-files';
import type { HttpInfo } from '../../../../sensor/analyzers/http/http-log';
import { fileAnalysisOf, parseFileHashes } from '../../../../sensor/analyzers/files/file-analysis';
import { BOF_BUFFER_SIZE, fixedFirstByte, SIGNATURE_COUNT, sniffAll, sniffMime } from '../../../../sensor/analyzers/files/mime-sniffer';
import { recordingContext, RecordingContext } from '../dns/dns-test-support';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(5000, 7)]);

function exchange(body: Buffer, headers: string, cuts: number[] = []): RecordingContext {
  const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
  const s = new HttpSession(ctx);
  const req = Buffer.from('GET /f HTTP/1.1\r\nHost: h\r\n\r\n');
  s.deliverStream(true, req, 0, req.length);
  const reply = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${headers}\r\n`), body]);
  const at = [0, ...cuts.filter((c) => c > 0 && c < reply.length).sort((a, b) => a - b), reply.length];
  for (let i = 1; i < at.length; i++) if (at[i] > at[i - 1]) s.deliverStream(false, reply, at[i - 1], at[i] - at[i - 1]);
  s.endOfStream(false);
  s.end();
  return ctx;
}

function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const c = body.subarray(i, i + size);
    parts.push(Buffer.from(c.length.toString(16) + '\r\n'), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

describe('file analysis', () => {
  it("sniffs with Zeek's signatures, strongest first", () => {
    expect(SIGNATURE_COUNT).to.equal(374);
    expect(sniffMime(PNG)).to.equal('image/png');
    expect(sniffMime(Buffer.from('GIF89a\x01\x00\x01\x00'))).to.equal('image/gif');
    expect(sniffMime(Buffer.from('%PDF-1.5\n%xxxxxxxxxxxx'))).to.equal('application/pdf');
    expect(sniffMime(Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'))).to.equal('application/zip');
    expect(sniffMime(Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'))).to.equal('application/x-dosexec');
    // Plain text needs 10 printable bytes (strength -20): HTML (49/100) and JSON (1) win over it.
    expect(sniffMime(Buffer.from('just some text'))).to.equal('text/plain');
    expect(sniffMime(Buffer.from('short'))).to.equal(undefined);
    expect(sniffMime(Buffer.from('<!DOCTYPE html><html><body>x</body></html>'))).to.equal('text/html');
    expect(sniffMime(Buffer.from('  <!-- c --> \n<html>'))).to.equal('text/html');
    expect(sniffMime(Buffer.from('{"a": [1, 2]}'))).to.equal('text/json');
    const all = sniffAll(Buffer.from('<html><head></head><body>hello</body></html>'));
    expect(all.map((m) => m.mime)).to.include.members(['text/html', 'text/plain']);
    expect(all[0].strength).to.be.at.least(all[all.length - 1].strength);
  });

  it('tries only the signatures that can start with the first byte, and still reports what all of them would (property)', () => {
    expect(fixedFirstByte('^PK\\x03\\x04')).to.equal(0x50);
    expect(fixedFirstByte('(\\x2d\\x2d)(.{3})')).to.equal(0x2d);
    for (const src of ['(a|b)c', '(ab)?c', 'a|b', '[ab]c', '.{2}x', 'a?b']) expect(fixedFirstByte(src), src).to.equal(undefined);
    const starts = ['PK\x03\x04', '\x89PNG\r\n\x1a\n', 'GIF8', '%PDF-', 'MZ', '\x1f\x8b', '<html', '{"', 'Rar!', '\xff\xd8\xff', '#!/bin/sh\n', '\x7fELF'];
    fc.assert(fc.property(fc.constantFrom(...starts), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (start, rest, prefixed) => {
      const b = Buffer.concat([Buffer.from(prefixed ? start : '', 'latin1'), Buffer.from(rest)]);
      expect(sniffMime(b)).to.equal(sniffAll(b)[0]?.mime);
    }), { numRuns: 2000, seed: 3 });
  });

  it('returns on hostile starts built to make nested regex repeats backtrack (blanks, unclosed comments)', () => {
    for (const s of [' '.repeat(BOF_BUFFER_SIZE), '<!--'.repeat(1024), '<!---->'.repeat(585), '\r\n'.repeat(2048),
      '<?xml '.padEnd(BOF_BUFFER_SIZE, ' '), '[' + '0,'.repeat(2000)]) {
      const mime = sniffMime(Buffer.from(s, 'latin1'));
      expect(mime === undefined || typeof mime === 'string').to.equal(true);
    }
    expect(sniffMime(Buffer.from(' '.repeat(100)))).to.equal('text/plain');
  });

  it('gives the same hashes and MIME type however the body is cut (property: Content-Length, chunked, gzip)', () => {
    const png = PNG;
    const html = Buffer.from('<html><body>' + 'x'.repeat(6000) + '</body></html>');
    const variants = [
      { body: png, headers: `Content-Length: ${png.length}\r\n`, want: png, mime: 'image/png' },
      { body: chunked(png, 777), headers: 'Transfer-Encoding: chunked\r\n', want: png, mime: 'image/png' },
      { body: zlib.gzipSync(html), headers: `Content-Encoding: gzip\r\nContent-Length: ${zlib.gzipSync(html).length}\r\n`, want: html, mime: 'text/html' },
    ];
    for (const v of variants) {
      const whole = exchange(v.body, v.headers).files;
      expect(whole).to.have.length(1);
      expect([whole[0].md5, whole[0].sha1, whole[0].mimeType, whole[0].seenBytes]).to.deep.equal([md5(v.want), sha1(v.want), v.mime, v.want.length]);
      fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: v.body.length + 60 }), { maxLength: 40 }), (cuts) => {
        const f = exchange(v.body, v.headers, cuts).files;
        expect(f.map((x) => [x.md5, x.sha1, x.sha256, x.mimeType, x.seenBytes])).to.deep.equal([[whole[0].md5, whole[0].sha1, whole[0].sha256, v.mime, v.want.length]]);
      }), { numRuns: 150, seed: 7 });
    }
  });

  it('puts fuid, file name and MIME type into the http.log row; a body-less reply makes no file', () => {
    const ctx = exchange(PNG, `Content-Length: ${PNG.length}\r\nContent-Disposition: attachment; filename="a b.png"\r\n`);
    const row = ctx.rows[0] as unknown as HttpInfo;
    expect(row.respFuids).to.deep.equal([ctx.files[0].fuid]);
    expect(row.respFilenames).to.deep.equal(['a b.png']);
    expect(row.respMimeTypes).to.deep.equal(['image/png']);
    expect(ctx.files[0].filename).to.equal('a b.png');
    expect(ctx.files[0].totalBytes).to.equal(PNG.length);
    expect(ctx.files[0].fuid).to.match(/^F[0-9A-Za-z]{10,17}$/);
    const empty = exchange(Buffer.alloc(0), 'Content-Length: 0\r\n');
    expect(empty.files).to.deep.equal([]);
    expect((empty.rows[0] as unknown as HttpInfo).respFuids).to.equal(undefined);
    expect(MAX_FILES_PER_SIDE).to.equal(15);
  });

  it('counts a gap as missing bytes and drops the hashes then (as Zeek removes its hash analyzers)', () => {
    const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
    const s = new HttpSession(ctx);
    const req = Buffer.from('GET /f HTTP/1.1\r\nHost: h\r\n\r\n');
    s.deliverStream(true, req, 0, req.length);
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${PNG.length}\r\n\r\n`);
    s.deliverStream(false, head, 0, head.length);
    s.deliverStream(false, PNG, 0, 100);
    s.deliverGap(false, 1000);
    s.deliverStream(false, PNG, 1100, PNG.length - 1100);
    s.end();
    expect(ctx.files).to.have.length(1);
    const f = ctx.files[0];
    expect([f.seenBytes, f.missingBytes, f.md5, f.analyzers.length, f.mimeType]).to.deep.equal([PNG.length - 1000, 1000, undefined, 0, 'image/png']);
  });

  it('hashes nothing when the run turns hashing off (as bare Zeek)', () => {
    const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
    fileAnalysisOf(ctx.shared).hashes = [];
    const s = new HttpSession(ctx);
    const msg = Buffer.from(`GET / HTTP/1.1\r\n\r\n`);
    s.deliverStream(true, msg, 0, msg.length);
    const reply = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789');
    s.deliverStream(false, reply, 0, reply.length);
    s.end();
    expect([ctx.files[0].md5, ctx.files[0].analyzers]).to.deep.equal([undefined, []]);
  });

  it('makes a file of each part of a multipart body, nested ones too, however the body is cut (property)', () => {
    const inner = ['--in', 'Content-Type: text/plain', '', 'inner part text here', '--in--'].join('\r\n');
    const body = Buffer.concat([Buffer.from(['preamble', '--out', 'Content-Disposition: form-data; name="a"', '', 'field value one',
      '--out', 'Content-Disposition: form-data; name="f"; filename="pic.png"', 'Content-Type: image/png', '', ''].join('\r\n')),
    PNG, Buffer.from(['', '--out', 'Content-Type: multipart/mixed; boundary=in', '', inner, '--out--', 'epilogue'].join('\r\n'))]);
    const headers = `Content-Type: multipart/form-data; boundary=out\r\nContent-Length: ${body.length}\r\n`;
    const run = (cuts: number[]) => {
      const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
      const s = new HttpSession(ctx);
      const req = Buffer.concat([Buffer.from(`POST /up HTTP/1.1\r\nHost: h\r\n${headers}\r\n`), body]);
      const at = [0, ...cuts.filter((c) => c > 0 && c < req.length).sort((a, b) => a - b), req.length];
      for (let i = 1; i < at.length; i++) if (at[i] > at[i - 1]) s.deliverStream(true, req, at[i - 1], at[i] - at[i - 1]);
      s.end();
      return ctx;
    };
    const whole = run([]);
    expect(whole.files.map((f) => [f.seenBytes, f.mimeType, f.filename, f.isOrig, f.md5])).to.deep.equal([
      // A form field without filename= has no file name (Zeek's test wants `filename`).
      [15, 'text/plain', undefined, true, md5(Buffer.from('field value one'))],
      [PNG.length, 'image/png', 'pic.png', true, md5(PNG)],
      [20, 'text/plain', undefined, true, md5(Buffer.from('inner part text here'))],
    ]);
    const row = whole.rows[0] as unknown as HttpInfo;
    expect(row.origFuids).to.deep.equal(whole.files.map((f) => f.fuid));
    expect(row.origFilenames).to.deep.equal(['pic.png']);
    expect(row.origMimeTypes).to.deep.equal(['text/plain', 'image/png', 'text/plain']);
    expect(row.requestBodyLen).to.equal(body.length);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: body.length + 80 }), { maxLength: 30 }), (cuts) => {
      expect(run(cuts).files.map((f) => [f.seenBytes, f.md5, f.mimeType])).to.deep.equal(whole.files.map((f) => [f.seenBytes, f.md5, f.mimeType]));
    }), { numRuns: 150, seed: 5 });
  });

  it('survives mutated multipart bodies: no throw, no part longer than the body, buffered line bounded (fuzz)', () => {
    const base = Buffer.from(['--b', 'Content-Type: multipart/mixed; boundary=c', '', '--c', 'Content-Disposition: x; filename=a', '',
      'data\nmore', '--c--', '--b', '', 'tail', '--b--'].join('\r\n'));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
      fc.uint8Array({ maxLength: 40000 }), (edits, junk) => {
        const body = Buffer.concat([base, Buffer.from(junk)]);
        for (const [at, v] of edits) body[at] = v;
        const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
        const sess = new HttpSession(ctx);
        const req = Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
        sess.deliverStream(true, req, 0, req.length);
        sess.end();
        expect(ctx.weirds.filter((w) => w.name === 'analyzer_failed')).to.deep.equal([]);
        for (const f of ctx.files) expect(f.seenBytes).to.be.at.most(body.length);
      }), { numRuns: 200, seed: 11 });
  });

  it('sizes a 206 piece by its Content-Range and sniffs it only when it starts at byte 0 (as Zeek)', () => {
    const piece = (range: string) => {
      const ctx = recordingContext({ proto: 'tcp', respPort: 80 });
      const s = new HttpSession(ctx);
      const req = Buffer.from('GET /big HTTP/1.1\r\nRange: bytes=0-\r\n\r\n');
      s.deliverStream(true, req, 0, req.length);
      const reply = Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Range: ${range}\r\nContent-Length: 20\r\n\r\nplain text, 20 bytes`);
      s.deliverStream(false, reply, 0, reply.length);
      s.end();
      return [ctx.files[0].totalBytes, ctx.files[0].mimeType];
    };
    expect(piece('bytes 0-19/1000')).to.deep.equal([1000, 'text/plain']);
    expect(piece('bytes 100-119/1000')).to.deep.equal([1000, undefined]);
    expect(piece('bytes foo-bar/baz')).to.deep.equal([undefined, undefined]);
  });

  it('reads --file-hashes lists', () => {
    expect(parseFileHashes('sha256,MD5')).to.deep.equal(['md5', 'sha256']);
    expect(parseFileHashes('none')).to.deep.equal([]);
    expect(() => parseFileHashes('crc32')).to.throw(/unknown hash crc32/);
    expect(() => parseFileHashes('')).to.throw(/empty/);
  });

  it("extracts file names as Zeek's extract_filename_from_content_disposition does", () => {
    expect(filenameFromDisposition('attachment; filename="report.pdf"')).to.equal('report.pdf');
    expect(filenameFromDisposition('attachment; filename=plain.txt')).to.equal('plain.txt');
    expect(filenameFromDisposition("attachment; filename*=UTF-8''na%C3%AFve.txt")).to.equal('na\u00c3\u00afve.txt');
    expect(filenameFromDisposition('form-data; name="f"; filename="x y.bin"')).to.equal('x y.bin');
  });
});
