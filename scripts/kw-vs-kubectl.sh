#!/usr/bin/env bash
# kw vs kubectl 1.37 vs curl, on ConfigMaps served by kubewire-server, in one
# run: for each COUNT (default 20,000 and 100,000) every output form of
# `get configmaps -A` (name, table, wide, json, yaml) by kw and kubectl, and
# curl fetching the same pages kw fetches (limit=500, following `continue`,
# the same Accept header); wall time and peak memory (max RSS) of each. Then
# `get -w -o name` by both clients on the largest COUNT while 10,000 changes
# land, outputs compared line by line. Loopback only; the server is stopped
# at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${*:-20000 100000}
target=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}
bash scripts/install-kubectl.sh >/dev/null
kubectl="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}/bin/kubectl-1.37"
cargo build --release --locked -q -p kw --bin kw --example populate
kw="$target/release/kw"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$kw" serve --write-kubeconfig "$work/kubeconfig" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$work/kubeconfig"
base=$(sed -n 's/^ *server: //p' "$work/kubeconfig" | head -1)

table='application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
metadata='application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json'

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

measure() { # label command... → "label secs rss lines"
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

results="$work/results"
: > "$results"
prev=0
for count in $counts; do
    "$target/release/examples/populate" $((count - prev)) "bulk$count" >/dev/null
    prev=$count
    total=$("$kw" get configmaps -A -o name | wc -l)
    for form in name table wide json yaml; do
        case $form in
            name) accept=$metadata; o="-o name" ;;
            table) accept=$table; o="" ;;
            wide) accept=$table; o="-o wide" ;;
            *) accept=application/json; o="-o $form" ;;
        esac
        for round in 1 2; do
            # shellcheck disable=SC2086
            echo "$total $form $(measure kw "$kw" get configmaps -A $o)" >> "$results"
            mapfile -t urls < <(page_urls "$accept")
            echo "$total $form $(measure curl curl -sf -A kw-vs-kubectl/curl -H "Accept: $accept" "${urls[@]}")" >> "$results"
            # shellcheck disable=SC2086
            [ "$round" = 1 ] && echo "$total $form $(measure kubectl "$kubectl" get configmaps -A $o)" >> "$results"
        done
    done
done

python3 - "$results" <<'PY'
import collections, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    total, form, who, secs, rss, lines, status, cpu = line.split()
    rows[(int(total), form, who)].append((float(secs), int(rss), int(lines), float(cpu)))
# Wall times include the server's work (it shares the machine's two cores);
# the CPU columns are each client's own.
print(f"{'objects':>8} {'form':<6} {'kw s':>7} {'curl s':>7} {'kw/curl':>7} {'kubectl s':>9} {'kw CPU':>7} {'curl CPU':>8} {'kubectl CPU':>11} {'kw MiB':>7} {'kubectl MiB':>11} {'lines kw/kubectl'}")
for total, form in sorted({(t, f) for t, f, _ in rows}, key=lambda k: (k[0], ["name","table","wide","json","yaml"].index(k[1]))):
    kw = min(rows[(total, form, "kw")]); curl = min(rows[(total, form, "curl")]); kc = rows[(total, form, "kubectl")][0]
    print(f"{total:>8} {form:<6} {kw[0]:>7.2f} {curl[0]:>7.2f} {kw[0]/curl[0]:>7.2f} {kc[0]:>9.2f} {kw[3]:>7.2f} {curl[3]:>8.2f} {kc[3]:>11.2f} {kw[1]:>7} {kc[1]:>11} {kw[2]}/{kc[2]}")
PY

# The watch: both clients list every object, then 10,000 changes land; each
# must print every change. Same final lines, compared sorted.
python3 - "$kw" "$kubectl" "$target/release/examples/populate" "bulk$prev" "$work" <<'PY'
import os, subprocess, sys, time
kw, kubectl, populate, ns, work = sys.argv[1:]
changes = 10_000
total = int(subprocess.run([kw, "get", "configmaps", "-A", "-o", "name"], capture_output=True).stdout.count(b"\n"))
procs = {}
for name, exe in [("kw", kw), ("kubectl", kubectl)]:
    out = open(f"{work}/watch-{name}.out", "wb")
    procs[name] = (subprocess.Popen([exe, "get", "configmaps", "-A", "-w", "-o", "name"], stdout=out, stderr=subprocess.DEVNULL), out, time.monotonic())
def lines(name):
    with open(f"{work}/watch-{name}.out", "rb") as f:
        return f.read().count(b"\n")
done = {}
deadline = time.monotonic() + 600
while len(done) < 2 and time.monotonic() < deadline:
    for name in procs:
        if name not in done and lines(name) >= total:
            done[name] = time.monotonic() - procs[name][2]
    time.sleep(0.2)
listed = dict(done)
started = time.monotonic()
subprocess.run([populate, str(changes), ns, "--update"], check=True, stdout=subprocess.DEVNULL)
seen = {}
while len(seen) < 2 and time.monotonic() < deadline:
    for name in procs:
        if name not in seen and lines(name) >= total + changes:
            seen[name] = time.monotonic() - started
    time.sleep(0.2)
time.sleep(2)
result = {}
for name, (p, out, _) in procs.items():
    p.terminate()
    _, _, ru = os.wait4(p.pid, 0)
    out.close()
    result[name] = ru.ru_maxrss // 1024
outs = {n: sorted(open(f"{work}/watch-{n}.out", "rb").read().splitlines()) for n in procs}
print(f"\nget -w -o name on {total} objects while {changes} changes land:")
for name in procs:
    print(f"{name:<8} listing {listed.get(name, float('nan')):7.2f} s, all changes printed {seen.get(name, float('nan')):7.2f} s after they began, {len(outs[name])} lines, peak {result[name]} MiB")
print("outputs identical line for line (sorted):", outs["kw"] == outs["kubectl"])
PY
