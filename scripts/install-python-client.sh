#!/usr/bin/env bash
# Installs the official Python `kubernetes` client (PyPI) into a venv at
# ${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}/venv for kubewire-server's
# tests (tests/python_client.rs). Idempotent: does nothing when the venv
# already imports it.
set -euo pipefail
CACHE="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}"
VENV="$CACHE/venv"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import kubernetes" 2>/dev/null; then
    exit 0
fi
echo "installing the Python kubernetes client into $VENV" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes>=31"
"$VENV/bin/python" -c "import kubernetes; print('kubernetes', kubernetes.__version__)"
