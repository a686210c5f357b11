#!/usr/bin/env bash
# The main job: set up if needed, build the DSP to wasm with its glue into
# dist/, then render the built-in reference session (20 tracks) headless on
# wasmtime (SIMD and scalar) and natively, and print what was measured.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/dawgwasm build --out dist
exec .venv/bin/dawgwasm demo --dist dist "$@"
