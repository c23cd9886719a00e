#!/usr/bin/env bash
# Footprint of the same list+watch program built with kubewire-hyper and
# with kube 5 + k8s-openapi: crates in the dependency graph, clean release
# build time (2 cores), stripped binary size. Each build starts from an
# empty target directory; writes target/bench/footprint.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}/../footprint
mkdir -p "$out_dir" target/bench
declare -A crates secs bytes

measure() { # name manifest package binary
    local name=$1 manifest=$2 pkg=$3 bin=$4 dir="$out_dir/$1"
    rm -rf "$dir"
    cargo fetch --manifest-path "$manifest" --locked -q
    crates[$name]=$(cargo tree --manifest-path "$manifest" -p "$pkg" -e normal,build --prefix none --no-dedupe --locked \
        | sed 's/ (.*//' | sort -u | wc -l)
    local start
    start=$(date +%s%N)
    CARGO_TARGET_DIR="$dir" cargo build --manifest-path "$manifest" -p "$pkg" --release --locked -q
    secs[$name]=$(( ($(date +%s%N) - start) / 1000000000 ))
    strip -o "$dir/$bin.stripped" "$dir/release/$bin"
    bytes[$name]=$(stat -c %s "$dir/$bin.stripped")
    rm -rf "$dir/release/build" "$dir/release/deps" "$dir/release/.fingerprint"
}

measure kubewire Cargo.toml list-watch list-watch
measure kube-rs examples/footprint-kube-rs/Cargo.toml footprint-kube-rs footprint-kube-rs

printf '%-10s %8s %12s %14s\n' "" crates "build (s)" "binary (KiB)"
for n in kubewire kube-rs; do
    printf '%-10s %8d %12d %14d\n' "$n" "${crates[$n]}" "${secs[$n]}" "$(( ${bytes[$n]} / 1024 ))"
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "kubewire/kube-rs: crates $(ratio "${crates[kubewire]}" "${crates[kube-rs]}"), build time $(ratio "${secs[kubewire]}" "${secs[kube-rs]}"), binary $(ratio "${bytes[kubewire]}" "${bytes[kube-rs]}")"
cat > target/bench/footprint.json <<JSON
{"kubewire": {"crates": ${crates[kubewire]}, "build_seconds": ${secs[kubewire]}, "binary_bytes": ${bytes[kubewire]}},
 "kube_rs": {"crates": ${crates[kube-rs]}, "build_seconds": ${secs[kube-rs]}, "binary_bytes": ${bytes[kube-rs]}},
 "machine": "$(nproc) cores", "date": "$(date -u +%FT%TZ)"}
JSON
