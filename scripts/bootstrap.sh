#!/usr/bin/env bash
# Set up everything dawgwasm needs on a Debian/Ubuntu machine, installing only
# what is missing: a Rust toolchain that can build wasm32-unknown-unknown
# (Debian's rustc, cargo, libstd-rust-dev-wasm32 and lld unless one is already
# there), Chromium, Node.js with npm, the JavaScript lint tools (web/node_modules),
# a .venv with dawgwasm and its dev tools, the engine bundled inside the package
# (python/dawgwasm/engine/) and the wheel that ships it (build/wheel/).
# Safe to run again: a second run installs and builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# A rustc whose sysroot has the wasm32 standard library, with cargo next to it
# and a wasm linker (rust-lld: bundled by rustup, /usr/bin/rust-lld -> lld on Debian).
have_wasm_toolchain() {
    local rc sysroot host
    for rc in "${DAWGWASM_RUSTC:-}" "$(command -v rustc || true)" /usr/bin/rustc; do
        [ -n "$rc" ] && [ -x "$rc" ] || continue
        sysroot=$("$rc" --print sysroot 2>/dev/null) || continue
        host=$("$rc" -vV 2>/dev/null | sed -n 's/^host: //p')
        compgen -G "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null || continue
        [ -x "$(dirname "$rc")/cargo" ] || continue
        [ -e "$sysroot/lib/rustlib/$host/bin/rust-lld" ] || command -v rust-lld >/dev/null 2>&1 || continue
        return 0
    done
    return 1
}

packages=()
have_wasm_toolchain || packages+=(rustc cargo libstd-rust-dev-wasm32 lld)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || packages+=(chromium)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || packages+=(python3-venv)

if [ "${#packages[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing: ${packages[*]}; install them with your package manager (no apt-get here)"
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            say "missing: ${packages[*]}; run this script as root, or install sudo"
            exit 1
        fi
        sudo="sudo"
    fi
    say "installing ${packages[*]}"
    $sudo apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"bootstrap: dawgwasm needs Python 3.10 or newer, found {sys.version.split()[0]}")
PY

# ESLint and TypeScript for the JavaScript checks, pinned by web/package-lock.json.
lock_sum=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ ! -f web/node_modules/.dawgwasm-installed ] || [ "$(cat web/node_modules/.dawgwasm-installed)" != "$lock_sum" ]; then
    say "installing the JavaScript lint tools into web/node_modules"
    npm ci --prefix web --no-audit --no-fund --loglevel=error
    echo "$lock_sum" >web/node_modules/.dawgwasm-installed
fi

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
fi
stamp=.venv/.dawgwasm-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x .venv/bin/dawgwasm ]; then
    say "installing dawgwasm into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$want" >"$stamp"
fi

# The engine bundled inside the package: a whole `dawgwasm build` output in
# python/dawgwasm/engine/, rebuilt only when the sources it is made from changed.
.venv/bin/python -m dawgwasm._bundle

# The wheel, with that engine and the profile page (web/profile/) in it:
# `pip install build/wheel/dawgwasm-*.whl` gives a dawgwasm that renders with
# no Rust toolchain and no dist/.
wheel_sum=$(find pyproject.toml README.md python/dawgwasm web/profile -type f ! -path '*/__pycache__/*' \
    ! -name .engine-sources -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if ! compgen -G "build/wheel/dawgwasm-*.whl" >/dev/null \
    || [ "$(cat build/wheel/.dawgwasm-sources 2>/dev/null)" != "$wheel_sum" ]; then
    say "building the wheel into build/wheel"
    .venv/bin/python scripts/build_wheel.py build/wheel >/dev/null
    echo "$wheel_sum" >build/wheel/.dawgwasm-sources
fi
