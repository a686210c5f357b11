"""The crate's own Rust tests (unit tests, the counting-allocator proof that
rendering allocates nothing, the denormal tests) pass with the toolchain
dawgwasm builds with."""

from __future__ import annotations

import subprocess

from dawgwasm import _paths
from dawgwasm._toolchain import find_rust_toolchain


def test_cargo_test_passes() -> None:
    tc = find_rust_toolchain()
    crate = _paths.crate_dir()
    env = tc.env()
    env["CARGO_TARGET_DIR"] = str(crate / "target" / "dawgwasm" / "native-test")
    proc = subprocess.run(
        [
            str(tc.cargo),
            "test",
            "--release",
            "--offline",
            "--manifest-path",
            str(crate / "Cargo.toml"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "rendering_allocates_nothing ... ok" in proc.stdout
    assert "impulse_then_ten_seconds_of_silence_reaches_exact_zero ... ok" in proc.stdout
