#!/usr/bin/env bash
# The main job: set up if needed, build the DSP to wasm with its glue into
# dist/, then render the demo mix headless and print what was measured.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/dawgwasm build --out dist
exec .venv/bin/dawgwasm demo --dist dist "$@"
