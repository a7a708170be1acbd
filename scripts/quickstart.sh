#!/usr/bin/env bash
# Quick start: install everything, then run nsm's main job on the bundled sample capture:
#   1. `nsm sensor` turns samples/loopback-sample.pcap (real curl/dig/openssl traffic on loopback) into Zeek logs;
#   2. a private rsyslogd on 127.0.0.1 plays the ELSA collector;
#   3. `nsm agent` reads rsyslog/62-bro-elsa.conf (the recommended ELSA config) unchanged but for the log directory,
#      work directory and collector port, and ships every log row to the collector as rsyslog would (local7.info,
#      tag bro_conn:, ...); the config drops Bro's `#` header lines, which ELSA would store as junk rows.
# Everything it writes stays under var/quickstart/ (paths are printed relative to the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >var-install.log 2>&1 || { cat var-install.log; exit 1; }
rm -f var-install.log

DEMO_REL="var/quickstart"
DEMO="$PWD/$DEMO_REL"
rm -rf "$DEMO" && mkdir -p "$DEMO/logs/current" "$DEMO/collector" "$DEMO/agent"
AGENT_PID=""; COLLECTOR_PID=""
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
  [ -n "$COLLECTOR_PID" ] && kill "$COLLECTOR_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== 1. sensor: samples/loopback-sample.pcap -> $DEMO_REL/logs/current"
# -C: checksums on a loopback capture are left to the NIC (offloaded), as with `zeek -C`.
./bin/nsm sensor -r samples/loopback-sample.pcap -l "$DEMO/logs/current" -C
ls "$DEMO/logs/current"
echo
grep -v '^#' "$DEMO/logs/current/conn.log" | cut -f1,3-7,12,15,16,18
echo

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
echo "== 2. collector: rsyslogd on 127.0.0.1:$PORT -> $DEMO_REL/collector/received.log"
cat >"$DEMO/collector/rsyslog.conf" <<CONF
global(workDirectory="$DEMO/collector" parser.escapeControlCharactersOnReceive="off")
module(load="imtcp")
template(name="elsa" type="string" string="%syslogtag%%msg%\n")
input(type="imtcp" address="127.0.0.1" port="$PORT" ruleset="collect")
ruleset(name="collect") { action(type="omfile" file="$DEMO/collector/received.log" template="elsa") }
CONF
rsyslogd -n -f "$DEMO/collector/rsyslog.conf" -i "$DEMO/collector/rsyslogd.pid" &
COLLECTOR_PID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

echo "== 3. agent: rsyslog/62-bro-elsa.conf (log directory, work directory and port rewritten) -> 127.0.0.1:$PORT"
sed -e "s#/usr/local/bro/logs/current#$DEMO/logs/current#" -e "s#port=\"514\"#port=\"$PORT\"#" \
    -e "s#workDirectory=\"[^\"]*\"#workDirectory=\"$DEMO/agent\"#" rsyslog/62-bro-elsa.conf >"$DEMO/62-bro-elsa.conf"
./bin/nsm agent -f "$DEMO/62-bro-elsa.conf" --log-file "$DEMO/agent/agent.log" 2>"$DEMO/agent/warnings.txt" &
AGENT_PID=$!
# Every row arrives; no `#` header line does (the config stops them).
expected=$(cat "$DEMO"/logs/current/*.log | grep -v '^#' | grep -c .)
headers=$(cat "$DEMO"/logs/current/*.log | grep -c '^#')
for _ in $(seq 1 100); do
  got=$(grep -c . "$DEMO/collector/received.log" 2>/dev/null || true)
  [ "${got:-0}" -ge "$expected" ] && break
  sleep 0.2
done
sleep 1 # room for a header line that should not come
got=$(grep -c . "$DEMO/collector/received.log" 2>/dev/null || true)
got_headers=$(grep -c '^bro_[a-z_]*: #' "$DEMO/collector/received.log" 2>/dev/null || true)
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=""
echo "$(grep -c 'warning' "$DEMO/agent/warnings.txt") config warnings; the collector received ${got:-0} lines: ${expected} of ${expected} rows and ${got_headers:-0} of the ${headers} header lines:"
cut -f1-7,12,15 "$DEMO/collector/received.log"
[ "${got:-0}" -eq "$expected" ] && [ "${got_headers:-0}" -eq 0 ] || { echo "quickstart: expected exactly the $expected rows" >&2; exit 1; }
echo
echo "Done. Logs: $DEMO_REL/logs/current   Agent state: $DEMO_REL/agent   Collector: $DEMO_REL/collector/received.log"
