"""Sessions: validation errors name the JSON path and what is allowed; the
reference session renders the same on every runtime, at every quantum and
after a reset; its master limiter holds the ceiling; random sessions
(Hypothesis) render finite, bounded and deterministic output.

Tolerance between runtimes: the DSP uses no libm per sample and no fused
multiply-add, so wasm SIMD, wasm scalar and native agree to 1e-6 (they are
expected to be bit-identical; 1e-6 leaves room for a control-rate libm call
differing by an ulp). The JavaScript engine computes in f64 where the Rust
computes in f32: it agrees within JS_AGREE_DB below the signal, and on its
own it is as exact as the others (quantum, reset).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dawgwasm import Engine, SessionError
from dawgwasm._reference import reference_session
from dawgwasm._session import apply_session, parse_session, render_session
from tests.agreement import JS_AGREE_DB, below_signal_db

RATE = 48000.0


def _engine_for(
    make_engine, runtime: str, doc: dict[str, Any], quantum: int = 128
) -> tuple[Engine, Any]:
    e = make_engine(
        runtime,
        sample_rate_hz=RATE,
        tracks=max(1, len(doc["tracks"])),
        quantum_frames=quantum,
        max_quanta=max(1, 8192 // quantum),
    )
    s = parse_session(doc, e.params, e.units, e.sources)
    apply_session(s, e)
    return e, s


def _render(
    make_engine, runtime: str, doc: dict[str, Any], seconds: float, quantum: int = 128
) -> np.ndarray:
    e, s = _engine_for(make_engine, runtime, doc, quantum)
    return render_session(s, e, seconds)


BAD = [
    ({"format": "x"}, "$.format", "must be 'dawgwasm-session'"),
    ({"tracks": "no"}, "$.tracks", "must be a list"),
    (
        {"tempo_bpm": 1000},
        "$.tempo_bpm",
        "tempo_bpm = 1000 is out of range; legal values are 20 to 300 BPM",
    ),
    ({"colour": 1}, "$.colour", "unknown field; allowed fields are"),
    (
        {"tracks[5].inserts[0].unit": "delai"},
        "$.tracks[5].inserts[0].unit",
        '"delai" is not an effect unit',
    ),
    ({"tracks[0].gain_db": 40}, "$.tracks[0].gain_db", "legal values are -96 to 12 dB"),
    (
        {"tracks[0].source.type": "theremin"},
        "$.tracks[0].source.type",
        "is not a source; allowed: input",
    ),
    (
        {"tracks[9].pattern.notes[0].note": 128},
        "$.tracks[9].pattern.notes[0].note",
        "128 is out of range",
    ),
    ({"tracks[1].sends[0].bus": 5}, "$.tracks[1].sends[0].bus", "bus 5 is not defined"),
    (
        {"tracks[0].source.sample": "cowbell"},
        "$.tracks[0].source.sample",
        "is not a sample named in",
    ),
    ({"tracks[9].strip.gain_db": -3}, "$.tracks[9].strip.gain_db", "cannot be set here"),
    (
        {"tracks[0].inserts": [{"unit": "peq", "params": {"delay_mix": 1}}]},
        "$.tracks[0].inserts[0].params.delay_mix",
        "cannot be set here; peq parameters are peq_1_type",
    ),
    ({"buses": [{}] * 9}, "$.buses", "has 9 entries; at most 8"),
    (
        {"master.inserts[1].params.lim_ceiling_db": 3},
        "$.master.inserts[1].params.lim_ceiling_db",
        "out of range",
    ),
]


def _patch(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.replace("]", "").replace("[", ".").split(".")
    node: Any = doc
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node[p]
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


@pytest.mark.parametrize(("patch", "path", "message"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_field_is_reported_with_its_json_path(make_engine, patch, path, message) -> None:
    e = make_engine("native")
    doc = reference_session()
    for k, v in patch.items():
        _patch(doc, k, v)
    with pytest.raises(SessionError) as info:
        parse_session(doc, e.params, e.units, e.sources)
    assert info.value.path == path
    assert message in str(info.value)


def test_the_reference_session_is_the_documented_workload(make_engine) -> None:
    e = make_engine("native")
    s = parse_session(reference_session(), e.params, e.units, e.sources)
    assert len(s.tracks) == 20 and s.tempo_bpm == 90.0 and s.length_beats == 16
    sources = [t.source for t in s.tracks]
    assert sources.count("sampler") == 9 and sources.count("synth") == 10
    assert sources.count("input") == 1
    drums = [t for t in s.tracks[:8]]
    assert all(
        t.sample in {"kick", "snare", "closed_hat", "open_hat", "clap", "bass_808", "rim", "perc"}
        for t in drums
    )
    assert [b.name for b in s.buses] == ["Reverb", "Delay"]
    assert [i.unit for i in s.master_inserts][-1] == "limiter"
    assert all(any(t.sends for t in s.tracks if t.sends) for _ in (0,))
    # Rests: every note-playing track is silent for at least one whole beat.
    for t in s.tracks:
        if not t.notes:
            continue
        covered = np.zeros(16 * 8, bool)
        for n in t.notes:
            covered[int(n.beat * 8) : int((n.beat + n.length_beats) * 8) + 1] = True
        assert not covered.all(), f"{t.name} never rests"


@pytest.fixture(scope="module")
def reference_renders(built_dist: Path, native_lib: Path) -> dict[str, np.ndarray]:
    """One pass of the reference session on each runtime."""
    made: list[Engine] = []

    def make(rt: str, **cfg: Any) -> Engine:
        e = (
            Engine.native(native_lib, **cfg)
            if rt == "native"
            else Engine.from_dist(built_dist, rt, **cfg)  # type: ignore[arg-type]
        )
        made.append(e)
        return e

    out = {
        rt: _render(make, rt, reference_session(), None)
        for rt in ("simd", "scalar", "native", "js")
    }
    for e in made:
        e.close()
    return out


def test_the_reference_session_sounds(reference_renders) -> None:
    out = reference_renders["simd"]
    assert out.shape == (2, round(16 * 60 / 90 * RATE))
    assert np.all(np.isfinite(out))
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    assert 10 ** (-30 / 20) < rms < 1.0, f"RMS {20 * np.log10(rms):.1f} dBFS"
    assert not np.array_equal(out[0], out[1]), "the mix is not stereo"


def test_runtimes_agree_on_the_reference_session(reference_renders) -> None:
    for rt in ("scalar", "native"):
        diff = float(np.max(np.abs(reference_renders[rt] - reference_renders["simd"])))
        assert diff <= 1e-6, f"{rt} differs from simd by {diff:.3g}"
    db = below_signal_db(reference_renders["simd"], reference_renders["js"])
    assert db >= JS_AGREE_DB, f"js differs from simd by {db:.1f} dB below the signal"


def test_the_master_limiter_holds_its_ceiling(reference_renders) -> None:
    ceiling = 10 ** (-0.3 / 20)
    for rt, out in reference_renders.items():
        assert float(np.max(np.abs(out))) <= ceiling, rt


@pytest.mark.parametrize("runtime", ["native", "js"])
@pytest.mark.parametrize("quantum", [64, 512, 1024])
def test_the_session_render_does_not_depend_on_the_quantum(
    make_engine, reference_renders, quantum, runtime
) -> None:
    got = _render(make_engine, runtime, reference_session(), None, quantum)
    np.testing.assert_array_equal(got, reference_renders[runtime])


@pytest.mark.parametrize("runtime", ["native", "js"])
def test_reset_reproduces_the_session_render(make_engine, runtime) -> None:
    e, s = _engine_for(make_engine, runtime, reference_session())
    first = render_session(s, e, 3.0)
    e.reset()
    np.testing.assert_array_equal(render_session(s, e, 3.0), first)


def test_a_session_survives_a_json_round_trip(make_engine, tmp_path: Path) -> None:
    doc = reference_session()
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    again = json.loads(path.read_text(encoding="utf-8"))
    e = make_engine("native")
    assert parse_session(again, e.params, e.units, e.sources) == parse_session(
        doc, e.params, e.units, e.sources
    )


# ---- random sessions -----------------------------------------------------------


def _table(
    make_engine,
) -> tuple[list[str], list[str], dict[str, list[tuple[str, float, float, bool]]]]:
    e = make_engine("native")
    groups: dict[str, list[tuple[str, float, float, bool]]] = {}
    for spec in e.params.values():
        key = spec.owner or spec.scope
        groups.setdefault(key, []).append((spec.name, spec.min, spec.max, spec.stepped))
    return list(e.units), list(e.sources), groups


def _values(
    draw: st.DrawFn, rows: list[tuple[str, float, float, bool]], skip: tuple[str, ...] = ()
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, lo, hi, stepped in rows:
        if name.startswith(skip) or not draw(st.booleans()):
            continue
        out[name] = (
            float(draw(st.integers(int(lo), int(hi))))
            if stepped
            else draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
        )
    return out


@st.composite
def sessions(
    draw: st.DrawFn, units: list[str], sources: list[str], groups: dict[str, Any]
) -> dict[str, Any]:
    n_buses = draw(st.integers(0, 2))
    inserts = st.lists(st.sampled_from(units), max_size=2)
    tracks = []
    for _ in range(draw(st.integers(1, 4))):
        source = draw(st.sampled_from(sources))
        track: dict[str, Any] = {
            "source": {
                "type": source,
                "params": _values(draw, groups.get(source, []), ("sampler_sample",)),
            },
            "strip": _values(draw, groups["track"], ("send_", "solo")),
            "inserts": [{"unit": u, "params": _values(draw, groups[u])} for u in draw(inserts)],
            "sends": [
                {"bus": b, "level_db": draw(st.floats(-40, 0))}
                for b in range(n_buses)
                if draw(st.booleans())
            ],
            "pan": draw(st.floats(-1, 1)),
        }
        if source == "sampler":
            track["source"]["sample"] = draw(st.sampled_from(["kick", "snare", "keys"]))
        if source != "input":
            notes = draw(
                st.lists(
                    st.tuples(
                        st.floats(0, 3.9), st.integers(24, 100), st.floats(0, 1), st.floats(0.05, 2)
                    ),
                    max_size=8,
                )
            )
            track["pattern"] = {
                "length_beats": 4,
                "notes": [
                    {"beat": b, "note": n, "velocity": v, "length_beats": ln}
                    for b, n, v, ln in notes
                ],
            }
        tracks.append(track)
    return {
        "format": "dawgwasm-session",
        "version": 1,
        "tempo_bpm": draw(st.floats(60, 200)),
        "length_beats": 4,
        "samples": {name: {"builtin": name} for name in ("kick", "snare", "keys")},
        "tracks": tracks,
        "buses": [{"inserts": [{"unit": u} for u in draw(inserts)]} for _ in range(n_buses)],
        "master": {
            "inserts": [{"unit": u, "params": _values(draw, groups[u])} for u in draw(inserts)]
        },
    }


def test_random_sessions_render_finite_bounded_and_deterministic(make_engine) -> None:
    units, sources, groups = _table(make_engine)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(doc=sessions(units, sources, groups))
    def check(doc: dict[str, Any]) -> None:
        a = _render(make_engine, "native", copy.deepcopy(doc), 1.0)
        b = _render(make_engine, "native", copy.deepcopy(doc), 1.0)
        assert np.all(np.isfinite(a))
        np.testing.assert_array_equal(a, b)
        assert float(np.max(np.abs(a))) < 1e4

    check()
