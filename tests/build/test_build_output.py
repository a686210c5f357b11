"""`dawgwasm build` writes a complete, self-describing output folder, and a
failed build (broken crate, broken template, missing toolchain) leaves the
previous output exactly as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import dawgwasm
from dawgwasm import BuildError, Engine, ToolchainMissingError, _paths
from dawgwasm._toolchain import find_rust_toolchain
from tests.build.folders import assert_complete_build, snapshot


def test_output_folder_contents(built_dist: Path) -> None:
    names = {p.name for p in built_dist.iterdir()}
    js_engine = {p.name for p in _paths.static_dir().glob("dawg-js-*.js")}
    assert "dawg-js-abi.js" in js_engine and js_engine <= names
    assert names - js_engine == {
        ".dawgwasm-build",
        "manifest.json",
        "dawg_dsp.simd.wasm",
        "dawg_dsp.scalar.wasm",
        "dawg-processor.js",
        "dawg-engine.js",
        "dawg-engine.d.ts",
        "package.json",
        "dawg-worklet-core.js",
        "dawg-worklet-events.js",
        "dawg-worklet-meters.js",
        "dawg-worklet-wasm.js",
        "dawg-engine-core.js",
        "dawg-engine-class.js",
        "dawg-checks.js",
        "dawg-meters.js",
        "dawg-outbox.js",
        "dawg-structure.js",
        "dawg-ring.js",
        "dawg-schedule.js",
        "dawg-session.js",
        "dawg-session-load.js",
        "dawg-rules.js",
        "reference-session.json",
        "samples",
    }
    manifest = json.loads((built_dist / "manifest.json").read_text())
    assert manifest["abi_version"] == dawgwasm._abi.ABI_VERSION
    assert manifest["quantum_frames"] == 128
    for variant, meta in manifest["wasm"].items():
        data = (built_dist / meta["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], variant
        assert len(data) == meta["bytes"]
    engine = Engine.from_dist(built_dist)
    assert [p["name"] for p in manifest["params"]] == list(engine.params)
    assert manifest["params"] == [p.to_json() for p in engine.params.values()]
    assert manifest["units"] == engine.units
    assert manifest["sources"] == engine.sources
    assert manifest["limits"] == engine.limits
    engine.close()


def test_every_build_is_marked_with_every_file_it_wrote(built_dist: Path) -> None:
    """``.dawgwasm-build`` names the tool and its format and lists every
    file of the build with its size and SHA-256."""
    marker = json.loads((built_dist / ".dawgwasm-build").read_text())
    assert marker["tool"] == "dawgwasm"
    assert marker["format"] == 1
    assert marker["kind"] == "build"
    assert marker["dawgwasm_version"] == dawgwasm.__version__
    assert marker["abi_version"] == dawgwasm._abi.ABI_VERSION
    for rel, meta in marker["files"].items():
        data = (built_dist / rel).read_bytes()
        assert meta == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, rel
    assert_complete_build(built_dist)


def test_built_in_samples_and_the_reference_session(built_dist: Path) -> None:
    """The browser loads sessions from these: every built-in sample at 48 kHz
    as planar little-endian float32, equal to what Python synthesises, and
    the reference session document."""
    import numpy as np

    from dawgwasm._reference import reference_session
    from dawgwasm._samples import SAMPLES

    index = json.loads((built_dist / "samples" / "index.json").read_text())
    assert list(index) == list(SAMPLES)
    for name, make in SAMPLES.items():
        want = make(48000.0)
        assert index[name] == {
            "channels": want.shape[0],
            "frames": want.shape[1],
            "sample_rate_hz": 48000.0,
        }
        got = np.fromfile(built_dist / "samples" / f"{name}.f32", "<f4").reshape(want.shape)
        assert np.array_equal(got, want), name
    doc = json.loads((built_dist / "reference-session.json").read_text())
    assert doc == reference_session()


def test_no_temporary_folders_left(built_dist: Path) -> None:
    leftovers = [p.name for p in built_dist.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def broken_crate(tmp_path: Path) -> Path:
    crate = tmp_path / "crate"
    shutil.copytree(_paths.crate_dir(), crate, ignore=shutil.ignore_patterns("target"))
    lib = crate / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\nfn broken( {\n")
    return crate


def test_broken_crate_leaves_previous_output_intact(built_dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    before = snapshot(out)
    with pytest.raises(
        BuildError, match=r"(?s)cargo build \(wasm simd\) failed.*unclosed delimiter"
    ):
        dawgwasm.build(out, crate=broken_crate(tmp_path))
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_broken_template_leaves_previous_output_intact(
    built_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    before = snapshot(out)
    templates = tmp_path / "templates"
    shutil.copytree(_paths.templates_dir(), templates)
    (templates / "engine.js.j2").write_text(
        "export const X = {{ manifest.no_such_field | tojson }};\n"
    )
    monkeypatch.setattr(_paths, "templates_dir", lambda: templates)
    with pytest.raises(BuildError, match=r"(?s)template engine\.js\.j2 failed.*no_such_field"):
        dawgwasm.build(out)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_toolchain_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAWGWASM_RUSTC", str(tmp_path / "no-rustc"))
    with pytest.raises(ToolchainMissingError) as info:
        find_rust_toolchain()
    message = str(info.value)
    assert "rustup target add wasm32-unknown-unknown" in message
    assert "apt-get install rustc cargo libstd-rust-dev-wasm32 lld" in message


def fake_toolchain(tmp_path: Path, *, wasm_std: bool) -> Path:
    """A rustc (and cargo) that only answers `-vV` and `--print sysroot`, with
    a sysroot holding the wasm32 std or not, and no rust-lld anywhere."""
    rustc = tmp_path / "bin" / "rustc"
    rustc.parent.mkdir()
    sysroot = tmp_path / "sysroot"
    lib = sysroot / "lib" / "rustlib" / "wasm32-unknown-unknown" / "lib"
    lib.mkdir(parents=True)
    if wasm_std:
        (lib / "libstd-0123.rlib").write_bytes(b"")
    rustc.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-vV" ]; then echo "rustc 1.80.0 (x 2024-01-01)"; '
        'echo "host: x86_64-unknown-linux-gnu"; '
        f'else echo "{sysroot}"; fi\n'
    )
    (rustc.parent / "cargo").write_text("#!/bin/sh\nexit 1\n")
    for tool in rustc.parent.iterdir():
        tool.chmod(0o755)
    return rustc


def test_toolchain_without_wasm_std_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rustc whose sysroot lacks the wasm32 std (rustup's, before `rustup
    target add`) is reported with the reason, not used."""
    monkeypatch.setenv("DAWGWASM_RUSTC", str(fake_toolchain(tmp_path, wasm_std=False)))
    with pytest.raises(ToolchainMissingError, match=r"no wasm32-unknown-unknown standard library"):
        find_rust_toolchain()


def test_readers_never_see_the_output_missing_during_a_rebuild(
    built_dist: Path, tmp_path: Path
) -> None:
    """The new build replaces the old in one atomic exchange: a reader polling
    manifest.json throughout several rebuilds always finds one."""
    import threading

    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)
    missing = 0
    reads = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal missing, reads
        while not stop.is_set():
            reads += 1
            if not (out / "manifest.json").is_file():
                missing += 1

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for _ in range(3):
            dawgwasm.build(out)
    finally:
        stop.set()
        reader.join()
    assert reads > 100
    assert missing == 0


def test_toolchain_without_a_wasm_linker_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's rust-lld is a link to lld: without lld installed, wasm32
    cannot link, and discovery says so instead of letting cargo fail."""
    rustc = fake_toolchain(tmp_path, wasm_std=True)
    monkeypatch.setenv("DAWGWASM_RUSTC", str(rustc))
    monkeypatch.setenv("PATH", str(rustc.parent))
    with pytest.raises(ToolchainMissingError, match=r"no wasm linker.*`lld`"):
        find_rust_toolchain()
