#!/usr/bin/env bash
# Outage storm and indexed queries: the release cwmp-acs against the release cwmp-sim on
# 127.0.0.1 (issue 19). Prints what it measures; docs/BENCHMARKS.md "Outage storm" quotes it.
#
#   scripts/storm-bench.sh [DEVICES] [STORM_SECONDS] [MAX_SESSIONS]   # default 100000 10 64
#
# 1. registration: DEVICES new devices bootstrap (64 concurrent);
# 2. storm: the same devices all power up within STORM_SECONDS (1 BOOT), against an ACS that
#    serves MAX_SESSIONS sessions at once and sheds the rest with 503 + Retry-After: 1;
#    time until every device has booted, session p99, 503s, ACS RSS before/after, CPU;
# 3. GET /devices with a query on a parameter value, 200 times: one device (its
#    ConnectionRequestURL) and a value every device has (limit 10); p50 / p99 in ms;
# 4. store size.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEVICES=${1:-100000}
STORM=${2:-10}
MAX_SESSIONS=${3:-64}
ACS=$ROOT/target/release/cwmp-acs
SIM=$ROOT/target/release/cwmp-sim
[ -x "$ACS" ] && [ -x "$SIM" ] || { echo "build first: cargo build --release -p cwmp-acs -p cwmp-sim" >&2; exit 1; }
WORK=$(mktemp -d /tmp/storm-bench.XXXXXX)
trap 'kill $ACS_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CWMP=$(port); API=$(port); FILES=$(port)
rss_kb() { awk '/VmRSS/ {print $2}' /proc/"$ACS_PID"/status; }
cpu_ticks() { awk '{print $14 + $15}' /proc/"$ACS_PID"/stat; }

CWMP_ACS_DATA_DIR=$WORK/data CWMP_ACS_CWMP_LISTEN=127.0.0.1:$CWMP CWMP_ACS_API_LISTEN=127.0.0.1:$API \
CWMP_ACS_FILE_LISTEN=127.0.0.1:$FILES CWMP_ACS_MAX_SESSIONS=$MAX_SESSIONS \
CWMP_ACS_OVERLOAD_RETRY_AFTER_SECS=1 RUST_LOG=warn "$ACS" >"$WORK/acs.log" 2>&1 &
ACS_PID=$!
for _ in $(seq 100); do grep -q "admin API token" "$WORK/acs.log" 2>/dev/null && break; sleep 0.1; done
TOKEN=$(grep -A1 "admin API token" "$WORK/acs.log" | tail -1 | tr -d '[:space:]')

echo "== registration of $DEVICES devices"
"$SIM" run --acs "http://127.0.0.1:$CWMP/" --devices "$DEVICES" --sessions "$DEVICES" \
    --concurrency 64 --inform-interval 86400 --report "$WORK/reg.json" >/dev/null
jq -c '{sessions_ok, sessions_failed, sessions_per_s, latency_ms}' "$WORK/reg.json"
echo "ACS RSS after registration: $(( $(rss_kb) / 1024 )) MiB"

echo "== storm: $DEVICES devices boot within $STORM s, ACS max_sessions $MAX_SESSIONS"
RSS0=$(rss_kb); CPU0=$(cpu_ticks)
"$SIM" run --acs "http://127.0.0.1:$CWMP/" --devices "$DEVICES" --storm "$STORM" \
    --concurrency 512 --inform-interval 86400 --report "$WORK/storm.json" >/dev/null
CPU1=$(cpu_ticks); RSS1=$(rss_kb)
jq -c '{all_booted_s, sessions_ok, failed_by_reason, sessions_per_s, latency_ms, peak_rss_bytes, fleet_bytes_per_device}' "$WORK/storm.json"
OK=$(jq .sessions_ok "$WORK/storm.json")
echo "ACS RSS before/after the storm: $((RSS0 / 1024)) / $((RSS1 / 1024)) MiB; ACS CPU per completed session: $(awk -v t=$((CPU1 - CPU0)) -v n="$OK" 'BEGIN {printf "%.1f us", t * 10000 / n}')"

echo "== GET /devices with a query on a parameter value (200 requests each)"
enc() { jq -rn --arg v "$1" '$v|@uri'; }
URL=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API/devices?limit=1&skip=$((DEVICES / 2))&projection=Device.ManagementServer.ConnectionRequestURL" \
    | jq -r '.[0].Device.ManagementServer.ConnectionRequestURL._value')
for what in one every; do
    if [ $what = one ]; then Q=$(enc "{\"Device.ManagementServer.ConnectionRequestURL\":\"$URL\"}"); L=1000
    else Q=$(enc '{"Device.DeviceInfo.ManufacturerOUI":{"$ne":"x"}}'); L=10; fi
    for _ in $(seq 200); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
            "http://127.0.0.1:$API/devices?query=$Q&limit=$L"
    done | sort -n | awk -v w=$what '{a[NR]=$1} END {printf "%s device(s) match: p50 %.1f ms, p99 %.1f ms\n", w, a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000}'
done
echo "store: $(du -sh "$WORK/data" | cut -f1)"
