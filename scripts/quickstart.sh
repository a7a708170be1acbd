#!/usr/bin/env bash
# Quick start: install everything, then run nsm's main job on the bundled sample capture:
#   1. `nsm sensor` turns samples/loopback-sample.pcap (real curl/dig/openssl traffic on loopback) into Zeek logs;
#   2. a private rsyslogd on 127.0.0.1 plays the ELSA collector;
#   3. `nsm agent` reads rsyslog/60-bro.conf unchanged but for the log directory and collector port, and ships
#      every log line to the collector as rsyslog would (local7.info, tag bro_conn:, ...).
# Everything it writes stays under var/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >var-install.log 2>&1 || { cat var-install.log; exit 1; }
rm -f var-install.log

DEMO="$PWD/var/quickstart"
SHOWN="var/quickstart"   # what the output names: relative to the checkout, wherever it is
rm -rf "$DEMO" && mkdir -p "$DEMO/logs/current" "$DEMO/collector" "$DEMO/agent"
AGENT_PID=""; COLLECTOR_PID=""
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
  [ -n "$COLLECTOR_PID" ] && kill "$COLLECTOR_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== 1. sensor: samples/loopback-sample.pcap -> $SHOWN/logs/current"
# -C: checksums on a loopback capture are left to the NIC (offloaded), as with `zeek -C`.
./bin/nsm sensor -r samples/loopback-sample.pcap -l "$DEMO/logs/current" -C
ls "$DEMO/logs/current"
echo
grep -v '^#' "$DEMO/logs/current/conn.log" | cut -f1,3-7,12,15,16,18
echo

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
echo "== 2. collector: rsyslogd on 127.0.0.1:$PORT -> $SHOWN/collector/received.log"
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

echo "== 3. agent: rsyslog/60-bro.conf (log directory and port rewritten) -> 127.0.0.1:$PORT"
sed -e "s#/usr/local/bro/logs/current#$DEMO/logs/current#" -e "s#@@127.0.0.1:514#@@127.0.0.1:$PORT#" \
    -e "s#^\$WorkDirectory .*#\$WorkDirectory $DEMO/agent#" rsyslog/60-bro.conf >"$DEMO/60-bro.conf"
./bin/nsm agent -f "$DEMO/60-bro.conf" --log-file "$DEMO/agent/agent.log" 2>"$DEMO/agent/warnings.txt" &
AGENT_PID=$!
expected=$(cat "$DEMO"/logs/current/*.log | grep -c .)
for _ in $(seq 1 100); do
  got=$(grep -c . "$DEMO/collector/received.log" 2>/dev/null || true)
  [ "${got:-0}" -ge "$expected" ] && break
  sleep 0.2
done
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=""
echo "$(grep -c 'warning' "$DEMO/agent/warnings.txt") config warnings (see $SHOWN/agent/warnings.txt); the collector received ${got:-0} of $expected lines:"
grep -v ': #' "$DEMO/collector/received.log" | cut -f1-7,12,15
[ "${got:-0}" -ge "$expected" ] || { echo "quickstart: not every line arrived" >&2; exit 1; }
echo
echo "Done. Logs: $SHOWN/logs/current   Agent state: $SHOWN/agent   Collector: $SHOWN/collector/received.log"
