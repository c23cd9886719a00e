#!/usr/bin/env bash
# Starts one etcd (127.0.0.1:2379, data in a temporary directory) and three
# kubewire-servers on it (127.0.0.1:8001-8003), each writing a kubeconfig;
# Ctrl-C stops them all. Usage: scripts/replicas.sh PATH-TO-kubewire-server
set -euo pipefail
server=${1:?usage: replicas.sh PATH-TO-kubewire-server}
command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server (just setup)"; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
etcd --name r --data-dir "$dir/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster r=http://127.0.0.1:2380 --log-level error --logger zap >"$dir/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    curl -fs http://127.0.0.1:2379/health >/dev/null 2>&1 && break
    sleep 0.1
done
for i in 1 2 3; do
    "$server" --listen "127.0.0.1:800$i" --etcd-servers http://127.0.0.1:2379 \
        --write-kubeconfig "$dir/kubeconfig-$i" &
    pids+=($!)
done
sleep 1
echo
echo "three replicas on one etcd; try, in three terminals:"
for i in 1 2 3; do echo "  kubectl --kubeconfig $dir/kubeconfig-$i get configmaps -w"; done
echo "and write through any of them. Ctrl-C stops everything."
wait
