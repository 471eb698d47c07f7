#!/usr/bin/env bash
# Cluster benchmark: the release cwmp-acs on SQLite (1 node) and on PostgreSQL (1, 2 and 3
# nodes behind HAProxy in TCP mode), driven by the release cwmp-sim on the same machine;
# then a parameter query over 100,000 devices on PostgreSQL. Prints Markdown tables (the
# "Cluster" section of docs/BENCHMARKS.md) on stdout; the details go to target/bench-cluster/.
#
#   scripts/bench-cluster.sh [--devices N] [--sessions N] [--concurrency N] [--no-build]
#
# Each configuration starts on a fresh store: N bootstrap sessions of new devices, then N
# periodic sessions (Inform + empty POST) of the same devices, flat out with the given
# concurrency. PostgreSQL runs in a throwaway cluster (scripts/pg-throwaway.sh, fsync and
# synchronous_commit on); its CPU is the utime + stime of all its processes and its bytes
# written are pg_stat_wal.wal_bytes (the WAL every commit must flush) plus the data pages
# the processes wrote (/proc/<pid>/io write_bytes), per session.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEVICES=2000
SESSIONS=""
CONCURRENCY=64
BUILD=1
BIG=100000
while [ $# -gt 0 ]; do
    case "$1" in
        --devices) DEVICES=$2; shift ;;
        --sessions) SESSIONS=$2; shift ;;
        --concurrency) CONCURRENCY=$2; shift ;;
        --big) BIG=$2; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "bench-cluster.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
SESSIONS=${SESSIONS:-$DEVICES}

[ "$BUILD" = 1 ] && cargo build --release --locked -p cwmp-acs -p cwmp-sim --bin cwmp-acs --bin cwmp-sim
ACS_BIN="$ROOT/target/release/cwmp-acs"
SIM_BIN="$ROOT/target/release/cwmp-sim"
WORK="$ROOT/target/bench-cluster"
rm -rf "$WORK"; mkdir -p "$WORK"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
CLK_TCK=$(getconf CLK_TCK)
PG_DIR=$(mktemp -d /tmp/cwmp-bench-pg.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    "$ROOT/scripts/pg-throwaway.sh" stop "$PG_DIR"
}
trap cleanup EXIT
PG_ADMIN=$("$ROOT/scripts/pg-throwaway.sh" start "$PG_DIR")
PG_PORT=$(cat "$PG_DIR/port")
log() { printf '== %s\n' "$*" >&2; }
psqlc() { psql "$1" -qAt -v ON_ERROR_STOP=1 -c "$2"; }

# Starts node $1 (name) on store URL $2 (empty: SQLite in its directory); prints its
# CWMP address.
start_node() {
    local name=$1 url=$2 dir="$WORK/$1" line i
    mkdir -p "$dir"
    printf '%s\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$dir/api-tokens"
    CWMP_ACS_DATA_DIR="$dir" CWMP_ACS_CWMP_LISTEN=127.0.0.1:0 CWMP_ACS_API_LISTEN=127.0.0.1:0 \
        CWMP_ACS_FILE_LISTEN=127.0.0.1:0 CWMP_ACS_NODE_NAME="$name" CWMP_ACS_STORE_URL="$url" \
        RUST_LOG=warn,cwmp_acs=info "$ACS_BIN" >"$dir.log" 2>&1 &
    PIDS+=($!)
    for i in $(seq 300); do
        line=$(grep -m1 'CWMP endpoint listening' "$dir.log" || true)
        [ -n "$line" ] && grep -q 'northbound API listening' "$dir.log" && break
        sleep 0.1
    done
    [ -n "$line" ] || { cat "$dir.log" >&2; exit 1; }
    sed -E 's/.*addr=([^ ]+).*/\1/' <<<"$line"
}
api_addr() { grep -m1 'northbound API listening' "$WORK/$1.log" | sed -E 's/.*addr=([^ ]+).*/\1/'; }
stop_nodes() {
    for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
haproxy_in_front() {
    local port cfg="$WORK/haproxy.cfg" i=0
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'global\n  maxconn 8192\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\nfrontend cwmp\n  bind 127.0.0.1:%s\n  default_backend acs\nbackend acs\n  balance roundrobin\n' "$port" >"$cfg"
    for a in "$@"; do i=$((i + 1)); printf '  server n%s %s\n' "$i" "$a" >>"$cfg"; done
    haproxy -db -f "$cfg" >"$WORK/haproxy.log" 2>&1 &
    PIDS+=($!)
    sleep 0.5
    echo "127.0.0.1:$port"
}
pg_ticks() {
    local t=0 pid
    for pid in $(pgrep -u pgtest postgres || true); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
pg_io() {
    local b=0 pid
    for pid in $(pgrep -u pgtest postgres || true); do
        b=$((b + $(awk '$1 == "write_bytes:" {print $2}' "/proc/$pid/io" 2>/dev/null || echo 0)))
    done
    echo "$b"
}
sim() {
    local report=$1 acs=$2; shift 2
    timeout --signal=INT --kill-after=30 900 "$SIM_BIN" run --acs "http://$acs/" --cr-listen off \
        --report "$report" --threads 1 "$@" >"$report.txt" 2>&1
}
row() { # label report pg_ticks pg_wal pg_io
    local label=$1 r=$2 n
    n=$(jq '.sessions_ok' "$r")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$n" "$(jq .sessions_failed "$r")" \
        "$(jq '.sessions_per_s | round' "$r")" "$(jq '.latency_ms.p99 * 10 | round / 10' "$r")" \
        "$(awk -v t="$3" -v n="$n" -v hz="$CLK_TCK" 'BEGIN { if (t == "-") print "-"; else printf "%.2f", t * 1000 / hz / n }')" \
        "$(awk -v w="$4" -v o="$5" -v n="$n" 'BEGIN { if (w == "-") print "-"; else printf "%.1f + %.1f", w / n / 1024, o / n / 1024 }')"
}

BOOT_ROWS=""; PERIODIC_ROWS=""
for config in sqlite-1 pg-1 pg-2 pg-3; do
    kind=${config%-*}; nodes=${config#*-}
    log "$config: $DEVICES bootstrap sessions, then $SESSIONS periodic"
    url=""
    if [ "$kind" = pg ]; then
        db="bench_${config/-/_}"
        psqlc "$PG_ADMIN" "DROP DATABASE IF EXISTS $db WITH (FORCE)"
        psqlc "$PG_ADMIN" "CREATE DATABASE $db"
        url="postgres://postgres@127.0.0.1:$PG_PORT/$db"
    fi
    addrs=()
    for i in $(seq "$nodes"); do addrs+=("$(start_node "$config-n$i" "$url")"); done
    target=${addrs[0]}
    [ "$nodes" -gt 1 ] && target=$(haproxy_in_front "${addrs[@]}")
    for phase in bootstrap periodic; do
        extra=(--sessions "$DEVICES")
        [ "$phase" = periodic ] && extra=(--known --sessions "$SESSIONS")
        t0=-; w0=-; o0=-
        if [ "$kind" = pg ]; then
            t0=$(pg_ticks); o0=$(pg_io); w0=$(psqlc "$url" "SELECT wal_bytes FROM pg_stat_wal")
        fi
        r="$WORK/$config-$phase.json"
        sim "$r" "$target" --devices "$DEVICES" --serial-pattern 'B{n:07}' \
            --concurrency "$CONCURRENCY" "${extra[@]}" --duration 600
        t=-; w=-; o=-
        if [ "$kind" = pg ]; then
            t=$(( $(pg_ticks) - t0 )); o=$(( $(pg_io) - o0 ))
            w=$(awk -v a="$w0" -v b="$(psqlc "$url" "SELECT wal_bytes FROM pg_stat_wal")" 'BEGIN { print b - a }')
        fi
        line=$(row "$config" "$r" "$t" "$w" "$o")
        if [ "$phase" = bootstrap ]; then BOOT_ROWS+="$line"$'\n'; else PERIODIC_ROWS+="$line"$'\n'; fi
        log "$line"
    done
    stop_nodes
done

log "parameter query over $BIG devices (PostgreSQL, rows generated in SQL)"
big="postgres://postgres@127.0.0.1:$PG_PORT/bench_big"
psqlc "$PG_ADMIN" "DROP DATABASE IF EXISTS bench_big WITH (FORCE)"
psqlc "$PG_ADMIN" "CREATE DATABASE bench_big"
addr=$(start_node big-n1 "$big")
psqlc "$big" "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, created_ms, last_inform_ms)
  SELECT 'OUI-P-' || g, 'M', 'OUI', 'P', g::text, 0, g FROM generate_series(1, $BIG) g;
  INSERT INTO parameters (device_id, path, value, value_type, updated_ms)
  SELECT 'OUI-P-' || g, 'Device.DeviceInfo.' || p, CASE p WHEN 'SoftwareVersion' THEN 'v' || (g % 50)
    WHEN 'UpTime' THEN (g % 86400)::text ELSE p || g END,
    CASE p WHEN 'UpTime' THEN 'unsignedInt' ELSE 'string' END, 0
  FROM generate_series(1, $BIG) g, unnest(ARRAY['SoftwareVersion','UpTime','HardwareVersion','ModelName','SerialNumber']) p;
  ANALYZE"
API=$(api_addr big-n1)
q() {
    local query=$1 enc s e
    enc=$(jq -rn --arg q "$query" '$q|@uri')
    curl -sS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://$API/devices?query=$enc&limit=100&projection=_id" # warm
    s=$(date +%s%N)
    total=$(curl -sS -D - -o /dev/null -H "Authorization: Bearer $TOKEN" "http://$API/devices?query=$enc&limit=100&projection=_id" | awk -F': ' 'tolower($1)=="x-total-count" {print $2}' | tr -d '\r')
    e=$(date +%s%N)
    printf '| `%s` | %s | %.1f |\n' "$query" "$total" "$(awk -v a="$s" -v b="$e" 'BEGIN { print (b - a) / 1e6 }')"
}
QUERY_ROWS=$(q '{"Device.DeviceInfo.SoftwareVersion":"v7"}')$'\n'
QUERY_ROWS+=$(q '{"Device.DeviceInfo.UpTime":{"$gt":86000}}')$'\n'
QUERY_ROWS+=$(q 'Device.DeviceInfo.SoftwareVersion = "v7" AND Device.DeviceInfo.UpTime > 3600')$'\n'
stop_nodes

cat <<EOF
Same run, same machine (2 cores shared with the simulator, HAProxy and PostgreSQL):
$DEVICES devices, concurrency $CONCURRENCY, \`scripts/bench-cluster.sh --devices $DEVICES --concurrency $CONCURRENCY\`.

Bootstrap sessions (new devices: Inform, empty POST):

| store, nodes | sessions ok | failed | sessions/s | p99 ms | PG CPU ms/session | PG KiB written/session (WAL + data) |
|---|---|---|---|---|---|---|
$BOOT_ROWS
Periodic sessions (known devices):

| store, nodes | sessions ok | failed | sessions/s | p99 ms | PG CPU ms/session | PG KiB written/session (WAL + data) |
|---|---|---|---|---|---|---|
$PERIODIC_ROWS
A parameter query over $BIG devices (5 parameters each, PostgreSQL, one node; \`GET /devices?query=…&limit=100\`, second run, including the count):

| query | matches | ms |
|---|---|---|
$QUERY_ROWS
EOF
