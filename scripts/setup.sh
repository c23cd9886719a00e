#!/usr/bin/env bash
# Install what kubewire's tests need, idempotently: each step checks first and
# does nothing when its tool is already there. Runs as root on CI machines
# (apt-get); reaches only the package registries.
set -euo pipefail

need_apt=()
# Debian's rust-web toolchain builds the wasm targets (see TOOLCHAIN.md);
# lld-22 is what its /usr/bin/rust-lld points to.
# etcd-server: the real etcd the etcd-engine tests start; protobuf-compiler:
# protoc, which the etcd-client crate's build script runs on etcd's .proto files.
for pkg in rustc-web cargo-web rust-web-src rust-web-llvm lld-22 etcd-server protobuf-compiler; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v just >/dev/null 2>&1; then
    echo "setup: pip install rust-just"
    python3 -m pip install -q rust-just==1.59.0
fi

for extra in scripts/install-kubectl.sh scripts/install-python-client.sh; do
    if [ -x "$extra" ] || [ -f "$extra" ]; then bash "$extra"; fi
done
