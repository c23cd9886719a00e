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
"$after" serve --write-kubeconfig "$work/kubeconfig" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$work/kubeconfig"
base=$(sed -n 's/^ *server: //p' "$work/kubeconfig" | head -1)
"$target/release/examples/populate" $count bulk
table='application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
metadata='application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json'
page_urls() {
    local accept=$1 cont="" page="$work/page" url
    while :; do
        url="$base/api/v1/configmaps?limit=500"
        [ -n "$cont" ] && url="$base/api/v1/configmaps?continue=$cont&limit=500"
        echo "$url"
        curl -sf -A "kw-vs-kubectl/curl" -H "Accept: $accept" "$url" -o "$page"
        cont=$(grep -o '"continue": *"[^"]*"' "$page" | head -1 | sed 's/"continue": *"//; s/"$//' || true)
        [ -z "$cont" ] && break
    done
}
measure() {
    python3 - "$@" <<'PY'
import os, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
lines = sum(chunk.count(b"\n") for chunk in iter(lambda: p.stdout.read(1 << 16), b""))
_, status, ru = os.wait4(p.pid, 0)
secs = time.monotonic() - t
print(f"{label} {secs:.2f} {ru.ru_maxrss // 1024} {lines} {status} {ru.ru_utime + ru.ru_stime:.2f}")
PY
}
forms=${FORMS:-name table wide json yaml}
for form in $forms; do
    case $form in
        name) accept=$metadata; o="-o name" ;;
        table) accept=$table; o="" ;;
        wide) accept=$table; o="-o wide" ;;
        *) accept=application/json; o="-o $form" ;;
    esac
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
