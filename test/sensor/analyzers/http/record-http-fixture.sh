#!/usr/bin/env bash
# Records test/fixtures/pcaps/http-curl-keepalive.pcap (run as root): real curl against a node http server on 127.0.0.1,
# on port 8080 (an HTTP port) and 8123 (no analyzer's port: found by content): two requests on one keep-alive
# connection (a Content-Length and a chunked response), a POST with a body, a gzip response (--compressed) and a HEAD.
# http-curl.test.ts checks the sensor's http.log for it against tshark's reading of the same file.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
OUT="$ROOT/test/fixtures/pcaps/http-curl-keepalive.pcap"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/server.js" <<'JS'
const http = require('http');
const zlib = require('zlib');
const handler = (req, res) => {
  let n = 0;
  req.on('data', (d) => { n += d.length; });
  req.on('end', () => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first chunk\n');
      setTimeout(() => { res.write('second, longer chunk of text\n'); res.end('last\n'); }, 20);
    } else if (req.url === '/gzip') {
      const body = zlib.gzipSync(Buffer.from('compressible '.repeat(200)));
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'Content-Length': body.length });
      res.end(body);
    } else if (req.method === 'POST') {
      const body = `received ${n} bytes\n`;
      res.writeHead(201, 'Created', { 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      const body = '<html><body>hello from nsm</body></html>\n';
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  });
};
for (const port of [8080, 8123]) http.createServer(handler).listen(port, '127.0.0.1');
JS
node "$WORK/server.js" &
PIDS+=($!)
for _ in $(seq 1 50); do ss -lnHt 'sport = :8123' | grep -q . && break; sleep 0.1; done

tcpdump -i lo --immediate-mode -U -s 0 -w "$OUT" "(port 8080 or port 8123) and host 127.0.0.1" 2>"$WORK/tcpdump.err" &
CAPTURE_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

B=http://127.0.0.1:8080
curl -s -o /dev/null -o /dev/null "$B/index.html" "$B/chunked"
curl -s -o /dev/null -A 'Mozilla/5.0 (nsm test) Gecko/20100101 Firefox/115.0' -e "$B/index.html" --data-binary 'name=nsm&payload=0123456789abcdef' "$B/form"
curl -s -o /dev/null --compressed -A 'Java/1.7.0_10' "$B/gzip"
curl -s -o /dev/null -I "$B/head"
curl -s -o /dev/null -o /dev/null -u 'alice:s3cret' "http://127.0.0.1:8123/other?q=a%20b" "http://127.0.0.1:8123/chunked"
sleep 1
kill -INT "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
chmod 644 "$OUT"
