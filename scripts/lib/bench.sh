# Shared by the kw benchmarks (kw-vs-kubectl.sh, kw-output-ab.sh): start a
# server, the Accept headers kw sends, the page URLs kw fetches, and one
# timed run. Sourced; needs `work` (a scratch dir) set by the caller.

table='application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
metadata='application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json'

# bench_serve KW: `KW serve` on loopback in the background; sets `server`
# (its pid), `base` (its URL) and KUBECONFIG. The caller's EXIT trap kills it.
bench_serve() {
    "$1" serve --write-kubeconfig "$work/kubeconfig" > "$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
    export KUBECONFIG="$work/kubeconfig"
    base=$(sed -n 's/^ *server: //p' "$work/kubeconfig" | head -1)
}

# form_args FORM: sets `accept` (what kw asks for in that output form) and
# `o` (its -o flag).
form_args() {
    case $1 in
        name) accept=$metadata; o="-o name" ;;
        table) accept=$table; o="" ;;
        wide) accept=$table; o="-o wide" ;;
        *) accept=application/json; o="-o $1" ;;
    esac
}

# The page URLs of the -A listing, as kw requests them (limit=500,
# following `continue`); found once, untimed, so that the timed curl is one
# process fetching the same pages over one connection: the transfer floor.
page_urls() {
    local accept=$1 cont="" page="$work/page" url
    while :; do
        url="$base/api/v1/configmaps?limit=500"
        [ -n "$cont" ] && url="$base/api/v1/configmaps?continue=$cont&limit=500"
        echo "$url"
        # A client's User-Agent: the server (like kube-apiserver) indents
        # JSON for curl's own.
        curl -sf -A "kw-vs-kubectl/curl" -H "Accept: $accept" "$url" -o "$page"
        cont=$(grep -o '"continue": *"[^"]*"' "$page" | head -1 | sed 's/"continue": *"//; s/"$//' || true)
        [ -z "$cont" ] && break
    done
}

# measure LABEL COMMAND...: prints "LABEL secs maxrss_mib lines status cpu_secs".
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
