#!/usr/bin/env bash
# Runs every test of the workspace (the README's test command). The binaries are built
# first: the end-to-end tests (crates/cwmp-e2e) run the real cwmp-acs, cwmp-cpe and cwmp-sim.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --locked
exec cargo test --workspace --locked "$@"
