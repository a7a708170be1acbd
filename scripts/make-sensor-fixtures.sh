#!/usr/bin/env bash
# Records the sensor's small real-traffic fixtures on loopback (run as root): each scenario runs real servers and
# clients on 127.0.0.1 under `tcpdump -i lo` filtered to its ports and writes test/fixtures/pcaps/<scenario>.pcap.
#   http-curl.pcap     python3 http.server + curl GET (TCP SF)
#   dns-dig.pcap       dnsmasq + dig, one A query answered (UDP SF)
#   tcp-rej.pcap       connect to a closed TCP port (REJ)
#   udp-noanswer.pcap  one UDP datagram to a port nobody answers (S0)
#   tls-openssl.pcap   openssl s_server + s_client, one TLS handshake and a line (TCP SF)
# The tests derive their expectations from tshark on these files, so re-recording needs no test edits.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/pcaps"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in tcpdump curl dig dnsmasq openssl python3; do
  command -v "$tool" >/dev/null || { echo "make-sensor-fixtures: $tool is missing" >&2; exit 1; }
done
mkdir -p "$OUT"

# Starts tcpdump for a scenario and waits (bounded) until it is listening.
start_capture() { # file filter
  tcpdump -i lo --immediate-mode -U -s 0 -w "$1" "$2" 2>"$WORK/tcpdump.err" &
  CAPTURE_PID=$!
  for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && return 0; sleep 0.1; done
  echo "make-sensor-fixtures: tcpdump did not start: $(cat "$WORK/tcpdump.err")" >&2
  exit 1
}

stop_capture() {
  sleep 1 # let the last packets reach the file
  kill -INT "$CAPTURE_PID"
  wait "$CAPTURE_PID" 2>/dev/null || true
}

wait_port() { # tcp|udp port
  for _ in $(seq 1 50); do
    if ss -lnH "$( [ "$1" = tcp ] && echo -t || echo -u )" "sport = :$2" | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "make-sensor-fixtures: nothing listens on $1 port $2" >&2
  exit 1
}

HTTP_PORT=18080 DNS_PORT=15353 REJ_PORT=18081 UDP_PORT=15354 TLS_PORT=18443

# HTTP: one GET of a small file.
mkdir -p "$WORK/www"
printf 'nsm fixture page\n%.0s' $(seq 1 40) >"$WORK/www/index.txt"
(cd "$WORK/www" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1) >/dev/null 2>&1 &
PIDS+=($!)
wait_port tcp "$HTTP_PORT"
start_capture "$OUT/http-curl.pcap" "tcp port $HTTP_PORT"
curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$HTTP_PORT/index.txt"
stop_capture

# DNS: dnsmasq answering one name from its own config.
dnsmasq --no-daemon --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --address=/fixture.nsm.test/192.0.2.7 --pid-file="$WORK/dnsmasq.pid" --user=root >/dev/null 2>&1 &
PIDS+=($!)
wait_port udp "$DNS_PORT"
start_capture "$OUT/dns-dig.pcap" "udp port $DNS_PORT"
dig @127.0.0.1 -p "$DNS_PORT" fixture.nsm.test A +tries=1 +time=2 +short >/dev/null
stop_capture

# REJ: connect to a port nobody listens on (the kernel answers RST).
start_capture "$OUT/tcp-rej.pcap" "tcp port $REJ_PORT"
curl -s --max-time 2 "http://127.0.0.1:$REJ_PORT/" >/dev/null || true
stop_capture

# UDP without answer (the ICMP port unreachable the kernel sends is outside the port filter).
start_capture "$OUT/udp-noanswer.pcap" "udp port $UDP_PORT"
python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'nsm probe', ('127.0.0.1', $UDP_PORT))"
stop_capture

# TLS: one handshake, one line each way.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 -subj "/CN=fixture.nsm.test" 2>/dev/null
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -quiet -naccept 1 >/dev/null 2>&1 &
PIDS+=($!)
wait_port tcp "$TLS_PORT"
start_capture "$OUT/tls-openssl.pcap" "tcp port $TLS_PORT"
echo "hello over tls" | timeout 5 openssl s_client -connect "127.0.0.1:$TLS_PORT" -quiet >/dev/null 2>&1 || true
stop_capture

chmod 644 "$OUT"/*.pcap
ls -l "$OUT"
