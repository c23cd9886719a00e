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
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
bench_serve "$kw"

results="$work/results"
: > "$results"
prev=0
for count in $counts; do
    "$target/release/examples/populate" $((count - prev)) "bulk$count" >/dev/null
    prev=$count
    total=$("$kw" get configmaps -A -o name | wc -l)
    for form in name table wide json yaml; do
        form_args "$form"
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
