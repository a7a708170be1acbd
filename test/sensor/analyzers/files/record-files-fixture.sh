#!/usr/bin/env bash
# Records test/fixtures/pcaps/http-files-curl.pcap (run as root): real curl downloading files from a node http server
# on 127.0.0.1:8080: a 300 KB PNG, a PDF with a Content-Disposition file name, a gzip-encoded HTML page and a chunked
# JSON body (served-files.js beside this file makes the bytes), plus a POST of a PNG as the request body.
# files-curl.test.ts checks files.log's hashes and MIME types against the served bytes.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
OUT="$ROOT/test/fixtures/pcaps/http-files-curl.pcap"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/server.js" <<JS
const http = require('http');
const { SERVED, gzip } = require('$HERE/served-files.js');
http.createServer((req, res) => {
  let n = 0;
  req.on('data', (d) => { n += d.length; });
  req.on('end', () => {
    const f = SERVED[req.url];
    if (req.method === 'POST' || f === undefined) {
      const body = 'received ' + n + ' bytes\n';
      res.writeHead(f === undefined && req.method !== 'POST' ? 404 : 200, { 'Content-Length': Buffer.byteLength(body) });
      return res.end(body);
    }
    const body = f.gzip ? gzip(f.body) : f.body;
    const headers = { ...f.headers };
    if (f.gzip) headers['Content-Encoding'] = 'gzip';
    if (!f.chunked) headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    if (f.chunked) { res.write(body.subarray(0, 10)); setTimeout(() => res.end(body.subarray(10)), 20); } else res.end(body);
  });
}).listen(8080, '127.0.0.1');
JS
node "$WORK/server.js" &
PIDS+=($!)
for _ in $(seq 1 50); do ss -lnHt 'sport = :8080' | grep -q . && break; sleep 0.1; done

tcpdump -i lo --immediate-mode -U -s 0 -w "$OUT" "port 8080 and host 127.0.0.1" 2>"$WORK/tcpdump.err" &
CAPTURE_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

B=http://127.0.0.1:8080
curl -s -o /dev/null -o /dev/null "$B/image.png" "$B/report.pdf"
curl -s -o /dev/null --compressed "$B/page.html"
curl -s -o /dev/null "$B/data.json"
node -e "process.stdout.write(require('$HERE/served-files.js').SERVED['/image.png'].body)" > "$WORK/upload.png"
curl -s -o /dev/null -H 'Content-Type: image/png' --data-binary "@$WORK/upload.png" "$B/upload"
sleep 1
kill -INT "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
chmod 644 "$OUT"
