#!/bin/sh
# Regenerates the built-in data models (crates/cwmp-datamodel/schemas/*.jsonl) from the
# Broadband Forum XML in ../shared/ref/datamodels (or $DATAMODELS). The test
# `builtin_schemas_match_the_reference_xml` fails when they are out of date.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dm=${DATAMODELS:-$root/../shared/ref/datamodels}
out=$root/crates/cwmp-datamodel/schemas
cargo build -q -p cwmp-datamodel --bin cwmp-schema
bin=$root/target/debug/cwmp-schema
"$bin" compile "$dm/tr-181-2-17-0-cwmp-full.xml" -o "$out/tr-181-2-17-0-cwmp.jsonl"
"$bin" compile "$dm/tr-098-1-8-0-full.xml" -o "$out/tr-098-1-8-0.jsonl"
