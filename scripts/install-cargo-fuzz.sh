#!/bin/sh
# Installs cargo-fuzz once; does nothing if it is already installed.
# Fuzzing needs the nightly toolchain (`cargo +nightly fuzz ...`).
set -eu
if cargo fuzz --version >/dev/null 2>&1; then
    cargo fuzz --version
    exit 0
fi
cargo install cargo-fuzz --locked
