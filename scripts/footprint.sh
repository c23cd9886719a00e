#!/usr/bin/env bash
# Footprint of the same list+watch program built with kubewire-hyper and
# with kube 5 + k8s-openapi: crates in the dependency graph, clean release
# build time (2 cores), stripped binary size. Each build starts from an
# empty target directory; writes target/bench/footprint.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}/../footprint
mkdir -p "$out_dir" target/bench
declare -A crates secs cpu bytes

measure() { # name manifest package binary
    local name=$1 manifest=$2 pkg=$3 bin=$4 dir="$out_dir/$1"
    rm -rf "$dir"
    cargo fetch --manifest-path "$manifest" --locked -q
    crates[$name]=$(cargo tree --manifest-path "$manifest" -p "$pkg" -e normal,build --prefix none --no-dedupe --locked \
        | sed 's/ (.*//' | sort -u | wc -l)
    # Wall time depends on what else the machine does; CPU time (user +
    # system of the whole build) is the steadier measure, so record both.
    read -r secs[$name] cpu[$name] < <(python3 - "$dir" "$manifest" "$pkg" <<'PY'
import os, resource, subprocess, sys, time
d, manifest, pkg = sys.argv[1:]
t = time.monotonic()
subprocess.run(["cargo", "build", "--manifest-path", manifest, "-p", pkg, "--release", "--locked", "-q"],
               env={**os.environ, "CARGO_TARGET_DIR": d}, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round(time.monotonic() - t), round(r.ru_utime + r.ru_stime))
PY
)
    strip -o "$dir/$bin.stripped" "$dir/release/$bin"
    bytes[$name]=$(stat -c %s "$dir/$bin.stripped")
    rm -rf "$dir/release/build" "$dir/release/deps" "$dir/release/.fingerprint"
}

measure kubewire Cargo.toml list-watch list-watch
measure kube-rs examples/footprint-kube-rs/Cargo.toml footprint-kube-rs footprint-kube-rs

printf '%-10s %8s %14s %16s %14s\n' "" crates "build wall (s)" "build CPU (s)" "binary (KiB)"
for n in kubewire kube-rs; do
    printf '%-10s %8d %14d %16d %14d\n' "$n" "${crates[$n]}" "${secs[$n]}" "${cpu[$n]}" "$(( ${bytes[$n]} / 1024 ))"
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "kubewire/kube-rs: crates $(ratio "${crates[kubewire]}" "${crates[kube-rs]}"), build wall $(ratio "${secs[kubewire]}" "${secs[kube-rs]}"), build CPU $(ratio "${cpu[kubewire]}" "${cpu[kube-rs]}"), binary $(ratio "${bytes[kubewire]}" "${bytes[kube-rs]}")"
cat > target/bench/footprint.json <<JSON
{"kubewire": {"crates": ${crates[kubewire]}, "build_seconds": ${secs[kubewire]}, "build_cpu_seconds": ${cpu[kubewire]}, "binary_bytes": ${bytes[kubewire]}},
 "kube_rs": {"crates": ${crates[kube-rs]}, "build_seconds": ${secs[kube-rs]}, "build_cpu_seconds": ${cpu[kube-rs]}, "binary_bytes": ${bytes[kube-rs]}},
 "machine": "$(nproc) cores", "date": "$(date -u +%FT%TZ)"}
JSON
