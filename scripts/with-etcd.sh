#!/usr/bin/env bash
# Runs a command with a real etcd on 127.0.0.1 (free client and peer ports,
# a temporary data directory), its URL in KUBEWIRE_TEST_ETCD; stops etcd
# afterwards. Usage: scripts/with-etcd.sh COMMAND...
set -euo pipefail
command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server (just setup)"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d)
c=$(free_port); p=$(free_port)
etcd --name t --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "t=http://127.0.0.1:$p" --log-level error --logger zap >"$dir/etcd.log" 2>&1 &
etcd_pid=$!
# etcd ends by SIGTERM (status 143): under `set -e` that status inside the
# trap would become the script's, hiding the command's own.
trap 'kill $etcd_pid 2>/dev/null || true; wait $etcd_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 200); do
    python3 -c "import urllib.request,sys; sys.exit(0 if b'true' in urllib.request.urlopen('http://127.0.0.1:$c/health',timeout=1).read() else 1)" 2>/dev/null && break
    sleep 0.1
done
KUBEWIRE_TEST_ETCD="http://127.0.0.1:$c" "$@"
