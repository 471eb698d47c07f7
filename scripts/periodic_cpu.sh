#!/usr/bin/env bash
# ACS CPU per periodic session for one ACS binary, for A/B comparisons of two builds:
#
#   scripts/periodic_cpu.sh <cwmp-acs binary> [work dir]     # PERF=1: also perf record 6 s
#
# Starts the binary on a fresh data directory (loopback, random ports, RUST_LOG=info),
# bootstraps 10,000 devices with the release simulator, runs `--known --concurrency $CONC`
# (default 128) for 20 s and prints sessions, sessions/s and the ACS's and the simulator's
# utime + stime per session. Run the two builds back to back, twice each: the machine's
# speed drifts. SIM_BIN picks another simulator binary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ACS_BIN=$1
OUT=${2:-$ROOT/target/periodic_cpu}
SIM_BIN=${SIM_BIN:-$ROOT/target/release/cwmp-sim}
SCHEMA_DIR=$ROOT/../shared/ref/datamodels
CONC=${CONC:-128}
[ -x "$SIM_BIN" ] || cargo build --release --locked -p cwmp-sim --manifest-path "$ROOT/Cargo.toml"
rm -rf "$OUT"; mkdir -p "$OUT/data"
CWMP_ACS_DATA_DIR=$OUT/data CWMP_ACS_CWMP_LISTEN=127.0.0.1:0 CWMP_ACS_API_LISTEN=127.0.0.1:0 \
    CWMP_ACS_FILE_LISTEN=127.0.0.1:0 RUST_LOG=info "$ACS_BIN" >"$OUT/acs.log" 2>&1 &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true' EXIT
line=""
for _ in $(seq 100); do
    line=$(grep -m1 'CWMP endpoint listening' "$OUT/acs.log" || true)
    [ -n "$line" ] && break
    sleep 0.1
done
[ -n "$line" ] || { cat "$OUT/acs.log" >&2; exit 1; }
URL="http://$(sed -E 's/.*addr=([^ ]+).*/\1/' <<<"$line")/"
sim() { timeout --signal=INT 900 "$SIM_BIN" run --acs "$URL" --schema-dir "$SCHEMA_DIR" --cr-listen off "$@"; }
sim --report "$OUT/boot.json" --devices 10000 --serial-pattern 'KNOWN{n:07}' --concurrency 64 \
    --sessions 10000 --duration 600 >"$OUT/boot.txt"
t0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
sim --report "$OUT/periodic.json" --devices 10000 --known --serial-pattern 'KNOWN{n:07}' \
    --concurrency "$CONC" --duration 20 >"$OUT/periodic.txt" &
SP=$!
if [ -n "${PERF:-}" ]; then
    sleep 5
    perf record -F 1999 --call-graph dwarf,32768 -p "$PID" -o "$OUT/perf.data" -- sleep 6 >/dev/null 2>&1
fi
wait $SP
t1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
n=$(jq '.sessions_ok' "$OUT/periodic.json")
awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" -v r="$(jq '.sessions_per_s' "$OUT/periodic.json")" \
    -v s="$(jq '.cpu_s' "$OUT/periodic.json")" \
    'BEGIN { printf "sessions=%d rate=%s acs_ms_per_session=%.3f sim_ms_per_session=%.3f\n",
             n, r, (b - a) * 1000 / hz / n, s * 1000 / n }'
