#!/usr/bin/env bash
# The README's main command: run the main job, installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v just >/dev/null 2>&1 || python3 -m pip install -q rust-just==1.59.0
hash -r
just demo "$@"
