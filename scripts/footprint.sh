#!/usr/bin/env bash
# Footprint of the same list+watch program built with kubewire-hyper, with
# kubewire-blocking (no async runtime) and with kube 5 + k8s-openapi: crates in the dependency graph, clean release
# build time (2 cores), stripped binary size. Each build starts from an
# empty target directory; writes target/bench/footprint.json.
#
# Three builds: examples/list-watch as checked in (kubewire-hyper without
# its default features http2, proxy and native-roots, as a small program
# builds it), the same with kubewire-hyper's defaults, and kube 5 with its
# defaults (client, rustls-tls, ring; no HTTP/2 or proxies either). A
# fourth, examples/list-watch-blocking, is the same program on the blocking
# adapter (std TcpStream + rustls + httparse, no tokio or hyper). A
# fifth, examples/footprint-floor, is the stack both stand on (tokio,
# hyper, rustls + ring) doing one HTTPS GET: what either adds is measured
# above it.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${CARGO_TARGET_DIR:-$HOME/.cache/kubewire/target}/../footprint
mkdir -p "$out_dir" target/bench
declare -A crates secs cpu bytes

measure() { # name manifest package binary [cargo args...]
    local name=$1 manifest=$2 pkg=$3 bin=$4 dir="$out_dir/$1"
    local extra=("${@:5}")
    rm -rf "$dir"
    cargo fetch --manifest-path "$manifest" --locked -q
    crates[$name]=$(cargo tree --manifest-path "$manifest" -p "$pkg" "${extra[@]}" -e normal,build --prefix none --no-dedupe --locked \
        | sed 's/ (.*//' | sort -u | wc -l)
    # Wall time depends on what else the machine does; CPU time (user +
    # system of the whole build) is the steadier measure, so record both.
    read -r secs[$name] cpu[$name] < <(python3 - "$dir" "$manifest" "$pkg" "${extra[@]}" <<'PY'
import os, resource, subprocess, sys, time
d, manifest, pkg, *extra = sys.argv[1:]
t = time.monotonic()
subprocess.run(["cargo", "build", "--manifest-path", manifest, "-p", pkg, "--release", "--locked", "-q", *extra],
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
measure kubewire-defaults Cargo.toml list-watch list-watch --features kubewire-hyper/default
measure kubewire-blocking Cargo.toml list-watch-blocking list-watch-blocking
measure kube-rs examples/footprint-kube-rs/Cargo.toml footprint-kube-rs footprint-kube-rs
measure floor examples/footprint-floor/Cargo.toml footprint-floor footprint-floor

printf '%-18s %8s %14s %16s %14s\n' "" crates "build wall (s)" "build CPU (s)" "binary (KiB)"
for n in kubewire kubewire-defaults kubewire-blocking kube-rs floor; do
    printf '%-18s %8d %14d %16d %14d\n' "$n" "${crates[$n]}" "${secs[$n]}" "${cpu[$n]}" "$(( ${bytes[$n]} / 1024 ))"
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
for n in kubewire kubewire-defaults kubewire-blocking; do
    echo "$n/kube-rs: crates $(ratio "${crates[$n]}" "${crates[kube-rs]}"), build wall $(ratio "${secs[$n]}" "${secs[kube-rs]}"), build CPU $(ratio "${cpu[$n]}" "${cpu[kube-rs]}"), binary $(ratio "${bytes[$n]}" "${bytes[kube-rs]}")"
done
above() { ratio "$(( ${1}[kubewire] - ${1}[floor] ))" "$(( ${1}[kube-rs] - ${1}[floor] ))"; }
echo "above the floor, kubewire/kube-rs: crates $(above crates), build CPU $(above cpu), binary $(above bytes)"
cat > target/bench/footprint.json <<JSON
{"kubewire": {"crates": ${crates[kubewire]}, "build_seconds": ${secs[kubewire]}, "build_cpu_seconds": ${cpu[kubewire]}, "binary_bytes": ${bytes[kubewire]}},
 "kubewire_defaults": {"crates": ${crates[kubewire-defaults]}, "build_seconds": ${secs[kubewire-defaults]}, "build_cpu_seconds": ${cpu[kubewire-defaults]}, "binary_bytes": ${bytes[kubewire-defaults]}},
 "kubewire_blocking": {"crates": ${crates[kubewire-blocking]}, "build_seconds": ${secs[kubewire-blocking]}, "build_cpu_seconds": ${cpu[kubewire-blocking]}, "binary_bytes": ${bytes[kubewire-blocking]}},
 "floor": {"crates": ${crates[floor]}, "build_seconds": ${secs[floor]}, "build_cpu_seconds": ${cpu[floor]}, "binary_bytes": ${bytes[floor]}},
 "kube_rs": {"crates": ${crates[kube-rs]}, "build_seconds": ${secs[kube-rs]}, "build_cpu_seconds": ${cpu[kube-rs]}, "binary_bytes": ${bytes[kube-rs]}},
 "machine": "$(nproc) cores", "date": "$(date -u +%FT%TZ)"}
JSON
