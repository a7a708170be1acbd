#!/usr/bin/env bash
# Records test/fixtures/pcaps/http-software-java.pcap (run as root): real curl against a node http server on
# 127.0.0.1:8888 that answers with Server and X-Powered-By headers, with the user agents of an old Java
# (Java/1.7.0_09, twice, on two connections), a newer Java (Java/1.8.0_402) and curl's own.
# software-http.test.ts checks software.log and notice.log for it (and tshark's reading of the same headers).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
OUT="$ROOT/test/fixtures/pcaps/http-software-java.pcap"
PORT=8888
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
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = 'not really a jar\n';
    res.writeHead(200, {
      'Server': 'Apache/2.2.22 (Debian)',
      'X-Powered-By': 'PHP/5.4.4-14',
      'Content-Type': 'application/java-archive',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
JS
node "$WORK/server.js" "$PORT" &
PIDS+=($!)
for _ in $(seq 1 50); do ss -lnHt "sport = :$PORT" | grep -q . && break; sleep 0.1; done

tcpdump -i lo --immediate-mode -U -s 0 -w "$OUT" "port $PORT and host 127.0.0.1" 2>"$WORK/tcpdump.err" &
CAPTURE_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

B="http://127.0.0.1:$PORT"
curl -s -o /dev/null -A 'Java/1.7.0_09' "$B/applet.jar"
sleep 0.2
curl -s -o /dev/null -A 'Java/1.7.0_09' "$B/applet.jar?again"
sleep 0.2
curl -s -o /dev/null -A 'Java/1.8.0_402' "$B/applet.jar"
sleep 0.2
curl -s -o /dev/null "$B/index.html"
sleep 1
kill -INT "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
chmod 644 "$OUT"
