"""The project's self-synthesised samples: well-formed float32 arrays of the
documented shape at any sample rate, finite, within +-1 and peak-normalised
to -1 dBFS, identical on every call, silent at both ends, and spectrally what
their names promise (kick and 808 low, hats high, keys at C4)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from dawgwasm import _samples

RATES = (22050.0, 48000.0, 192000.0)


@pytest.fixture(scope="module", params=RATES, ids=lambda sr: f"{sr:g}Hz")
def rendered(request: pytest.FixtureRequest) -> tuple[float, dict[str, npt.NDArray[np.float32]]]:
    sr = float(request.param)
    return sr, _samples.all_samples(sr)


def energy_fraction(x: npt.NDArray[np.float32], sr: float, lo: float, hi: float) -> float:
    """Share of the signal's energy between ``lo`` and ``hi`` Hz."""
    power = np.abs(np.fft.rfft(x.astype(np.float64).sum(axis=0))) ** 2
    f = np.fft.rfftfreq(x.shape[1], 1.0 / sr)
    return float(power[(f >= lo) & (f < hi)].sum() / power.sum())


def test_every_sample_has_the_documented_shape_and_level(
    rendered: tuple[float, dict[str, npt.NDArray[np.float32]]],
) -> None:
    sr, samples = rendered
    assert list(samples) == [*_samples.DRUM_KIT, "keys"]
    for name, x in samples.items():
        frames = round(_samples.LENGTH_S[name] * sr)
        assert x.shape == (_samples.CHANNELS[name], frames), name
        assert x.dtype == np.float32
        assert x.flags.c_contiguous
        assert np.all(np.isfinite(x)), name
        peak = float(np.abs(x).max())
        assert peak <= 1.0
        assert 20 * np.log10(peak) == pytest.approx(_samples.PEAK_DBFS, abs=0.01), name
        # Starts and ends in silence: no click when played from start to end.
        assert np.abs(x[:, 0]).max() < 1e-3, name
        assert np.abs(x[:, -1]).max() < 1e-6, name


def test_samples_are_deterministic() -> None:
    first = _samples.all_samples(44100.0)
    second = _samples.all_samples(44100.0)
    for name in first:
        assert np.array_equal(first[name], second[name]), name
        assert np.array_equal(_samples.SAMPLES[name](44100.0), first[name]), name


def test_drum_kit_order_is_fixed() -> None:
    assert list(_samples.DRUM_KIT) == [
        "kick",
        "snare",
        "clap",
        "closed_hat",
        "open_hat",
        "rim",
        "perc",
        "bass_808",
    ]


def test_kick_and_808_energy_is_mostly_below_200_hz(
    rendered: tuple[float, dict[str, npt.NDArray[np.float32]]],
) -> None:
    sr, samples = rendered
    assert energy_fraction(samples["kick"], sr, 0, 200) > 0.9
    assert energy_fraction(samples["bass_808"], sr, 0, 200) > 0.9


def test_hats_energy_is_mostly_above_5_khz(
    rendered: tuple[float, dict[str, npt.NDArray[np.float32]]],
) -> None:
    sr, samples = rendered
    for name in ("closed_hat", "open_hat"):
        assert energy_fraction(samples[name], sr, 5000, sr / 2 + 1) > 0.9, name


def test_snare_mixes_body_and_rattle(
    rendered: tuple[float, dict[str, npt.NDArray[np.float32]]],
) -> None:
    sr, samples = rendered
    body = energy_fraction(samples["snare"], sr, 100, 400)
    rattle = energy_fraction(samples["snare"], sr, 1500, sr / 2 + 1)
    assert body > 0.2 and rattle > 0.4


def test_keys_fundamental_is_middle_c(
    rendered: tuple[float, dict[str, npt.NDArray[np.float32]]],
) -> None:
    sr, samples = rendered
    x = samples["keys"]
    assert x.shape[0] == 2 and not np.array_equal(x[0], x[1])
    power = np.abs(np.fft.rfft(x[0].astype(np.float64) * np.hanning(x.shape[1])))
    f = np.fft.rfftfreq(x.shape[1], 1.0 / sr)
    assert f[np.argmax(power)] == pytest.approx(261.63, abs=1.0)


def test_decays_are_short_for_one_shots() -> None:
    sr = 48000.0
    for name in ("closed_hat", "rim", "clap"):
        x = _samples.SAMPLES[name](sr)[0]
        tail = x[int(0.5 * len(x)) :]
        assert np.abs(tail).max() < 0.1 * np.abs(x).max(), name
