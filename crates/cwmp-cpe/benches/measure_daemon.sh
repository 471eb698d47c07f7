#!/bin/bash
# Figures of the cwmp-cpe daemon (docs/BENCHMARKS.md): start-up time to listening, VmRSS during
# a session (slow_acs.py holds the InformResponse 3 s) and idle after it.
# Usage: crates/cwmp-cpe/benches/measure_daemon.sh [BINARY]   (default target/release/cwmp-cpe)
# The built-in data model is used unless DATA_MODEL names a file (XML or compact schema).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
B=${1:-$root/target/release/cwmp-cpe}
dm=${DATA_MODEL:-}
dir=$(mktemp -d)
cat > "$dir/c.toml" <<CONF
state_dir = "$dir/state"
[acs]
url = "http://127.0.0.1:18081/acs"
[cpe]
listen = "127.0.0.1"
port = 18082
CONF
if [ -n "$dm" ]; then printf '[data_model]\nfile = "%s"\n' "$dm" >> "$dir/c.toml"; fi
python3 "$here/slow_acs.py" 18081 3 & ACS=$!
sleep 0.5
t0=$(date +%s%N)
"$B" run --config "$dir/c.toml" > "$dir/daemon.log" 2>&1 & PID=$!
until [ -S "$dir/state/cwmp-cpe.sock" ]; do sleep 0.002; done
t1=$(date +%s%N)
echo "start-up to listening: $(( (t1 - t0) / 1000000 )) ms"
sleep 1.5
echo "during session: $(grep VmRSS /proc/$PID/status)"
sleep 4
"$B" show status --config "$dir/c.toml" | head -3
echo "idle: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$PID/status | tr -s '\n\t ' ' ')"
kill $PID $ACS
wait 2>/dev/null || true
rm -rf "$dir"
