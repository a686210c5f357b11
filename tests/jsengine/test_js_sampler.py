"""The JavaScript sampler and sample bank (web/static/dawg-js-sampler.js,
dawg-js-bank.js) under real node, against the reference model that tests
the Rust sampler and against the Rust engine's output of the same notes.

Against the model (tests/models/sampler.py): the Rust sampler's tolerances,
TOL (1e-6 per sounding voice) where a voice copies its sample and
TOL_RESAMPLED (1e-5) where it resamples, and bit-exact copies where the Rust
promises them. The JS builds the same kernel table and half-band pyramid,
bit for bit, with the same f64 operations in the same order.

Against the engine: a one-track engine with a flat strip, unity fader and
centre pan passes the sampler's output through unchanged. The JS sampler
rounds every per-frame operation to f32 as the Rust does and keeps the
32.32 read position as exact integers, so its output is the Rust sampler's
bit for bit; the one inexact step is the output gain 10^(dB/20), which the
Rust takes from the platform's powf: at 0 dB both are exactly 1, and
otherwise the two agree within 1 ulp of f32 (asserted: 2e-7 of the peak).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from dawgwasm import Engine
from tests.dsp.test_sampler import (
    ONSET,
    SCENARIO,
    SCENARIO_PARAMS,
    TOL,
    TOL_RESAMPLED,
    noise,
    tone,
)
from tests.jsengine.node_sources import (
    JS_EVENT_ALLOWANCE_BYTES,
    Sample,
    SourceEvent,
    allocations_while_rendering,
    render_engine_source,
    render_js_source,
    source_param_names,
)
from tests.jsengine.node_units import STATIC, JsRun, node_binary
from tests.models.sampler import play_voice, steps

F32 = npt.NDArray[np.float32]
MakeEngine = Callable[..., Engine]

SR = 48000.0
FADE = steps(2.0, SR)  # steal and choke fades: 96 frames


@pytest.fixture(scope="module")
def names(built_dist: Path) -> list[str]:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    return source_param_names(manifest, "sampler")


def js(
    names: list[str],
    params: Mapping[str, float],
    events: Sequence[SourceEvent],
    frames: int,
    samples: Sequence[Sample],
    **kw: Any,
) -> F32:
    return render_js_source("sampler", names, params, events, frames, samples=samples, **kw).output


def run_node_module(script: str) -> Any:
    """Run ``script`` as an ES module from web/static under node; its JSON stdout."""
    proc = subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        cwd=STATIC,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def probe_after(run: JsRun, name: str, frame: int) -> Any:
    """Probe ``name``'s result after the block that rendered ``frame``."""
    for (a, b), value in zip(run.blocks, run.probes[name], strict=True):
        if a <= frame < b:
            return value
    raise AssertionError(f"no block rendered frame {frame}")


def test_js_sampler_defaults_and_rows_match_the_manifest(built_dist: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    rows = sorted((p for p in manifest["params"] if p["owner"] == "sampler"), key=lambda p: p["id"])
    got = run_node_module(
        "import * as s from './dawg-js-sampler.js';"
        "import * as src from './dawg-js-sources.js';"
        "process.stdout.write(JSON.stringify({names: s.PARAM_NAMES, defaults: s.PARAM_DEFAULTS,"
        " kinds: src.SOURCE_KINDS, rows: src.SOURCE_PARAM_NAMES}));"
    )
    assert got["names"] == [p["name"] for p in rows]
    assert got["defaults"] == [float(np.float32(p["default"])) for p in rows]
    assert got["kinds"] == manifest["sources"]
    for kind, row_names in zip(got["kinds"], got["rows"], strict=True):
        assert row_names == source_param_names(manifest, kind)


# ---- against the reference model -------------------------------------------------


def test_js_sampler_root_note_plays_the_sample_bit_exactly(names: list[str]) -> None:
    x = noise(1, 2, 2000)
    start = 100
    left, right = js(names, {}, [(start, "on", 60, 1.0)], 2400, [(x, SR)])
    assert not left[:start].any() and not right[:start].any()
    body = slice(start + ONSET - 1, start + 2000)
    assert np.array_equal(left[body], x[0, ONSET - 1 :])
    assert np.array_equal(right[body], x[1, ONSET - 1 :])
    ml, mr = play_voice(x, SR, 2400, start=start)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL)
    assert not left[start + 2000 :].any()


@pytest.mark.parametrize(
    ("note", "root", "cents"),
    [(72, 60, 0.0), (67, 60, 0.0), (55, 60, 0.0), (64, 57, 50.0), (60, 60, -33.0)],
)
def test_js_sampler_pitch_matches_model(
    names: list[str], note: int, root: int, cents: float
) -> None:
    x = noise(3, 2, 1500)
    params = {"sampler_root_note": root, "sampler_tune_cents": cents}
    left, right = js(names, params, [(10, "on", note, 1.0)], 3000, [(x, SR)])
    ml, mr = play_voice(x, SR, 3000, start=10, note=note, root_note=root, tune_cents=cents)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL_RESAMPLED)


@pytest.mark.parametrize("sample_sr", [44100.0, 96000.0, 22050.0])
def test_js_sampler_resamples_other_sample_rates(names: list[str], sample_sr: float) -> None:
    frames = round(0.1 * sample_sr)
    x = tone(1000.0, sample_sr, frames)
    left, _ = js(names, {}, [(0, "on", 60, 1.0)], 6000, [(x, sample_sr)])
    ml, _ = play_voice(x, sample_sr, 6000)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    assert abs(np.flatnonzero(left)[-1] + 1 - 0.1 * SR) <= 1


def test_js_sampler_envelope_velocity_and_gain_match_model(names: list[str]) -> None:
    x = noise(5, 2, 8000)
    params = {
        "sampler_mode": 1,
        "sampler_release_ms": 20,
        "sampler_attack_ms": 5,
        "sampler_gain_db": -6,
    }
    notes: list[SourceEvent] = [(50, "on", 60, 0.8), (2000, "off", 60, 0.0)]
    left, right = js(names, params, notes, 5000, [(x, SR)])
    ml, mr = play_voice(
        x,
        SR,
        5000,
        start=50,
        velocity=0.8,
        attack_ms=5,
        release_ms=20,
        gain_db=-6,
        note_off=2000,
    )
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL)
    assert not left[2000 + steps(20, SR) - 1 :].any()


def test_js_sampler_32_voices_match_model(names: list[str]) -> None:
    x = noise(7, 1, 800, peak=0.5)
    notes: list[SourceEvent] = [(0, "on", 40 + k, 1.0) for k in range(32)]
    left, right = js(names, {}, notes, 2400, [(x, SR)])
    want = sum(play_voice(x, SR, 2400, note=40 + k)[0] for k in range(32))
    np.testing.assert_allclose(left, want, rtol=0, atol=32 * TOL_RESAMPLED)
    assert np.array_equal(left, right)


def test_js_sampler_sanitises_sample_data(names: list[str]) -> None:
    x = noise(9, 2, 1000)
    bad = x.copy()
    bad[0, 100], bad[0, 200], bad[1, 300], bad[1, 400] = np.nan, np.inf, -np.inf, 1e-40
    left, right = js(names, {}, [(0, "on", 67, 1.0)], 1000, [(bad, SR)])
    assert np.all(np.isfinite(left)) and np.all(np.isfinite(right))
    clean = x.copy()
    clean[0, 100] = clean[0, 200] = clean[1, 300] = clean[1, 400] = 0.0
    ml, mr = play_voice(clean, SR, 1000, note=67)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL_RESAMPLED)


# ---- against the engine --------------------------------------------------------

KIT: list[tuple[int, int, int]] = [(11, 2, 3000), (12, 1, 2500), (13, 2, 400)]

ENGINE_CASES: list[tuple[str, dict[str, float], list[SourceEvent]]] = [
    ("scenario", SCENARIO_PARAMS, SCENARIO),
    (
        "steal",
        {},
        [*[(k, "on", 40 + k, 1.0 - 0.01 * k) for k in range(32)], (1000, "on", 90, 0.7)],
    ),
    (
        # 70 notes 1 frame apart: more steals in one fade than spare slots.
        "cut",
        {"sampler_sample": 1},
        [(k, "on", 30 + k % 60, 0.5 + 0.005 * k) for k in range(70)],
    ),
    (
        "choke",
        {"sampler_choke": 1, "sampler_sample": 2},
        [(0, "on", 60, 1.0), (150, "on", 62, 0.8), (151, "on", 64, 0.6), (700, "on", 48, 1.0)],
    ),
    (
        "changes",
        {"sampler_mode": 1, "sampler_tune_cents": -7},
        [
            (5, "on", 60, 1.0),
            (300, "set", "sampler_sample", 1),
            (310, "set", "sampler_root_note", 48),
            (320, "on", 61, 0.9),
            (400, "set", "sampler_attack_ms", 12.5),
            (410, "set", "sampler_gain_db", -9),
            (420, "on", 70, 0.4),
            (500, "set", "sampler_mode", 0),
            (510, "set", "sampler_release_ms", 3),
            (520, "on", 50, 0.8),
            (900, "off", 61, 0.0),
            (901, "off", 50, 0.0),
            (1200, "set", "sampler_sample", 7),  # no such sample: silence
            (1210, "on", 65, 1.0),
            (1500, "all_off"),
            (1600, "set", "sampler_gain_db", 0),
        ],
    ),
    (
        # Every pyramid level a 3000-frame stereo sample has, kernels
        # stretched and not, from five octaves down to the top note.
        "octaves",
        {"sampler_tune_cents": 650},
        [(k * 20, "on", n, 0.9) for k, n in enumerate((0, 24, 53, 60, 66, 79, 91, 103, 115, 127))],
    ),
]


def kit() -> list[Sample]:
    return [(noise(seed, ch, n), 44100.0 if ch == 2 else SR) for seed, ch, n in KIT]


@pytest.mark.parametrize(
    ("params", "events"), [c[1:] for c in ENGINE_CASES], ids=[c[0] for c in ENGINE_CASES]
)
def test_js_sampler_agrees_with_the_wasm_engine(
    names: list[str],
    make_engine: MakeEngine,
    params: dict[str, float],
    events: list[SourceEvent],
) -> None:
    frames = 4000
    samples = kit()
    got = js(names, params, events, frames, samples)
    want = render_engine_source(make_engine, "sampler", params, events, frames, samples=samples)
    peak = np.abs(want).max()
    assert peak > 0.1
    assert np.array_equal(got == 0.0, want == 0.0)
    if all(ev[2] != "sampler_gain_db" for ev in events if ev[1] == "set") and not params.get(
        "sampler_gain_db"
    ):
        assert np.array_equal(got, want)
    else:
        assert np.abs(got - want).max() <= 2e-7 * peak


def test_js_sampler_output_does_not_depend_on_the_block_split(names: list[str]) -> None:
    params, events = ENGINE_CASES[4][1], ENGINE_CASES[4][2]
    samples = kit()
    ref = js(names, params, events, 4000, samples)
    assert np.abs(ref).max() > 0.1
    for blocks, max_block in [((1,), 128), ((7, 64, 333), 128), ((4096,), 4096), ((48,), 16)]:
        got = js(names, params, events, 4000, samples, blocks=blocks, max_block_frames=max_block)
        assert np.array_equal(got, ref), blocks


def test_js_sampler_reset_starts_over_like_a_new_sampler(names: list[str]) -> None:
    params, events = SCENARIO_PARAMS, SCENARIO
    samples = kit()
    at = 1777
    fresh = js(names, params, events, 4000, samples)
    replay = [(f + at, *rest) for f, *rest in events]
    before = [ev for ev in events if ev[0] < at]
    got = js(names, params, [*before, (at, "reset"), *replay], at + 4000, samples)
    assert np.array_equal(got[:, at:], fresh)
    assert np.any(got[:, at - 50 : at] != 0.0)


def test_js_sampler_release_ends_on_exact_zero_and_goes_quiet(names: list[str]) -> None:
    x = np.full((1, 20000), 0.5, np.float32)
    params = {"sampler_mode": 1, "sampler_release_ms": 10}
    notes: list[SourceEvent] = [(0, "on", 60, 1.0), (0, "on", 64, 1.0), (1000, "off", 60, 0.0)]
    notes.append((1000, "off", 64, 0.0))
    run = render_js_source(
        "sampler",
        names,
        params,
        notes,
        3000,
        samples=[(x, SR)],
        blocks=(32,),
        probes=("isQuiet", "activeVoices"),
    )
    left = run.output[0]
    end = 1000 + steps(10, SR) - 1  # the last release frame is the first exact zero
    assert np.all(left[1000:end] > 0.0)
    assert np.all(left[end:] == 0.0)
    assert probe_after(run, "activeVoices", 999) == 2
    assert probe_after(run, "isQuiet", end + 32) is True
    assert probe_after(run, "activeVoices", end + 32) == 0


def test_js_sampler_33rd_voice_steals_the_oldest(names: list[str]) -> None:
    x = np.full((1, 20000), 0.02, np.float32)
    notes: list[SourceEvent] = [(k, "on", 60, 1.0) for k in range(32)]
    notes.append((1000, "on", 60, 1.0))
    run = render_js_source(
        "sampler", names, {}, notes, 3000, samples=[(x, SR)], blocks=(16,), probes=("activeVoices",)
    )
    left = run.output[0]
    assert probe_after(run, "activeVoices", 999) == 32
    assert probe_after(run, "activeVoices", 1000) == 33
    assert probe_after(run, "activeVoices", 1000 + FADE + 16) == 32
    assert np.allclose(left[100:1000], 32 * 0.02, atol=1e-5)
    assert np.allclose(left[1000 + FADE :], 32 * 0.02, atol=1e-5)
    hand = left[1000 : 1000 + FADE]
    assert hand.min() > 31 * 0.02 and hand.max() < 33 * 0.02


def test_js_sampler_choke_cuts_the_previous_note_with_a_short_fade(names: list[str]) -> None:
    x = np.full((1, 20000), 0.5, np.float32)
    notes: list[SourceEvent] = [(0, "on", 60, 1.0), (1000, "on", 60, 1.0)]
    ringing = js(names, {}, notes, 3000, [(x, SR)])[0]
    run = render_js_source(
        "sampler",
        names,
        {"sampler_choke": 1},
        notes,
        3000,
        samples=[(x, SR)],
        blocks=(16,),
        probes=("activeVoices",),
    )
    choked = run.output[0]
    assert np.all(ringing[1100:] == 1.0)
    assert np.all(choked[1100:] == 0.5)
    assert np.abs(np.diff(choked)).max() < 0.03
    assert probe_after(run, "activeVoices", 1000) == 2
    assert probe_after(run, "activeVoices", 1000 + FADE + 16) == 1


def test_js_sampler_ignores_bad_values_and_notes(names: list[str]) -> None:
    out = run_node_module(
        "import { Sampler } from './dawg-js-sampler.js';"
        "import { SampleBank } from './dawg-js-bank.js';"
        "const bank = new SampleBank(); const id = bank.add(500, 1, 48000);"
        "bank.dataFor(id).fill(0.25); bank.commit(id);"
        "function play(hostile) {"
        "  const s = new Sampler(48000, 128);"
        "  if (hostile) { s.set(99, 1); s.set(-1, 1); s.set(6, NaN); s.set(1, Infinity);"
        "    s.noteOn(128, 1); s.noteOn(200, 1); }"
        "  s.set(3, 1);"
        "  const l = new Float32Array(1024), r = new Float32Array(1024);"
        "  s.noteOn(60, hostile ? 7 : 1); s.render(bank, l, r, 0, 300);"
        "  if (hostile) { s.noteOn(60, NaN); } else { s.noteOff(60); }"
        "  s.render(bank, l, r, 300, 1024);"
        "  return {l: Array.from(l), get99: s.get(99), root: s.get(1)}; }"
        "const a = play(false), b = play(true);"
        "const errors = [];"
        "for (const args of [[NaN, 128], [7999, 128], [400000, 128], [48000, 0]]) {"
        "  try { new Sampler(...args); errors.push(null); } catch (e) {"
        "    errors.push(e instanceof RangeError ? e.message : String(e)); } }"
        "process.stdout.write(JSON.stringify({same: a.l.every((v, i) => v === b.l[i]),"
        " sounding: a.l.some((v) => v !== 0), ends: a.l[1023] === 0,"
        " get99: b.get99, root: b.root, errors}));"
    )
    # Unknown rows, non-finite values and notes above 127 are ignored,
    # velocity clamps to 1, velocity NaN releases.
    assert out["same"] and out["sounding"] and out["ends"]
    assert out["get99"] == 0.0
    assert out["root"] == 60.0
    assert all(
        isinstance(m, str) and ("sample rate" in m or "block size" in m) for m in out["errors"]
    )


# ---- the bank and the pitch arithmetic ------------------------------------------


def test_js_bank_adds_fills_and_refuses_like_the_rust_bank(built_dist: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    out = run_node_module(
        "import * as b from './dawg-js-bank.js';"
        "const bank = new b.SampleBank();"
        "const ids = [bank.add(10, 2, 44100), bank.add(5, 1, 48000)];"
        "const d = bank.dataFor(0); const zeroed = d.every((v) => v === 0);"
        "d.set([NaN, 0.5, Infinity, -Infinity, 1e-40, -0.25, 1e-21, -1e-19, 3, 4]);"
        "const commit = [bank.commit(0), bank.commit(2), bank.commit(-1)];"
        "const refused = [bank.add(10, 0, 48000), bank.add(10, 3, 48000), bank.add(0, 1, 48000),"
        "  bank.add(10, 1, NaN), bank.add(10, 1, 999), bank.add(10, 1, 768001),"
        "  bank.add(2 ** 24 + 1, 1, 48000), bank.add(10, 1, Infinity)];"
        "const full = new b.SampleBank(); full.totalFrames = b.MAX_TOTAL_FRAMES - 10;"
        "const nearly = [full.add(11, 1, 48000), full.add(10, 2, 48000), full.add(1, 1, 48000)];"
        "const many = new b.SampleBank(); let last = 0;"
        "for (let i = 0; i < b.MAX_SAMPLES; i++) { last = many.add(1, 1, 48000); }"
        "process.stdout.write(JSON.stringify({ids, zeroed, len: bank.length,"
        " total: bank.totalFrames, sizes: [bank.dataFor(0).length, bank.dataFor(1).length],"
        " data: Array.from(d), commit, refused, nearly, last, over: many.add(1, 1, 48000),"
        " unknown: [bank.dataFor(2), bank.dataFor(-1), bank.dataFor(0.5)],"
        " codes: [b.BANK_ERR_BAD_SAMPLE, b.BANK_ERR_NO_MEMORY, b.BANK_OK]}));"
    )
    assert out["ids"] == [0, 1]
    assert out["zeroed"] and out["len"] == 2 and out["total"] == 15
    assert out["sizes"] == [20, 5]
    kept = float(np.float32(-1e-19))  # above the 1e-20 flush threshold
    assert out["data"] == [0.0, 0.5, 0.0, 0.0, 0.0, -0.25, 0.0, kept, 3.0, 4.0] + [0.0] * 10
    bad, no_memory, ok = out["codes"]
    assert out["commit"] == [ok, bad, bad]
    assert out["refused"] == [bad] * 8
    assert out["nearly"] == [bad, 0, bad]
    assert out["last"] == 255 and out["over"] == bad
    assert out["unknown"] == [None, None, None]
    # The statuses are the ABI's, as the manifest describes them.
    assert "bad sample" in manifest["status"][str(bad)]
    assert "memory" in manifest["status"][str(no_memory)]
    assert ok == 0 and manifest["status"]["0"] == "ok"


def test_js_cents_ratio_and_increment_are_exact_where_the_rust_is() -> None:
    out = run_node_module(
        "import { centsRatio, positionIncrement } from './dawg-js-sampler.js';"
        "const cents = []; for (let i = 0; i < 6567; i++) cents.push(-24000 + 7.31 * i);"
        "const octaves = []; for (let k = -20; k <= 20; k++) octaves.push(centsRatio(1200 * k));"
        "const semis = []; for (let k = 0; k < 12; k++) semis.push(centsRatio(100 * k));"
        "process.stdout.write(JSON.stringify({cents, r: cents.map(centsRatio), octaves, semis,"
        " nan: centsRatio(NaN), inc: [positionIncrement(1, 48000, 48000),"
        " positionIncrement(2, 48000, 48000), positionIncrement(1, 44100, 48000),"
        " positionIncrement(1e9, 48000, 48000), positionIncrement(0, 48000, 48000)]}));"
    )
    assert len(out["cents"]) == 6567
    for c, r in zip(out["cents"], out["r"], strict=True):
        want = 2.0 ** (c / 1200)
        assert abs(r / want - 1) < 4e-16 + abs(c / 1200) * 1.2e-16, c
    assert out["octaves"] == [2.0**k for k in range(-20, 21)]
    assert out["semis"][0] == 1.0 and out["semis"][6] == 2**0.5
    for k, r in enumerate(out["semis"]):
        assert abs(r - 2 ** (k / 12)) <= 2.3e-16 * r
    assert out["nan"] == 1.0
    one = 1 << 32
    want = [one, 2 * one, int(44100 / 48000 * one + 0.5), 2**24 * one, 1]
    # JSON prints 2^56 in its shortest form: compare as doubles (exact here).
    assert [float(v) for v in out["inc"]] == [float(v) for v in want]


def test_js_sampler_agrees_with_every_runtime(
    names: list[str], make_engine: MakeEngine, runtime: str
) -> None:
    samples = kit()
    got = js(names, SCENARIO_PARAMS, SCENARIO, 4000, samples)
    want = render_engine_source(
        make_engine, "sampler", SCENARIO_PARAMS, SCENARIO, 4000, samples=samples, runtime=runtime
    )
    assert np.array_equal(got == 0.0, want == 0.0)
    assert np.abs(got - want).max() <= 2e-7 * np.abs(want).max()


@pytest.mark.parametrize("frame", [0, 1, 127, 128, 129, 1000])
def test_js_sampler_note_starts_at_its_frame(names: list[str], frame: int) -> None:
    x = np.full((1, 500), 0.5, np.float32)
    left, right = js(names, {}, [(frame, "on", 60, 1.0)], 1600, [(x, SR)], blocks=(100,))
    assert not left[:frame].any()
    # The first onset frame, as the Rust computes it in f32: target - step * remaining.
    step = np.float32(1.0) / np.float32(ONSET)
    assert left[frame] == (np.float32(1.0) - step * np.float32(ONSET - 1)) * np.float32(0.5)
    assert left[frame + ONSET - 1] == 0.5
    assert np.array_equal(left, right)


def test_js_sampler_renders_and_plays_notes_without_allocating() -> None:
    # Once warm (optimised), rendering allocates nothing and note-ons,
    # note-offs and parameter changes no more than JS_EVENT_ALLOWANCE_BYTES
    # an event on average (measured with V8's sampling heap profiler).
    events, allocated, worst = allocations_while_rendering("sampler", warm_up=20000, quanta=40000)
    assert events > 1000
    per_event = allocated / events
    print(f"sampler: {per_event:.0f} B per event")
    assert per_event <= JS_EVENT_ALLOWANCE_BYTES, f"{per_event:.0f} B per event:\n{worst}"
