#!/usr/bin/env bash
# Install what kubewire-web's build and browser tests need, idempotently:
# each step checks first and does nothing when its tool is already there.
#   chromium + chromium-driver (Debian)       the headless browser and its WebDriver
#   wasm-bindgen 0.2.130 (cargo install)      must match the crate's `=0.2.130` pin
#   typescript (npm ci, tests/browser/types)  checks the .d.ts and the dashboard's types
# The rust-web toolchain for wasm32 comes from scripts/setup.sh.
# `--build-only` skips the browser and TypeScript (enough for `just web-build`).
# Reaches only the package registries (Debian, crates.io, npm).
set -euo pipefail

cache="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}"
version=0.2.130
mkdir -p "$cache/bin"

if [ "${1:-}" != "--build-only" ]; then
    need_apt=()
    for pkg in chromium chromium-driver; do
        dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
    done
    if [ ${#need_apt[@]} -gt 0 ]; then
        echo "install-browser-tools: apt-get install ${need_apt[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
fi

has_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -qx "wasm-bindgen $version"; }
wb="$cache/bin/wasm-bindgen"
if ! has_version "$wb"; then
    # A matching one already on this machine (e.g. in ~/.cargo/bin) will do.
    found=""
    for candidate in "$(command -v wasm-bindgen || true)" "$HOME/.cargo/bin/wasm-bindgen"; do
        if [ -n "$candidate" ] && has_version "$candidate"; then found="$candidate"; break; fi
    done
    if [ -n "$found" ]; then
        ln -sf "$found" "$wb"
    else
        echo "install-browser-tools: cargo install wasm-bindgen-cli $version (about 7 minutes)" >&2
        cargo install -j2 --root "$cache" wasm-bindgen-cli --version "$version"
    fi
fi

if [ "${1:-}" != "--build-only" ]; then
    # npm ci from the committed lock, outside the clone; redone only when
    # the lock changed.
    tools="$cache/web-tools"
    lock=tests/browser/types/package-lock.json
    if ! cmp -s "$lock" "$tools/package-lock.json" || [ ! -x "$tools/node_modules/.bin/tsc" ]; then
        echo "install-browser-tools: npm ci (typescript) in $tools" >&2
        mkdir -p "$tools"
        cp tests/browser/types/package.json "$lock" "$tools/"
        (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
