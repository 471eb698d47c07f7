#!/usr/bin/env bash
# Fleet benchmark: the release cwmp-acs against the release cwmp-sim on 127.0.0.1, and the
# "Fleet" section of docs/BENCHMARKS.md written from what was measured.
#
#   scripts/bench.sh            # full run (about 10 to 20 minutes on 2 cores)
#   scripts/bench.sh --quick    # every phase with small counts (< 2 minutes); writes
#                               # target/bench/BENCHMARKS.md, a copy, not docs/
#   options: --no-build (use the binaries already in target/release), --out FILE
#
# Phases (each against a fresh ACS on a temporary data directory, in its own process):
#   1. periodic sessions (Inform + empty POST) of 10,000 known devices: a concurrency sweep
#      as fast as possible, then p99 latency at half the best rate (--rate);
#   2. bootstrap sessions of new devices with a typical preset (read 5, set 3, Connection
#      Request credentials);
#   3. API tasks with Connection Requests: GetParameterValues of 20 parameters, 1,000 devices;
#   4. ACS RSS and store size with 100,000 devices of the default profile.
# The ACS's CPU time per session comes from /proc/<pid>/stat (utime + stime), so the figure
# stands even though the simulator shares the machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=0
BUILD=1
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --out) OUT=${2:?--out needs a file}; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

for tool in curl jq sha256sum awk timeout; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is required" >&2; exit 1; }
done
SCHEMA_DIR=${SCHEMA_DIR:-$ROOT/../shared/ref/datamodels}
[ -d "$SCHEMA_DIR" ] || { echo "bench.sh: no data models in $SCHEMA_DIR (set SCHEMA_DIR)" >&2; exit 1; }

if [ "$QUICK" = 1 ]; then
    KNOWN_DEVICES=1000; SWEEP="16 64"; SWEEP_SECS=5; HALF_SECS=5
    BOOT_DEVICES=500; CR_DEVICES=100; BIG_DEVICES=2000
else
    KNOWN_DEVICES=10000; SWEEP="16 32 64 128 256"; SWEEP_SECS=20; HALF_SECS=30
    BOOT_DEVICES=20000; CR_DEVICES=1000; BIG_DEVICES=100000
fi
CR_CONCURRENCY=32
# Goals of the issue, on a 2-core machine with the simulator on it.
GOAL_PERIODIC=5000; GOAL_BOOTSTRAP=1000; GOAL_P99_MS=50; GOAL_RSS_MB=1024

WORK="$ROOT/target/bench"
rm -rf "$WORK"
mkdir -p "$WORK"
if [ -z "$OUT" ]; then
    if [ "$QUICK" = 1 ]; then
        OUT="$WORK/BENCHMARKS.md"
        cp docs/BENCHMARKS.md "$OUT"
    else
        OUT="$ROOT/docs/BENCHMARKS.md"
    fi
fi

ACS_BIN="$ROOT/target/release/cwmp-acs"
SIM_BIN="$ROOT/target/release/cwmp-sim"
DRIVER_BIN="$ROOT/target/release/examples/api_tasks"
if [ "$BUILD" = 1 ]; then
    # One command, so that the dev-dependency features of the example do not make a second
    # build recompile the binaries.
    cargo build --release --locked -p cwmp-acs -p cwmp-sim --bin cwmp-acs --bin cwmp-sim \
        --example api_tasks
fi
for b in "$ACS_BIN" "$SIM_BIN" "$DRIVER_BIN"; do
    [ -x "$b" ] || { echo "bench.sh: $b missing (run without --no-build)" >&2; exit 1; }
done

ACS_PID=""
SIM_PID=""
cleanup() {
    for pid in $SIM_PID $ACS_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'echo "bench.sh: interrupted" >&2; exit 130' INT TERM

log() { printf '\n== %s\n' "$*" >&2; }

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
CLK_TCK=$(getconf CLK_TCK)

# Starts a fresh ACS on data directory $1; sets ACS_PID, CWMP_URL, API.
start_acs() {
    local dir=$1 i line
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$dir/api-tokens"
    CWMP_ACS_DATA_DIR="$dir" CWMP_ACS_CWMP_LISTEN=127.0.0.1:0 CWMP_ACS_API_LISTEN=127.0.0.1:0 CWMP_ACS_FILE_LISTEN=127.0.0.1:0 \
        RUST_LOG=info "$ACS_BIN" >"$dir.log" 2>&1 &
    ACS_PID=$!
    CWMP_URL=""; API=""
    for i in $(seq 300); do
        kill -0 "$ACS_PID" 2>/dev/null || { cat "$dir.log" >&2; echo "bench.sh: the ACS died" >&2; exit 1; }
        line=$(grep -m1 'CWMP endpoint listening' "$dir.log" || true)
        [ -n "$line" ] && CWMP_URL="http://$(sed -E 's/.*addr=([^ ]+).*/\1/' <<<"$line")/"
        line=$(grep -m1 'northbound API listening' "$dir.log" || true)
        [ -n "$line" ] && API=$(sed -E 's/.*addr=([^ ]+).*/\1/' <<<"$line")
        [ -n "$CWMP_URL" ] && [ -n "$API" ] && return 0
        sleep 0.1
    done
    echo "bench.sh: the ACS did not announce its addresses in 30 s" >&2
    exit 1
}

stop_acs() {
    kill -INT "$ACS_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$ACS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ACS_PID" 2>/dev/null || true
    wait "$ACS_PID" 2>/dev/null || true
    ACS_PID=""
}

# The ACS's CPU time so far, in clock ticks (utime + stime of /proc/<pid>/stat).
acs_ticks() { awk '{print $14 + $15}' "/proc/$ACS_PID/stat"; }
# Milliseconds of ACS CPU per unit: ticks before, ticks after, units.
cpu_ms_per() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", (n > 0) ? (b - a) * 1000 / hz / n : 0 }'; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$ACS_PID/status"; }
# Steal and total jiffies of all CPUs so far (/proc/stat): time the hypervisor ran other guests.
cpu_jiffies() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t}' /proc/stat; }
# Percent of the machine's CPU time stolen between two cpu_jiffies readings.
steal_pct() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf "%.0f", (d > 0) ? 100 * (y[1] - x[1]) / d : 0 }'; }

api() { curl -sS --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }

# Runs the simulator (own --duration/--sessions bound it; `timeout` is the guard) and
# writes its JSON report to $1; the other arguments go to `cwmp-sim run`.
SIM_CMDS=()
sim() {
    local report=$1 guard=$2; shift 2
    SIM_CMDS+=("cwmp-sim run --acs \$ACS $*")
    timeout --signal=INT --kill-after=30 "$guard" \
        "$SIM_BIN" run --acs "$CWMP_URL" --schema-dir "$SCHEMA_DIR" --cr-listen off \
        --report "$report" "$@" >"$report.txt"
    cat "$report.txt" >&2
}
finished() { jq '.sessions_ok + .sessions_failed' "$1"; }
# A number of a JSON file rounded to one decimal: r1 FILTER FILE.
r1() { jq "$1 * 10 | round / 10" "$2"; }
failed() { jq '.sessions_failed' "$1"; }

# --- Phase 1: periodic sessions of known devices -------------------------------------------
log "phase 1: bootstrap $KNOWN_DEVICES devices, then periodic sessions"
start_acs "$WORK/acs1"
sim "$WORK/p1-bootstrap.json" 900 --devices "$KNOWN_DEVICES" --serial-pattern 'KNOWN{n:07}' \
    --concurrency 64 --sessions "$KNOWN_DEVICES" --duration 600
P1_ROWS=""
BEST_RATE=0; BEST_C=0; BEST_CPU=0
for c in $SWEEP; do
    before=$(acs_ticks); jiffies=$(cpu_jiffies)
    sim "$WORK/p1-c$c.json" $((SWEEP_SECS + 90)) --devices "$KNOWN_DEVICES" --known \
        --serial-pattern 'KNOWN{n:07}' --concurrency "$c" --duration "$SWEEP_SECS"
    after=$(acs_ticks); steal=$(steal_pct "$jiffies" "$(cpu_jiffies)")
    r="$WORK/p1-c$c.json"
    rate=$(jq .sessions_per_s "$r")
    cpu=$(cpu_ms_per "$before" "$after" "$(finished "$r")")
    P1_ROWS+="| $c | $(finished "$r") | $(failed "$r") | $rate | $(r1 .latency_ms.p50 "$r") | $(r1 .latency_ms.p99 "$r") | $cpu | $(jq .cpu_s "$r") | $steal |"$'\n'
    if awk -v a="$rate" -v b="$BEST_RATE" 'BEGIN { exit !(a > b) }'; then
        BEST_RATE=$rate; BEST_C=$c; BEST_CPU=$cpu
    fi
done
HALF_RATE=$(awk -v r="$BEST_RATE" 'BEGIN { printf "%d", (r / 2 < 1) ? 1 : r / 2 }')
before=$(acs_ticks); jiffies=$(cpu_jiffies)
sim "$WORK/p1-half.json" $((HALF_SECS + 90)) --devices "$KNOWN_DEVICES" --known \
    --serial-pattern 'KNOWN{n:07}' --rate "$HALF_RATE" --concurrency 1024 --duration "$HALF_SECS"
after=$(acs_ticks); HALF_STEAL=$(steal_pct "$jiffies" "$(cpu_jiffies)")
HALF_P99=$(r1 .latency_ms.p99 "$WORK/p1-half.json")
HALF_DONE=$(jq .sessions_per_s "$WORK/p1-half.json")
HALF_CPU=$(cpu_ms_per "$before" "$after" "$(finished "$WORK/p1-half.json")")
stop_acs

# --- Phase 2: bootstrap sessions with a typical preset -------------------------------------
log "phase 2: bootstrap of $BOOT_DEVICES new devices with a preset"
start_acs "$WORK/acs2"
PRESET='{"weight": 0, "events": ["0 BOOTSTRAP"],
 "precondition": {"_deviceId._SerialNumber": {"$regex": "^BOOT"}},
 "configuration": {"parameters": [
   ["Device.DeviceInfo.HardwareVersion", "1.0"],
   ["Device.DeviceInfo.MemoryStatus.Total", 262144],
   ["Device.Time.Enable", true],
   ["Device.Time.NTPServer1", "pool.ntp.org"],
   ["Device.IP.IPv4Enable", true],
   ["Device.ManagementServer.PeriodicInformInterval", 3600],
   ["Device.Time.NTPServer2", "ntp.example.net"],
   ["Device.DeviceInfo.ProvisioningCode", "BENCH"]],
  "connectionRequestCredentials": true}}'
api -X PUT -H 'Content-Type: application/json' -d "$PRESET" "http://$API/presets/bench-bootstrap" -o /dev/null -w '%{http_code}\n' | grep -q '^20' \
    || { echo "bench.sh: the preset was refused" >&2; exit 1; }
before=$(acs_ticks)
sim "$WORK/p2.json" 900 --devices "$BOOT_DEVICES" --serial-pattern 'BOOT{n:07}' \
    --concurrency "$BEST_C" --sessions "$BOOT_DEVICES" --duration 600
after=$(acs_ticks)
BOOT_RATE=$(jq .sessions_per_s "$WORK/p2.json")
BOOT_CPU=$(cpu_ms_per "$before" "$after" "$(finished "$WORK/p2.json")")
BOOT_RPCS=$(jq -r '.rpcs | to_entries | map("\(.key) \(.value)") | join(", ")' "$WORK/p2.json")
stop_acs

# --- Phase 3: API tasks with Connection Requests -------------------------------------------
log "phase 3: GetParameterValues of 20 parameters on $CR_DEVICES devices through the API"
start_acs "$WORK/acs3"
PARAMS=(Device.DeviceInfo.Manufacturer Device.DeviceInfo.ManufacturerOUI Device.DeviceInfo.ModelName
    Device.DeviceInfo.Description Device.DeviceInfo.ProductClass Device.DeviceInfo.SerialNumber
    Device.DeviceInfo.HardwareVersion Device.DeviceInfo.SoftwareVersion Device.DeviceInfo.UpTime
    Device.DeviceInfo.MemoryStatus.Total Device.DeviceInfo.MemoryStatus.Free
    Device.ManagementServer.URL Device.ManagementServer.PeriodicInformEnable
    Device.ManagementServer.PeriodicInformInterval Device.ManagementServer.ConnectionRequestURL
    Device.Time.Enable Device.Time.Status Device.Time.NTPServer1 Device.IP.IPv4Enable
    Device.IP.Interface.1.Status)
CR_SIM_CMD="cwmp-sim run --acs \$ACS --devices $CR_DEVICES --serial-pattern 'CRQ{n:07}' --duration 900 (periodic pacing, no --concurrency: bootstraps, then waits for Connection Requests)"
"$SIM_BIN" run --acs "$CWMP_URL" --schema-dir "$SCHEMA_DIR" --devices "$CR_DEVICES" \
    --serial-pattern 'CRQ{n:07}' --duration 900 --report "$WORK/p3-sim.json" \
    >"$WORK/p3-sim.txt" 2>&1 &
SIM_PID=$!
query=$(jq -rn '{"_deviceId._SerialNumber": {"$regex": "^CRQ"}} | tojson | @uri')
for _ in $(seq 600); do
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/p3-sim.txt" >&2; echo "bench.sh: the simulator died" >&2; exit 1; }
    n=$(api -D - -o /dev/null "http://$API/devices?query=$query&limit=1" | awk 'tolower($1) == "x-total-count:" {print $2+0}' || true)
    [ "${n:-0}" -ge "$CR_DEVICES" ] && break
    sleep 0.5
done
[ "${n:-0}" -ge "$CR_DEVICES" ] || { echo "bench.sh: only ${n:-0} of $CR_DEVICES devices bootstrapped" >&2; exit 1; }
# Their bootstrap sessions end a moment after the Inform is stored: let the leases go.
sleep 2
param_args=()
for p in "${PARAMS[@]}"; do param_args+=(--param "$p"); done
before=$(acs_ticks)
timeout --kill-after=10 600 "$DRIVER_BIN" --api "$API" --token "$TOKEN" --serial-prefix CRQ \
    --devices "$CR_DEVICES" --concurrency "$CR_CONCURRENCY" "${param_args[@]}" >"$WORK/p3.json"
after=$(acs_ticks)
cat "$WORK/p3.json" >&2
kill -INT "$SIM_PID"
wait "$SIM_PID" || true
SIM_PID=""
CR_RATE=$(jq -r '.completed_per_s | . * 10 | round / 10' "$WORK/p3.json")
CR_DONE=$(jq -r '"\(.completed) of \(.tasks) (by HTTP status: \(.by_status | tostring))"' "$WORK/p3.json")
CR_P99=$(r1 .latency_ms.p99 "$WORK/p3.json")
CR_CPU=$(cpu_ms_per "$before" "$after" "$(jq .tasks "$WORK/p3.json")")
stop_acs

# --- Phase 4: RSS and store size with many devices -----------------------------------------
log "phase 4: $BIG_DEVICES devices of the default profile"
start_acs "$WORK/acs4"
before=$(acs_ticks)
t0=$(date +%s.%N)
sim "$WORK/p4.json" 3600 --devices "$BIG_DEVICES" --serial-pattern 'BIG{n:07}' \
    --concurrency "$BEST_C" --sessions "$BIG_DEVICES" --duration 3000
t1=$(date +%s.%N)
after=$(acs_ticks)
BIG_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
BIG_RATE=$(jq .sessions_per_s "$WORK/p4.json")
BIG_CPU=$(cpu_ms_per "$before" "$after" "$(finished "$WORK/p4.json")")
BIG_STORED=$(api -D - -o /dev/null "http://$API/devices?limit=1" | awk 'tolower($1) == "x-total-count:" {print $2+0}' || echo "?")
RSS_KB=$(status_kb VmRSS)
HWM_KB=$(status_kb VmHWM)
STORE_BYTES=$(du -sb "$WORK/acs4" | cut -f1)
stop_acs
STORE_AFTER=$(du -sb "$WORK/acs4" | cut -f1)

# --- Report --------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
mib_bytes() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
verdict() { if awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN { exit !((op == "ge") ? v >= g : v <= g) }'; then echo met; else echo missed; fi; }
RSS_MB=$(mb "$RSS_KB")
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM_GIB=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
NOW=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
MODE=$([ "$QUICK" = 1 ] && echo "quick run: small counts, not the real figures" || echo "full run")

SECTION="$WORK/fleet-section.md"
{
    echo "## Fleet"
    echo
    echo "Written by \`scripts/bench.sh\` ($MODE; $NOW, commit $COMMIT): the release"
    echo "\`cwmp-acs\` (fresh temporary data directory per phase, \`RUST_LOG=info\`) against the"
    echo "release \`cwmp-sim\` on 127.0.0.1, both on this machine. ACS CPU per session is utime + stime"
    echo "of \`/proc/<pid>/stat\` across the phase divided by the sessions, which stands even when the"
    echo "simulator competes for the cores; the rates do not."
    echo
    echo "Machine: $(nproc) CPUs ($CPU_MODEL), $MEM_GIB GiB RAM, Linux $(uname -r), $(rustc --version)."
    echo
    echo "### Goals"
    echo
    echo "| goal | measured | |"
    echo "|---|---|---|"
    echo "| ≥ $GOAL_PERIODIC periodic sessions/s | $BEST_RATE (concurrency $BEST_C) | $(verdict "$BEST_RATE" "$GOAL_PERIODIC" ge) |"
    echo "| ≥ $GOAL_BOOTSTRAP bootstrap sessions/s | $BOOT_RATE | $(verdict "$BOOT_RATE" "$GOAL_BOOTSTRAP" ge) |"
    echo "| p99 ≤ $GOAL_P99_MS ms at half load ($HALF_RATE/s) | $HALF_P99 ms | $(verdict "$HALF_P99" "$GOAL_P99_MS" le) |"
    echo "| ≤ 1 GB RSS with $BIG_DEVICES devices | $RSS_MB MiB | $(verdict "$RSS_MB" "$GOAL_RSS_MB" le) |"
    echo
    echo "### 1. Periodic sessions (Inform + empty POST), $KNOWN_DEVICES known devices"
    echo
    echo "As fast as possible for $SWEEP_SECS s at each concurrency, one after the other on the same"
    echo "ACS (each device keeps its last 32 sessions: the first steps fill the histories, the later"
    echo "ones overwrite the oldest). Steal: share of the machine's CPU time the hypervisor gave to other"
    echo "guests meanwhile (\`/proc/stat\`), lost to both processes."
    echo
    echo "| concurrency | sessions | failed | sessions/s | p50 ms | p99 ms | ACS CPU ms/session | sim CPU s | steal % |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s' "$P1_ROWS"
    echo
    echo "At half the best rate ($HALF_RATE/s for $HALF_SECS s): $HALF_DONE sessions/s done, p99 $HALF_P99 ms"
    echo "(p50 $(r1 .latency_ms.p50 "$WORK/p1-half.json") ms, max $(r1 .latency_ms.max "$WORK/p1-half.json") ms,"
    echo "$(failed "$WORK/p1-half.json") failed), ACS CPU $HALF_CPU ms/session, steal $HALF_STEAL %."
    echo
    echo "### 2. Bootstrap sessions with a preset"
    echo
    echo "$BOOT_DEVICES new devices, concurrency $BEST_C; preset on \`0 BOOTSTRAP\`: 8 parameters (5 already"
    echo "at the desired value, 3 not), \`connectionRequestCredentials\`. $(finished "$WORK/p2.json") sessions,"
    echo "$(failed "$WORK/p2.json") failed: **$BOOT_RATE sessions/s**, p99 $(r1 .latency_ms.p99 "$WORK/p2.json") ms, ACS CPU"
    echo "$BOOT_CPU ms/session. ACS requests answered: $BOOT_RPCS."
    echo
    echo "### 3. API tasks with Connection Requests"
    echo
    echo "GetParameterValues of 20 parameters on each of $CR_DEVICES devices, \`POST"
    echo "/devices/<id>/tasks?connection_request&timeout=10000\`, $CR_CONCURRENCY in flight"
    echo "(\`crates/cwmp-sim/examples/api_tasks.rs\`): completed $CR_DONE, **$CR_RATE tasks/s**,"
    echo "p99 $CR_P99 ms per call; ACS CPU $CR_CPU ms/task (API call, Connection Request, session)."
    echo
    echo "### 4. Memory and store with $BIG_DEVICES devices"
    echo
    echo "Bootstrapped through the simulator (concurrency $BEST_C): $BIG_SECS s, $BIG_RATE sessions/s,"
    echo "$(failed "$WORK/p4.json") failed, ACS CPU $BIG_CPU ms/session; $BIG_STORED devices stored."
    echo
    echo "| figure | value |"
    echo "|---|---|"
    echo "| ACS RSS after the load (VmRSS) | $RSS_MB MiB |"
    echo "| ACS peak RSS (VmHWM) | $(mb "$HWM_KB") MiB |"
    echo "| data directory while running (SQLite + WAL) | $(mib_bytes "$STORE_BYTES") MiB |"
    echo "| data directory after a clean stop | $(mib_bytes "$STORE_AFTER") MiB |"
    echo
    echo "### Commands"
    echo
    echo "    scripts/bench.sh$([ "$QUICK" = 1 ] && echo ' --quick')"
    echo
    echo "which ran (\`\$ACS\` the ACS's CWMP URL; each with \`--schema-dir ../shared/ref/datamodels"
    echo "--cr-listen off --report FILE\` unless the Connection Requests are needed):"
    echo
    for cmd in "${SIM_CMDS[@]}"; do echo "    $cmd"; done
    echo "    $CR_SIM_CMD"
    echo "    api_tasks --api \$API --token \$TOKEN --serial-prefix CRQ --devices $CR_DEVICES --concurrency $CR_CONCURRENCY --param … (20 names)"
    echo
} >"$SECTION"

# Replaces the "## Fleet" section of $OUT (up to the next "## " heading) or appends it.
awk -v section="$SECTION" '
    function emit(  line) { while ((getline line < section) > 0) print line; close(section); done = 1 }
    /^## Fleet[[:space:]]*$/ { emit(); skipping = 1; next }
    skipping && /^## / { skipping = 0 }
    !skipping { print }
    END { if (!done) { print ""; emit() } }
' "$OUT" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote the Fleet section of $OUT"
sed -n '/^### Goals/,/^### 1/p' "$SECTION" | head -n -1
