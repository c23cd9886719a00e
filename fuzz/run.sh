#!/bin/sh
# Runs every fuzz target for a bounded time: `fuzz/run.sh [SECONDS]` (default 60 each).
# Seeds the corpora with the captured API server vectors (two leading bytes
# select chunk size and limits, see the targets).
set -eu
cd "$(dirname "$0")"
SECS="${1:-60}"
../scripts/install-cargo-fuzz.sh >/dev/null
DATA=../tests/data/real-apiserver
mkdir -p corpus/watch_decoder corpus/list_decoder corpus/server_request
for f in "$DATA"/*.ndjson; do
    [ "$(wc -c < "$f")" -lt 20000 ] && { printf '\007\000'; cat "$f"; } > "corpus/watch_decoder/$(basename "$f")"
done
for f in "$DATA"/*list*.json; do
    [ "$(wc -c < "$f")" -lt 20000 ] && { printf '\015\000'; cat "$f"; } > "corpus/list_decoder/$(basename "$f")"
done
# Server requests: POST/PUT/PATCH of captured objects (method, endpoint and
# content type are the first three bytes; 0xFF ends an empty query).
i=0
for f in "$DATA"/configmap-*.json "$DATA"/deployment-*.json; do
    [ -f "$f" ] && [ "$(wc -c < "$f")" -lt 20000 ] || continue
    i=$((i + 1))
    { printf "\\$(printf %03o $((i % 5)))\\$(printf %03o $((i % 25)))\\$(printf %03o $((i % 7)))\\377"; cat "$f"; } > "corpus/server_request/$(basename "$f")"
done
for target in watch_decoder list_decoder server_request; do
    cargo +nightly fuzz run "$target" -- -max_total_time="$SECS" -max_len=65536
done
