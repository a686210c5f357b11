"""The sampler source plays bank samples as documented: the root note copies
the sample bit for bit, other notes and sample rates resample by the
playback rate through the band-limited (windowed-sinc) resampler, images and
aliases stay below -90 dB from 20 Hz to 20 kHz, the envelope, modes, voice
count, choke, timing and sanitising behave as specified, and the output does
not depend on the render quantum or the runtime.

Tolerances against the reference model (tests/models/sampler.py, float64,
the kernel and the half-band pyramid evaluated from their formulas):

* TOL = 1e-6 per sounding voice where the voice copies the sample (rate 1):
  the envelope ``target - step * remaining``, velocity and gain are a few
  float32 operations on values within +-1, each rounding by at most 6e-8.
* TOL_RESAMPLED = 1e-5 per voice elsewhere (measured: at most 3.4e-6 for
  noise of peak 0.9): the engine reads the kernel from a float32 table by
  linear interpolation between points 1/512 apart (at most 1.6e-6 of the
  kernel's peak per tap), stores the pyramid levels in float32, quantises the
  stretched kernel's tap spacing to 2^-25 of a unit, and sums 72 to 144
  float32 products per frame. Linear interpolation instead of the kernel
  misses the model by more than 1e-2 on noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from dawgwasm import _samples
from tests.models.sampler import play_voice, steps

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Note = tuple[int, str, int, float]
RenderSource = Callable[..., tuple[F32, F32]]

SR = 48000.0
TOL = 1e-6
TOL_RESAMPLED = 1e-5
ONSET = steps(0.5, SR)  # 24 frames: the shortest onset ramp


def noise(seed: int, channels: int, frames: int, peak: float = 0.9) -> F32:
    """Uniform noise in +-peak, shaped (channels, frames)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-peak, peak, (channels, frames)).astype(np.float32)


def tone(hz: float, sample_rate_hz: float, frames: int) -> F32:
    """A mono sine at ``hz``, 0.8 peak, shaped (1, frames)."""
    t = np.arange(frames) / sample_rate_hz
    return (0.8 * np.sin(2 * np.pi * hz * t)).astype(np.float32)[None, :]


def play(
    render_source: RenderSource,
    sample: F32,
    notes: Sequence[Note],
    frames: int,
    params: Mapping[str, float] | None = None,
    *,
    sample_sr: float = SR,
    **kwargs: object,
) -> tuple[F32, F32]:
    return render_source(
        "sampler", params or {}, notes, frames, samples=[(sample, sample_sr)], **kwargs
    )


def test_root_note_plays_the_sample_bit_exactly(render_source: RenderSource) -> None:
    x = noise(1, 2, 2000)
    start = 100
    left, right = play(render_source, x, [(start, "on", 60, 1.0)], 2400)
    assert not left[:start].any()
    assert not right[:start].any()
    # From the last onset frame on, the envelope is exactly 1: a bit-exact copy.
    body = slice(start + ONSET - 1, start + 2000)
    assert np.array_equal(left[body], x[0, ONSET - 1 :])
    assert np.array_equal(right[body], x[1, ONSET - 1 :])
    # The onset ramp follows the model; the voice ends with the sample.
    ml, mr = play_voice(x, SR, 2400, start=start)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL)
    assert not left[start + 2000 :].any()


def test_octave_up_plays_the_half_band_decimated_sample(render_source: RenderSource) -> None:
    x = noise(2, 1, 3000)
    left, right = play(render_source, x, [(0, "on", 72, 1.0)], 2000)
    assert np.array_equal(left, right)
    assert not left[1500:].any()
    np.testing.assert_allclose(
        left, play_voice(x, SR, 2000, note=72)[0], rtol=0, atol=TOL_RESAMPLED
    )


@pytest.mark.parametrize(
    ("note", "root", "cents"), [(67, 60, 0.0), (55, 60, 0.0), (64, 57, 50.0), (60, 60, -33.0)]
)
def test_pitch_matches_model(
    render_source: RenderSource, note: int, root: int, cents: float
) -> None:
    x = noise(3, 2, 1500)
    params = {"sampler_root_note": root, "sampler_tune_cents": cents}
    left, right = play(render_source, x, [(10, "on", note, 1.0)], 3000, params)
    ml, mr = play_voice(x, SR, 3000, start=10, note=note, root_note=root, tune_cents=cents)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL_RESAMPLED)


@pytest.mark.parametrize("sample_sr", [44100.0, 96000.0, 22050.0])
def test_sample_rate_differs_from_engine_rate_resamples(
    render_source: RenderSource, sample_sr: float
) -> None:
    frames = round(0.1 * sample_sr)
    x = tone(1000.0, sample_sr, frames)
    left, _ = play(render_source, x, [(0, "on", 60, 1.0)], 6000, sample_sr=sample_sr)
    ml, _ = play_voice(x, sample_sr, 6000)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    # Still 1 kHz and still 0.1 s long at the engine's rate.
    sounding = np.flatnonzero(left)
    assert abs(sounding[-1] + 1 - 0.1 * SR) <= 1
    spectrum = np.abs(np.fft.rfft(left[:4800] * np.hanning(4800)))
    assert abs(np.argmax(spectrum) * SR / 4800 - 1000.0) <= 10.0


def test_one_shot_ignores_note_off(render_source: RenderSource) -> None:
    x = noise(4, 1, 4000)
    on: list[Note] = [(0, "on", 60, 1.0)]
    plain = play(render_source, x, on, 5000)
    with_off = play(render_source, x, [*on, (1000, "off", 60, 0.0)], 5000)
    assert np.array_equal(plain[0], with_off[0])
    assert np.abs(plain[0][1000:4000]).max() > 0.5


def test_sustained_mode_releases_on_note_off(render_source: RenderSource) -> None:
    x = noise(5, 2, 8000)
    params = {"sampler_mode": 1, "sampler_release_ms": 20, "sampler_attack_ms": 5}
    notes: list[Note] = [(50, "on", 60, 0.8), (2000, "off", 60, 0.0)]
    left, right = play(render_source, x, notes, 5000, params)
    ml, mr = play_voice(
        x, SR, 5000, start=50, velocity=0.8, attack_ms=5, release_ms=20, note_off=2000
    )
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL)
    release = steps(20, SR)
    assert np.abs(left[2000 : 2000 + release]).max() > 0.1
    assert not left[2000 + release - 1 :].any()


def test_attack_ramps_in_over_attack_ms(render_source: RenderSource) -> None:
    x = np.full((1, 4000), 0.5, dtype=np.float32)
    left, _ = play(render_source, x, [(0, "on", 60, 1.0)], 4000, {"sampler_attack_ms": 40})
    ramp = steps(40, SR)
    np.testing.assert_allclose(left[:ramp], 0.5 * np.arange(1, ramp + 1) / ramp, atol=TOL)
    assert np.all(left[ramp - 1 :] == 0.5)


def test_velocity_and_gain_scale_the_output(render_source: RenderSource) -> None:
    x = noise(6, 1, 3000)
    left, _ = play(render_source, x, [(0, "on", 60, 0.5)], 3000)
    assert np.array_equal(left[ONSET:], x[0, ONSET:] * np.float32(0.5))
    # The gain is set before the render; read after its 10 ms ramp.
    left, _ = play(render_source, x, [(0, "on", 60, 1.0)], 3000, {"sampler_gain_db": -6})
    ml, _ = play_voice(x, SR, 3000, gain_db=-6)
    np.testing.assert_allclose(left[600:], ml[600:], rtol=0, atol=TOL)


def test_32_voices_sound_at_once(render_source: RenderSource) -> None:
    x = noise(7, 1, 800, peak=0.5)
    notes: list[Note] = [(0, "on", 40 + k, 1.0) for k in range(32)]
    left, _ = play(render_source, x, notes, 2400)
    want = sum(play_voice(x, SR, 2400, note=40 + k)[0] for k in range(32))
    np.testing.assert_allclose(left, want, rtol=0, atol=32 * TOL_RESAMPLED)


def test_33rd_voice_steals_the_oldest(render_source: RenderSource) -> None:
    x = np.full((1, 20000), 0.02, dtype=np.float32)
    notes: list[Note] = [(k, "on", 60, 1.0) for k in range(32)]
    notes.append((1000, "on", 60, 1.0))
    left, _ = play(render_source, x, notes, 3000)
    # Before: 32 voices. After the 2 ms fade of the oldest: still 32.
    assert np.allclose(left[100:1000], 32 * 0.02, atol=1e-5)
    assert np.allclose(left[1000 + steps(2, SR) :], 32 * 0.02, atol=1e-5)
    # During the handover the level neither drops nor grows by a voice.
    hand = left[1000 : 1000 + steps(2, SR)]
    assert hand.min() > 31 * 0.02 and hand.max() < 33 * 0.02


def test_choke_cuts_the_previous_note_with_a_short_fade(render_source: RenderSource) -> None:
    x = np.full((1, 20000), 0.5, dtype=np.float32)
    notes: list[Note] = [(0, "on", 60, 1.0), (1000, "on", 60, 1.0)]
    ringing, _ = play(render_source, x, notes, 3000)
    choked, _ = play(render_source, x, notes, 3000, {"sampler_choke": 1})
    assert np.all(ringing[1100:] == 1.0)
    assert np.all(choked[1100:] == 0.5)
    assert np.abs(np.diff(choked)).max() < 0.03


@pytest.mark.parametrize("frame", [0, 1, 127, 128, 129, 1000])
def test_note_starts_at_its_frame(render_source: RenderSource, frame: int) -> None:
    x = np.full((1, 500), 0.5, dtype=np.float32)
    left, _ = play(render_source, x, [(frame, "on", 60, 1.0)], 1600)
    assert not left[:frame].any()
    assert left[frame] == pytest.approx(0.5 / ONSET, abs=TOL)
    assert left[frame + ONSET - 1] == 0.5


def test_missing_sample_id_is_silence(render_source: RenderSource) -> None:
    x = noise(8, 1, 1000)
    notes: list[Note] = [(0, "on", 60, 1.0), (10, "on", 64, 1.0)]
    left, right = play(render_source, x, notes, 1500, {"sampler_sample": 3})
    assert not left.any() and not right.any()
    left, right = render_source("sampler", {}, notes, 1500, samples=[])
    assert not left.any() and not right.any()


def test_nan_and_inf_in_sample_data_are_sanitised(render_source: RenderSource) -> None:
    x = noise(9, 2, 1000)
    bad = x.copy()
    bad[0, 100], bad[0, 200], bad[1, 300], bad[1, 400] = np.nan, np.inf, -np.inf, 1e-40
    left, right = play(render_source, bad, [(0, "on", 67, 1.0)], 1000)
    assert np.all(np.isfinite(left)) and np.all(np.isfinite(right))
    clean = x.copy()
    clean[0, 100] = clean[0, 200] = clean[1, 300] = clean[1, 400] = 0.0
    ml, mr = play_voice(clean, SR, 1000, note=67)
    np.testing.assert_allclose(left, ml, rtol=0, atol=TOL_RESAMPLED)
    np.testing.assert_allclose(right, mr, rtol=0, atol=TOL_RESAMPLED)


SCENARIO: list[Note] = [
    (0, "on", 60, 1.0),
    (37, "on", 67, 0.7),
    (500, "off", 60, 0.0),
    (700, "on", 72, 0.3),
    (701, "on", 48, 0.9),
    (1500, "off", 67, 0.0),
    (2000, "on", 55, 1.0),
    (2500, "off", 55, 0.0),
]
SCENARIO_PARAMS: dict[str, float] = {
    "sampler_mode": 1,
    "sampler_tune_cents": 13,
    "sampler_attack_ms": 3,
    "sampler_release_ms": 7,
    "sampler_gain_db": -3,
}


@pytest.mark.parametrize("quantum", [16, 48, 1024])
def test_output_does_not_depend_on_quantum_size(render_source: RenderSource, quantum: int) -> None:
    x = noise(10, 2, 3000)
    ref = play(render_source, x, SCENARIO, 4000, SCENARIO_PARAMS, sample_sr=44100.0)
    got = play(
        render_source,
        x,
        SCENARIO,
        4000,
        SCENARIO_PARAMS,
        sample_sr=44100.0,
        quantum_frames=quantum,
    )
    assert np.abs(ref[0]).max() > 0.1
    assert np.array_equal(got[0], ref[0])
    assert np.array_equal(got[1], ref[1])


def test_runtimes_agree(render_source: RenderSource, runtime: str) -> None:
    x = noise(11, 2, 3000)
    ref = play(render_source, x, SCENARIO, 4000, SCENARIO_PARAMS, sample_sr=44100.0)
    got = play(
        render_source, x, SCENARIO, 4000, SCENARIO_PARAMS, sample_sr=44100.0, runtime=runtime
    )
    np.testing.assert_allclose(got[0], ref[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[1], ref[1], rtol=0, atol=1e-6)


def test_project_samples_play_back_from_a_shared_bank(render_source: RenderSource) -> None:
    kit = _samples.all_samples(SR)
    bank = [(x, SR) for x in kit.values()]
    for sample_id, name in [(0, "kick"), (3, "closed_hat"), (8, "keys")]:
        x = kit[name]
        frames = x.shape[1] + 100
        left, right = render_source(
            "sampler", {"sampler_sample": sample_id}, [(0, "on", 60, 1.0)], frames, samples=bank
        )
        assert np.array_equal(left[ONSET : x.shape[1]], x[0, ONSET:]), name
        assert np.array_equal(right[ONSET : x.shape[1]], x[-1, ONSET:]), name
        assert not left[x.shape[1] :].any()


#: Images and aliases must stay below this, dB relative to the tone they come
#: from, between 20 Hz and 20 kHz.
ALIAS_LIMIT_DB = -90.0
#: Tones of the test sample, Hz: all below 20 kHz, below 0.4535 of 44.1 kHz.
ALIAS_TONES_HZ = (1000.3, 5003.1, 9007.7, 13001.9, 17011.3, 19993.7)
#: Analysis: frames skipped (onset, kernel start), FFT length, Kaiser shape
#: (side lobes far below -150 dB) and the bins either side of an expected tone
#: left out (its main lobe).
_SKIP, _FFT, _WINDOW_BETA, _LOBE_BINS = 4096, 32768, 20.0, 16


def spur_level_db(
    out: npt.NDArray[np.floating], engine_sr: float, tones_hz: Sequence[float]
) -> float:
    """Highest level between 20 Hz and 20 kHz of ``out`` outside the main lobes
    of ``tones_hz``, dB relative to one tone of amplitude 1/len(tones)."""
    seg = np.asarray(out[_SKIP : _SKIP + _FFT], dtype=np.float64)
    w = np.kaiser(_FFT, _WINDOW_BETA)
    amp = np.abs(np.fft.rfft(seg * w)) * 2.0 / w.sum()
    f = np.fft.rfftfreq(_FFT, 1.0 / engine_sr)
    keep = (f >= 20.0) & (f <= 20000.0)
    bin_hz = engine_sr / _FFT
    for t in tones_hz:
        keep &= np.abs(f - t) > _LOBE_BINS * bin_hz
    return float(20 * np.log10(amp[keep].max() * len(tones_hz) + 1e-30))


def tone_sum(sample_sr: float, frames: int) -> F32:
    """The ALIAS_TONES_HZ, each of amplitude 1/6, fixed random phases, (1, frames)."""
    t = np.arange(frames) / sample_sr
    phases = np.random.default_rng(11).uniform(0, 2 * np.pi, len(ALIAS_TONES_HZ))
    x = sum(np.sin(2 * np.pi * hz * t + ph) for hz, ph in zip(ALIAS_TONES_HZ, phases, strict=True))
    return (np.asarray(x) / len(ALIAS_TONES_HZ)).astype(np.float32)[None, :]


@pytest.mark.parametrize(
    ("engine_sr", "sample_sr", "note", "cents"),
    [
        (48000.0, 48000.0, 72, 0.0),  # octave up: level 1 at rate 1
        (44100.0, 44100.0, 60, 1200.0),  # octave up by tune
        (48000.0, 44100.0, 72, 0.0),  # rate 1.8375: the sample, kernel stretched
        (48000.0, 48000.0, 79, 0.0),  # rate 3.0: level 1, kernel stretched 1.5
        (48000.0, 48000.0, 48, 0.0),  # octave down
        (44100.0, 44100.0, 60, -1200.0),  # octave down by tune
        (48000.0, 44100.0, 48, 0.0),  # octave down from 44.1 kHz
        (48000.0, 44100.0, 60, 0.0),  # 44.1 kHz sample in a 48 kHz engine
        (44100.0, 48000.0, 60, 0.0),  # 48 kHz sample in a 44.1 kHz engine
    ],
)
def test_pitched_sampler_images_and_aliases_stay_below_minus_90_db(
    render_source: RenderSource, engine_sr: float, sample_sr: float, note: int, cents: float
) -> None:
    pitch = 2.0 ** ((note - 60) / 12 + cents / 1200)
    rate = pitch * sample_sr / engine_sr
    frames = _SKIP + _FFT
    x = tone_sum(sample_sr, int(frames * rate) + 1000)
    left, _ = play(
        render_source,
        x,
        [(0, "on", note, 1.0)],
        frames,
        {"sampler_tune_cents": cents},
        sample_sr=sample_sr,
        sample_rate_hz=engine_sr,
    )
    expected = [hz * pitch for hz in ALIAS_TONES_HZ]
    spur_db = spur_level_db(left, engine_sr, expected)
    assert spur_db <= ALIAS_LIMIT_DB
    # The tones that stay in the band keep their level (within 0.01 dB; the
    # window's transform evaluated at each tone's exact frequency).
    seg = np.asarray(left[_SKIP : _SKIP + _FFT], dtype=np.float64)
    w = np.kaiser(_FFT, _WINDOW_BETA)
    n = np.arange(_FFT)
    for hz in expected:
        if hz < 19000.0:
            amp = 2.0 * abs(np.sum(w * seg * np.exp(-2j * np.pi * hz / engine_sr * n))) / w.sum()
            level_db = 20 * np.log10(amp * len(ALIAS_TONES_HZ))
            assert abs(level_db) < 0.01, (hz, level_db)
