"""The true-peak meter reads what lies between the samples (ITU-R BS.1770-4
Annex 2, 4x oversampled), the same whatever the block sizes, and `render`
reports it beside the sample peak."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from dawgwasm._truepeak import TruePeakMeter, dbtp, true_peak
from tests.cli.test_cli import run

RATE = 48000.0


def faded_sine(freq_hz: float, phase: float, frames: int = 48000) -> npt.NDArray[np.float64]:
    """A unit sine with 2000-frame raised-cosine fades, so its edges add no
    overshoot of their own; ``(2, frames)``."""
    n = np.arange(frames)
    fade = np.ones(frames)
    ramp = np.sin(np.linspace(0.0, np.pi / 2, 2000)) ** 2
    fade[:2000], fade[-2000:] = ramp, ramp[::-1]
    x = fade * np.sin(2 * np.pi * freq_hz * n / RATE + phase)
    return np.stack([x, 0.5 * x])


def test_a_quarter_rate_sine_between_its_samples_reads_its_amplitude() -> None:
    # At a quarter of the rate and 45°, every sample is at ±0.707 (-3.01 dBFS),
    # and the crest lies on a quarter-sample point.
    x = faded_sine(RATE / 4, math.pi / 4)
    assert abs(20 * np.log10(np.abs(x).max()) + 3.01) < 0.01
    assert abs(dbtp(true_peak(x))) < 0.01


@pytest.mark.parametrize("freq_hz", [997.0, 6000.0, 12000.0, 19000.0])
@pytest.mark.parametrize("phase", [0.0, 0.3, 1.1])
def test_a_sine_reads_within_the_stated_grid_bound(freq_hz: float, phase: float) -> None:
    """Never above the amplitude (beyond the interpolators' 0.003 dB), never
    below it by more than ``1 - cos(π·f/(4·rate))``."""
    got = true_peak(faded_sine(freq_hz, phase))
    low = math.cos(math.pi * freq_hz / (4 * RATE))
    assert low - 1e-4 <= got <= 10 ** (0.003 / 20), f"{dbtp(got):+.4f} dBTP"


def test_the_reading_does_not_depend_on_block_sizes() -> None:
    x = np.random.default_rng(3).standard_normal((2, 20000))
    whole = true_peak(x)
    meter = TruePeakMeter(2)
    for block in np.array_split(x, [1, 2, 40, 41, 1000, 5000, 5001, 19990], axis=1):
        meter.write(block)
    assert meter.finish() == whole
    assert whole >= float(np.abs(x).max())


def test_silence_and_non_finite_samples() -> None:
    assert true_peak(np.zeros((2, 100))) == 0.0
    assert dbtp(0.0) == float("-inf")
    x = np.zeros((2, 64))
    x[0, 10], x[1, 20] = np.nan, np.inf
    assert true_peak(x) == 0.0


def test_render_reports_the_true_peak(built_dist: Path, tmp_path: Path) -> None:
    inp, out = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(str(inp), faded_sine(RATE / 4, math.pi / 4).T * 0.5, int(RATE), subtype="FLOAT")
    proc = run("render", str(inp), str(out), "--dist", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"peak (-?[\d.]+) dBFS, true peak ([+-][\d.]+) dBTP", proc.stdout)
    assert m is not None, proc.stdout
    sample_db, true_db = float(m.group(1)), float(m.group(2))
    rendered = sf.read(str(out), dtype="float32", always_2d=True)[0].T
    assert true_db == pytest.approx(dbtp(true_peak(rendered)), abs=0.005)
    assert true_db > sample_db + 2.9  # the crests lie between the samples
