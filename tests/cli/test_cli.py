"""The command line: every --help is snapshot-tested (CL4); usage errors exit
2 (CL3); dawgwasm errors exit 1 with one clear line (CL1); `render` and the
main job (`demo`) work end to end on the real build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from dawgwasm.cli import cli
from tests.agreement import JS_AGREE_DB, below_signal_db
from tests.snapshots.test_generated_files import check_snapshot

DAWGWASM = str(Path(sys.executable).with_name("dawgwasm"))


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DAWGWASM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "command", ["", "bench", "build", "profile", "render", "session", "serve", "demo", "doctor"]
)
def test_help_matches_snapshot(command: str) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(cli, args, prog_name="dawgwasm", terminal_width=88)
    assert result.exit_code == 0, result.output
    check_snapshot(f"help-{command or 'dawgwasm'}.txt", result.output)


def test_unknown_option_is_a_usage_error() -> None:
    proc = run("build", "--frobnicate")
    assert proc.returncode == 2
    assert "No such option '--frobnicate'" in proc.stderr


def write_wav(path: Path, frames: int = 4800, rate: int = 44100) -> np.ndarray:
    x = (np.random.default_rng(8).uniform(-0.5, 0.5, (frames, 2))).astype(np.float32)
    sf.write(str(path), x, rate, subtype="FLOAT")
    return x


def render_file(src: Path, dist: Path, *params: str) -> subprocess.CompletedProcess[str]:
    """`dawgwasm render SRC out.wav --dist DIST --param P ...`, out.wav next to SRC."""
    flags = [arg for p in params for arg in ("--param", p)]
    return run("render", str(src), str(src.parent / "out.wav"), "--dist", str(dist), *flags)


def test_render_applies_parameters(built_dist: Path, tmp_path: Path) -> None:
    x = write_wav(tmp_path / "in.wav")
    proc = render_file(tmp_path / "in.wav", built_dist, "gain_db=-6", "master_gain_db=-6")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    y, rate = sf.read(str(tmp_path / "out.wav"), dtype="float32")
    assert rate == 44100 and y.shape == x.shape
    assert np.max(np.abs(y - x * 10 ** (-12 / 20))) < 1e-6


def test_render_of_a_mono_file_gives_stereo(built_dist: Path, tmp_path: Path) -> None:
    sf.write(str(tmp_path / "mono.wav"), np.full(1000, 0.25, np.float32), 48000, subtype="FLOAT")
    proc = render_file(tmp_path / "mono.wav", built_dist, "pan=-1")
    assert proc.returncode == 0, proc.stderr
    y, _ = sf.read(str(tmp_path / "out.wav"), dtype="float32")
    assert np.allclose(y[:, 0], 0.5) and np.all(y[:, 1] == 0.0)


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("gain_db=99", "error: gain_db = 99 is out of range; legal values are -96 to 12 dB"),
        ("gain_db=nan", "error: gain_db = NaN is not a finite number"),
        ("volume=1", "error: unknown parameter 'volume'; known parameters: low_hz"),
        ("mute=0.5", "error: mute = 0.5 must be a whole number"),
    ],
)
def test_render_rejects_bad_parameters(
    built_dist: Path, tmp_path: Path, param: str, message: str
) -> None:
    write_wav(tmp_path / "in.wav")
    proc = render_file(tmp_path / "in.wav", built_dist, param)
    assert proc.returncode == 1
    assert proc.stderr.startswith(message), proc.stderr
    assert not (tmp_path / "out.wav").exists()


def test_render_malformed_param_is_a_usage_error(built_dist: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "in.wav")
    proc = run("render", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--param", "gain_db")
    assert proc.returncode == 2
    assert "'gain_db' is not NAME=VALUE" in proc.stderr


def test_render_missing_input_and_missing_build(built_dist: Path, tmp_path: Path) -> None:
    proc = run(
        "render", str(tmp_path / "nope.wav"), str(tmp_path / "out.wav"), "--dist", str(built_dist)
    )
    assert proc.returncode == 1 and "nope.wav not found" in proc.stderr
    write_wav(tmp_path / "in.wav")
    proc = render_file(tmp_path / "in.wav", tmp_path / "no-dist")
    assert proc.returncode == 1 and "run `dawgwasm build" in proc.stderr


def test_render_keeps_previous_output_when_it_fails(built_dist: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "in.wav")
    (tmp_path / "out.wav").write_bytes(b"previous")
    proc = render_file(tmp_path / "in.wav", built_dist, "pan=5")
    assert proc.returncode == 1
    assert (tmp_path / "out.wav").read_bytes() == b"previous"


def test_list_params_prints_the_table(built_dist: Path, tmp_path: Path) -> None:
    proc = run("render", "--dist", str(built_dist), "--list-params")
    assert proc.returncode == 0, proc.stderr
    assert "gain_db" in proc.stdout and "-96 to 12 dB" in proc.stdout


def test_build_without_toolchain_fails_cleanly(built_dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built_dist, out)

    def files() -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    before = files()
    proc = run("build", "--out", str(out), env={"DAWGWASM_RUSTC": str(tmp_path / "none")})
    assert proc.returncode == 1
    assert "rustup target add wasm32-unknown-unknown" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert files() == before


def test_doctor_reports_the_toolchain_and_browser() -> None:
    proc = run("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for needle in ("rustc", "cargo", "wasm32-unknown-unknown std", "chromium", "node"):
        assert needle in proc.stdout
    assert "missing" not in proc.stdout


def test_doctor_without_toolchain_exits_1(tmp_path: Path) -> None:
    proc = run("doctor", env={"DAWGWASM_RUSTC": str(tmp_path / "none")})
    assert proc.returncode == 1
    assert "missing" in proc.stdout
    assert "to fix:" in proc.stderr


def test_demo_main_job_measures_and_writes(built_dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.wav"
    proc = run(
        "demo", "--dist", str(built_dist), "--out", str(out), "--seconds", "1", "--repeat", "2"
    )
    assert proc.returncode == 0, proc.stderr
    for needle in (
        "reference session: 20 tracks",
        "wasmtime simd",
        "native",
        "js under node",
        "idle/active",
    ):
        assert needle in proc.stdout
    results = json.loads(out.with_suffix(".json").read_text())
    assert set(results["runtimes"]) == {
        "wasmtime simd",
        "wasmtime scalar",
        "native",
        "js under node",
    }
    assert results["session"]["name"] == "reference" and len(results["session"]["tracks"]) == 20
    for name, r in results["runtimes"].items():
        assert len(r["samples_ms"]) == 2 and all(s > 0 for s in r["samples_ms"])
        # The JavaScript engine computes in f64 where the Rust rounds to f32.
        assert r["max_abs_diff_to_baseline"] <= (1e-3 if name == "js under node" else 1e-6)
        cost = r["track_cost_ns_per_track_sample"]
        assert cost["active"] > 0 and 0 <= cost["idle"] < cost["active"]
    audio, rate = sf.read(str(out), dtype="float32")
    assert rate == 48000 and audio.shape == (48000, 2)
    assert 0.05 < np.max(np.abs(audio)) <= 1.0


def test_render_without_files_is_a_usage_error(built_dist: Path) -> None:
    proc = run("render", "--dist", str(built_dist))
    assert proc.returncode == 2
    assert "render needs IN and OUT" in proc.stderr


def test_bad_subtype_is_refused_before_rendering(built_dist: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "in.wav")
    proc = run("render", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--subtype", "BOGUS")
    assert proc.returncode == 2
    assert "'BOGUS' is not one of" in proc.stderr


def test_unwritable_output_is_one_line_not_a_traceback(built_dist: Path, tmp_path: Path) -> None:
    write_wav(tmp_path / "in.wav")
    (tmp_path / "afile").write_text("x")
    proc = render_file(tmp_path / "in.wav", built_dist)
    assert proc.returncode == 0
    proc = run(
        "render",
        str(tmp_path / "in.wav"),
        str(tmp_path / "afile" / "out.wav"),
        "--dist",
        str(built_dist),
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: cannot write")
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_session_render_end_to_end(built_dist: Path, tmp_path: Path) -> None:
    ref = tmp_path / "ref.json"
    proc = run("session", str(ref), "--write-reference")
    assert proc.returncode == 0, proc.stderr
    proc = run("session", str(ref), "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    assert "valid session 'reference': 20 tracks, 2 buses, 90 BPM" in proc.stdout
    out = tmp_path / "ref.wav"
    proc = run("render", str(ref), str(out), "--seconds", "1.5", "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    audio, rate = sf.read(str(out), dtype="float32")
    assert rate == 48000 and audio.shape == (72000, 2)
    assert 0.05 < np.max(np.abs(audio)) <= 10 ** (-0.3 / 20)


def test_render_runs_the_javascript_engine_with_variant_js(
    built_dist: Path, tmp_path: Path
) -> None:
    ref = tmp_path / "ref.json"
    assert run("session", str(ref), "--write-reference").returncode == 0
    audio = {}
    for variant in ("simd", "js"):
        out = tmp_path / f"{variant}.wav"
        proc = run(
            "render",
            str(ref),
            str(out),
            "--seconds",
            "1",
            "--dist",
            str(built_dist),
            "--variant",
            variant,
        )
        assert proc.returncode == 0, proc.stderr
        audio[variant], rate = sf.read(str(out), dtype="float32")
        assert rate == 48000 and audio[variant].shape == (48000, 2)
    assert below_signal_db(audio["simd"], audio["js"]) >= JS_AGREE_DB


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{", "is not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        (
            '{"format": "dawgwasm-session", "version": 1, "tracks": [{"gain_db": 99}]}',
            "$.tracks[0].gain_db: gain_db = 99 is out of range; legal values are -96 to 12 dB",
        ),
        (
            '{"format": "dawgwasm-session", "version": 1, '
            '"tracks": [{"inserts": [{"unit": "x"}]}]}',
            '$.tracks[0].inserts[0].unit: "x" is not an effect unit; allowed: peq, compressor',
        ),
    ],
)
def test_a_bad_session_is_one_line_naming_its_json_path(
    built_dist: Path, tmp_path: Path, text: str, needle: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.wav"
    for args in (("session", str(path)), ("render", str(path), str(out))):
        proc = run(*args, "--dist", str(built_dist))
        assert proc.returncode == 1, proc.stdout
        assert needle in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
