// The bodies record-files-fixture.sh serves (and files-curl.test.ts recomputes to check the hashes): deterministic
// bytes, each recognisable by Zeek's magic signatures. Plain JavaScript so the recording script's server can load it.
'use strict';
const crypto = require('crypto');
const zlib = require('zlib');

/** `n` pseudo-random bytes from `seed` (SHA-256 in counter mode). */
function bytes(seed, n) {
  const out = Buffer.alloc(n);
  for (let i = 0, at = 0; at < n; i++) {
    const block = crypto.createHash('sha256').update(`${seed}:${i}`).digest();
    at += block.copy(out, at, 0, Math.min(block.length, n - at));
  }
  return out;
}

const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), bytes('png', 300000)]);
const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), bytes('pdf', 20000)]);
const html = Buffer.from('<!DOCTYPE html>\n<html><head><title>nsm</title></head><body>' + 'files '.repeat(3000) + '</body></html>\n');
const json = Buffer.from(JSON.stringify({ name: 'nsm', values: [1, 2, 3], nested: { ok: true } }));

/** Path → body, headers and whether it is sent gzip-encoded. */
const SERVED = {
  '/image.png': { body: png, headers: { 'Content-Type': 'image/png' } },
  '/report.pdf': { body: pdf, headers: { 'Content-Type': 'application/pdf', 'Content-Disposition': 'attachment; filename="report 2026.pdf"' } },
  '/page.html': { body: html, headers: { 'Content-Type': 'text/html' }, gzip: true },
  '/data.json': { body: json, headers: { 'Content-Type': 'application/json' }, chunked: true },
};

module.exports = { SERVED, bytes, gzip: (b) => zlib.gzipSync(b) };
