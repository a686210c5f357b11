"""Find the tools dawgwasm drives: a Rust toolchain that can build
``wasm32-unknown-unknown``, Chromium and Node.js.

Two kinds of Rust toolchain qualify: rustup's, once
``rustup target add wasm32-unknown-unknown`` has installed the target, and a
distribution's ``rustc`` with its wasm32 standard library (on Debian and
Ubuntu: ``apt-get install rustc cargo libstd-rust-dev-wasm32 lld``). A toolchain
qualifies when ``rustc --print sysroot`` holds
``lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib``, a ``cargo`` sits
next to that ``rustc``, and the wasm linker ``rust-lld`` resolves (bundled in
the sysroot by rustup; ``/usr/bin/rust-lld`` → ``lld`` on Debian). Set
``DAWGWASM_RUSTC`` to choose one explicitly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dawgwasm._errors import BrowserError, ToolchainMissingError

__all__ = [
    "MIN_RUST_VERSION",
    "WASM_TARGET",
    "RustToolchain",
    "Tool",
    "find_chromium",
    "find_node",
    "find_rust_toolchain",
    "rust_candidates",
]

WASM_TARGET = "wasm32-unknown-unknown"
MIN_RUST_VERSION = (1, 63)

INSTALL_HINT = (
    "install the wasm32 target: with rustup, `rustup target add wasm32-unknown-unknown`; "
    "on Debian/Ubuntu, `apt-get install rustc cargo libstd-rust-dev-wasm32 lld`; "
    "or point DAWGWASM_RUSTC at a rustc that has it"
)


@dataclass(frozen=True)
class RustToolchain:
    """A rustc + cargo pair whose sysroot has the wasm32 standard library."""

    rustc: Path
    cargo: Path
    version: str
    sysroot: Path
    host: str
    linker: Path

    def env(self, rustflags: str = "") -> dict[str, str]:
        """Environment for running this toolchain's cargo."""
        env = dict(os.environ)
        env["RUSTC"] = str(self.rustc)
        env["RUSTFLAGS"] = rustflags
        env.pop("CARGO_ENCODED_RUSTFLAGS", None)
        env.pop("CARGO_BUILD_TARGET", None)
        return env


@dataclass(frozen=True)
class Tool:
    """A program found on this machine."""

    name: str
    path: Path
    version: str


def _run(argv: list[str], timeout: float = 30.0) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _version_tuple(text: str) -> tuple[int, int] | None:
    m = re.search(r"(\d+)\.(\d+)\.\d+", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def rust_candidates() -> list[Path]:
    """rustc binaries worth trying, most preferred first, without duplicates."""
    found: list[Path] = []
    explicit = os.environ.get("DAWGWASM_RUSTC")
    if explicit:
        return [Path(explicit)]
    for c in (
        shutil.which("rustc"),
        str(Path.home() / ".cargo" / "bin" / "rustc"),
        "/usr/bin/rustc",
        "/usr/local/bin/rustc",
    ):
        if c and Path(c).is_file() and Path(c) not in found:
            found.append(Path(c))
    return found


def _probe(rustc: Path) -> tuple[RustToolchain | None, str]:
    """The toolchain around ``rustc``, or None and the reason it does not qualify."""
    verbose = _run([str(rustc), "-vV"])
    if verbose is None:
        return None, f"{rustc}: does not run"
    version = verbose.splitlines()[0]
    vt = _version_tuple(version)
    if vt is None or vt < MIN_RUST_VERSION:
        return None, f"{rustc}: {version} is older than 1.63"
    host_m = re.search(r"^host: (\S+)$", verbose, re.M)
    sysroot_s = _run([str(rustc), "--print", "sysroot"])
    if sysroot_s is None or host_m is None:
        return None, f"{rustc}: cannot read its sysroot"
    sysroot = Path(sysroot_s)
    libdir = sysroot / "lib" / "rustlib" / WASM_TARGET / "lib"
    if not any(libdir.glob("libstd-*.rlib")):
        return None, f"{rustc}: no {WASM_TARGET} standard library in {sysroot}"
    cargo = rustc.with_name("cargo")
    if not cargo.is_file():
        return None, f"{rustc}: no cargo next to it"
    bundled = sysroot / "lib" / "rustlib" / host_m.group(1) / "bin" / "rust-lld"
    on_path = shutil.which("rust-lld")
    linker = bundled if bundled.exists() else Path(on_path) if on_path else None
    if linker is None:
        return None, f"{rustc}: no wasm linker (rust-lld resolves to nothing; Debian's is in `lld`)"
    return RustToolchain(rustc, cargo, version, sysroot, host_m.group(1), linker), ""


def find_rust_toolchain() -> RustToolchain:
    """The first Rust toolchain that can build wasm32, or ToolchainMissingError."""
    reasons: list[str] = []
    for rustc in rust_candidates():
        tc, why = _probe(rustc)
        if tc is not None:
            return tc
        reasons.append(why)
    tried = "; ".join(reasons) if reasons else "no rustc found on PATH"
    raise ToolchainMissingError(
        f"no Rust toolchain can build {WASM_TARGET} ({tried}): {INSTALL_HINT}"
    )


def find_chromium(executable: Path | None = None) -> Tool:
    """Chromium (or Chrome): ``executable`` if given, else from
    DAWGWASM_CHROMIUM or the usual names."""
    if executable is not None:
        if not (executable.is_file() and os.access(executable, os.X_OK)):
            raise BrowserError(
                f"{executable} is not an executable file: give the path of a Chromium or "
                "Chrome binary (`which chromium`)"
            )
        version = _run([str(executable), "--version"], timeout=60) or "unknown version"
        return Tool("chromium", executable, version)
    explicit = os.environ.get("DAWGWASM_CHROMIUM")
    names = [explicit] if explicit else ["chromium", "chromium-browser", "google-chrome"]
    for name in names:
        path = shutil.which(name) if name else None
        if path:
            version = _run([path, "--version"], timeout=60) or "unknown version"
            return Tool("chromium", Path(path), version)
    raise BrowserError(
        "Chromium not found: on Debian/Ubuntu `apt-get install chromium`, "
        "or set DAWGWASM_CHROMIUM to a Chromium or Chrome binary"
    )


def find_node() -> Tool | None:
    """Node.js, if installed (used to syntax-check generated JavaScript)."""
    path = shutil.which("node")
    if not path:
        return None
    return Tool("node", Path(path), _run([path, "--version"]) or "unknown version")
