#!/usr/bin/env bash
# `kw get configmaps -A -o name` vs kubectl's, on N ConfigMaps served by
# kubewire-server (default 100,000), in one run: wall time and peak memory
# (max RSS) of each client. Loopback only; the server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
target=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}
bash scripts/install-kubectl.sh >/dev/null
kubectl="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}/bin/kubectl-1.37"
cargo build --release --locked -q -p kw --bin kw --example populate
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$target/release/kw" serve --write-kubeconfig "$work/kubeconfig" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$work/kubeconfig"
"$target/release/examples/populate" "$count" bulk
measure() { # label command...
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t = time.monotonic()
out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
secs = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
lines = out.count(b"\n")
print(f"{label:<8} {secs:8.2f} s  {rss:6d} MiB peak RSS  {lines} lines")
PY
}
echo "get configmaps -A -o name, $count objects:"
measure kw "$target/release/kw" get configmaps -A -o name
measure kubectl "$kubectl" get configmaps -A -o name
