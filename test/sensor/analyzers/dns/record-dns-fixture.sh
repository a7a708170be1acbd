#!/usr/bin/env bash
# Records test/fixtures/pcaps/dns-dig-types.pcap (run as root): real dig against dnsmasq on 127.0.0.1 port 53, over UDP
# and over TCP (+tcp), for the record types dnsmasq serves from its own config (A, AAAA, CNAME, MX, SRV, TXT with
# several strings, PTR), a name it does not know (NXDOMAIN), and two queries on one TCP connection (+keepopen).
# dns-dig.test.ts checks the sensor's dns.log for it against tshark's reading of the same file.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
OUT="$ROOT/test/fixtures/pcaps/dns-dig-types.pcap"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

dnsmasq --no-daemon --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --address=/a.nsm.test/192.0.2.7 --address=/a.nsm.test/2001:db8::7 \
  --cname=www.nsm.test,a.nsm.test \
  --mx-host=nsm.test,mail.nsm.test,10 \
  --srv-host=_ldap._tcp.nsm.test,ldap.nsm.test,389,5,20 \
  --txt-record=txt.nsm.test,"v=spf1 -all","second string" \
  --ptr-record=7.2.0.192.in-addr.arpa,a.nsm.test \
  --pid-file="$WORK/dnsmasq.pid" --user=root >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do ss -lnHu 'sport = :53' | grep -q . && break; sleep 0.1; done

tcpdump -i lo --immediate-mode -U -s 0 -w "$OUT" "port 53 and host 127.0.0.1" 2>"$WORK/tcpdump.err" &
CAPTURE_PID=$!
for _ in $(seq 1 50); do grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

q() { dig @127.0.0.1 +tries=1 +time=2 "$@" >/dev/null || true; }
q a.nsm.test A
q a.nsm.test AAAA
q www.nsm.test A
q nsm.test MX
q _ldap._tcp.nsm.test SRV
q txt.nsm.test TXT
q -x 192.0.2.7
q missing.nsm.test A
q +tcp a.nsm.test A
q +tcp txt.nsm.test TXT
q +tcp +keepopen a.nsm.test A www.nsm.test A
sleep 1
kill -INT "$CAPTURE_PID"
wait "$CAPTURE_PID" 2>/dev/null || true
chmod 644 "$OUT"
