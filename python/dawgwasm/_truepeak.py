"""True peak: the largest magnitude of a signal between its samples as well
as at them, the reading ITU-R BS.1770-4 (Annex 2) asks a meter to give. A
digital-to-analog converter reconstructs the waveform between samples, and
that waveform can rise above the largest sample (by up to 3 dB for a sine at
a quarter of the rate): a file whose samples stay under 0 dBFS can clip on
playback.

The meter oversamples by four, as the Recommendation describes: each frame
interval is read at three points between the samples by 32-tap
interpolators, one per quarter-sample phase (least-squares fractional
delays, within 0.003 dB of exact up to 0.4167 of the rate), and the samples
themselves are read too. A crest that falls between the quarter-sample
points reads low by at most 1 - cos(π·f/(4·rate)): 0.17 dB for a sine at a
quarter of the rate, 0.47 dB at 0.4167. It runs on a stream of blocks and
reads the same whatever the block sizes.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["TruePeakMeter", "dbtp", "true_peak"]

#: Taps per phase; the interpolation between frames n and n + 1 reads frames
#: n - 15 … n + 16.
TAPS = 32
_BEFORE = TAPS // 2 - 1  # 15
#: The band, as a fraction of the rate, the interpolators are exact over
#: (20 kHz at 48 kHz, 18.4 kHz at 44.1 kHz); above it they may read low.
BAND = 0.4167


def _phase_weights() -> npt.NDArray[np.float64]:
    """``(3, TAPS)``: the weights reading the points a quarter, a half and
    three quarters of a frame after frame n. Each is the least-squares
    fractional delay over 0 to :data:`BAND` of the rate: its response is
    ``e^{-jω·p/4}`` (frames counted from n) there to within 3e-4."""
    k = np.arange(TAPS) - _BEFORE  # -15 … 16
    w = np.linspace(0.0, 2 * np.pi * BAND, 2000)
    basis = np.exp(-1j * np.outer(w, k))
    rows = []
    for p in (1, 2, 3):
        want = np.exp(-1j * w * (p / 4))
        a = np.vstack([basis.real, basis.imag])
        b = np.concatenate([want.real, want.imag])
        rows.append(np.linalg.lstsq(a, b, rcond=None)[0])
    return np.array(rows)


_WEIGHTS = _phase_weights()
_REVERSED = [np.ascontiguousarray(w[::-1]) for w in _WEIGHTS]  # for np.convolve


class TruePeakMeter:
    """The true peak of a stream of ``(channels, n)`` blocks, all channels
    together (the loudest channel's). :attr:`peak` is linear; call
    :meth:`finish` after the last block to read the intervals after it."""

    def __init__(self, channels: int = 2) -> None:
        self.peak = 0.0
        self._history = np.zeros((channels, TAPS - 1))

    def write(self, block: npt.ArrayLike) -> None:
        """Read one block."""
        x = np.asarray(block, np.float64)
        if x.shape[1] == 0:
            return
        finite = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        self.peak = max(self.peak, float(np.max(np.abs(finite))))
        buf = np.concatenate([self._history, finite], axis=1)
        # One channel and one phase at a time, so that a block costs a few
        # arrays of its own length and nothing more.
        for channel in buf:
            for weights in _REVERSED:
                between = np.convolve(channel, weights, mode="valid")
                if between.size:
                    self.peak = max(self.peak, float(np.max(np.abs(between))))
        self._history = buf[:, buf.shape[1] - (TAPS - 1) :].copy()

    def finish(self) -> float:
        """Read the intervals after the last block (followed by silence) and
        return :attr:`peak`."""
        self.write(np.zeros((self._history.shape[0], TAPS - 1 - _BEFORE)))
        return self.peak


def true_peak(x: npt.ArrayLike) -> float:
    """The true peak of a whole signal ``(channels, n)``, linear."""
    a = np.asarray(x, np.float64)
    meter = TruePeakMeter(a.shape[0])
    meter.write(a)
    return meter.finish()


def dbtp(peak: float) -> float:
    """A true peak in dB relative to full scale (dBTP); -inf for silence."""
    return 20 * math.log10(peak) if peak > 0 else float("-inf")
