#!/usr/bin/env bash
# The whole test suite: set up if needed, then pytest (Rust unit tests, the
# real .wasm under wasmtime, and real Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
