#!/usr/bin/env bash
# Two kw binaries against each other and curl, in one run on one server:
#   bash scripts/kw-output-ab.sh KW_BEFORE KW_AFTER [COUNT] [ROUNDS]
# (FORMS="json yaml" to choose forms; default all five). Populates COUNT
# ConfigMaps (default 100,000) with the populate example of
# $CARGO_TARGET_DIR/release, checks both binaries print byte-identical
# output for each form (table and wide may differ in AGE), then times
# before, curl fetching the same pages and after, interleaved, ROUNDS
# times: "form who secs maxrss_mib lines status cpu_secs". Loopback only.
set -euo pipefail
before=$1 after=$2 count=${3:-100000} rounds=${4:-3}
target=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=scripts/lib/bench.sh
source "$(dirname "$0")/lib/bench.sh"
bench_serve "$after"
"$target/release/examples/populate" $count bulk
forms=${FORMS:-name table wide json yaml}
for form in $forms; do
    form_args "$form"
    # byte-identical check (AGE columns may tick between runs for table/wide)
    "$before" get configmaps -A $o > $work/b.$form; "$after" get configmaps -A $o > $work/a.$form
    if cmp -s $work/b.$form $work/a.$form; then same=identical; else same=DIFFERENT; fi
    mapfile -t urls < <(page_urls "$accept")
    for round in $(seq $rounds); do
        echo "$form $(measure before "$before" get configmaps -A $o)"
        echo "$form $(measure curl curl -sf -A kw-vs-kubectl/curl -H "Accept: $accept" "${urls[@]}")"
        echo "$form $(measure after "$after" get configmaps -A $o)"
    done
    echo "$form output before/after: $same ($(wc -c < $work/a.$form) bytes)"
    uptime
done
