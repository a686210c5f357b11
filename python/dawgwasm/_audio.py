"""Reading and writing audio files (via soundfile), in blocks, within limits.

Reading: only regular files of at most
:data:`~dawgwasm._limits.AUDIO_FILE_BYTES_MAX` bytes are opened (see
:mod:`dawgwasm._files`), and decoding stops with an error as soon as a file
yields more frames than the caller allows, so a small compressed file that
decodes to gigabytes is never held whole.

Writing: :func:`plan_output` checks the format, the sample format and the
size before any work starts: a WAV file larger than a plain RIFF header can
describe (4 GiB) is written as RF64, a format with 32-bit sizes (AIFF, AU)
is refused beyond them, and an uncompressed output must fit the free space
of its disk. :func:`writing_audio` then streams blocks into a hidden file
that replaces the output only once complete (:func:`dawgwasm._files.replacing`).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dawgwasm._errors import AudioFileError, LimitError
from dawgwasm._files import Fail, open_input, replacing
from dawgwasm._limits import AUDIO_FILE_BYTES_MAX, WAV_BYTES_MAX
from dawgwasm._truepeak import TruePeakMeter

__all__ = [
    "AudioWriter",
    "OutputPlan",
    "open_audio",
    "plan_output",
    "read_stereo",
    "stereo_blocks",
    "write_audio",
    "writing_audio",
]

F32 = npt.NDArray[np.float32]

#: Bytes per sample of each output sample format.
SAMPLE_BYTES: dict[str, int] = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}

#: Formats whose size fields are 32-bit: larger files cannot be described.
_SIZE_32BIT = {"AIFF", "AU"}
#: Formats written uncompressed (their size is known before writing).
_UNCOMPRESSED = {"WAV", "RF64", "W64", "AIFF", "AU", "CAF", "RAW", "WAVEX"}
_SUFFIX_FORMAT = {"aif": "AIFF", "aiff": "AIFF", "snd": "AU", "oga": "OGG"}
_HEADER_BYTES = 4096
_READ_BLOCK_FRAMES = 65536


def _audio_error(message: str) -> Exception:
    return AudioFileError(message)


@contextlib.contextmanager
def open_audio(path: Path, *, what: str = "the input", fail: Fail = _audio_error) -> Iterator[Any]:
    """Open a mono or stereo audio file for reading (a ``soundfile.SoundFile``)."""
    import soundfile as sf

    with open_input(path, what, AUDIO_FILE_BYTES_MAX, fail) as raw:
        try:
            f = sf.SoundFile(raw)
        except Exception as e:  # soundfile raises LibsndfileError, RuntimeError, TypeError
            raise fail(f"{what} {path} is not an audio file soundfile can read: {e}") from None
        with f:
            if f.channels not in (1, 2):
                raise fail(
                    f"{what} {path} has {f.channels} channels; dawgwasm reads mono or stereo"
                )
            yield f


def stereo_blocks(
    f: Any, block_frames: int, *, frames_max: int, what: str, fail: Fail = _audio_error
) -> Iterator[F32]:
    """Blocks ``(2, ≤ block_frames)`` float32 of an open file (mono is
    duplicated); raises ``fail`` once the file yields more than
    ``frames_max`` frames."""
    seen = 0
    while True:
        try:
            data = f.read(block_frames, dtype="float32", always_2d=True)
        except Exception as e:  # a decoding error part-way
            raise fail(f"{what}: cannot decode: {e}") from None
        if not len(data):
            return
        seen += len(data)
        if seen > frames_max:
            raise fail(f"{what} decodes to more than {frames_max} frames, the most read")
        if data.shape[1] == 1:
            data = np.repeat(data, 2, axis=1)
        yield np.ascontiguousarray(data.T)


def read_stereo(
    path: Path,
    *,
    frames_max: int,
    what: str = "the input",
    fail: Fail = _audio_error,
) -> tuple[F32, int]:
    """``(audio (2, frames) float32, sample_rate_hz)`` of a whole file of at
    most ``frames_max`` frames; mono is duplicated to stereo."""
    with open_audio(path, what=what, fail=fail) as f:
        rate = int(f.samplerate)
        blocks = list(
            stereo_blocks(
                f, _READ_BLOCK_FRAMES, frames_max=frames_max, what=f"{what} {path}", fail=fail
            )
        )
    if not blocks:
        return np.zeros((2, 0), np.float32), rate
    return np.concatenate(blocks, axis=1), rate


@dataclass(frozen=True)
class OutputPlan:
    """How an output will be written: soundfile format and subtype, and its
    size in bytes (exact for uncompressed formats, else an upper bound)."""

    path: Path
    format: str
    subtype: str
    bytes: int
    note: str = ""


def plan_output(path: Path, frames: int, sample_rate_hz: int, subtype: str) -> OutputPlan:
    """Check that ``frames`` stereo frames can be written to ``path`` as
    ``subtype``; raises :class:`AudioFileError` or :class:`LimitError`
    before any work starts."""
    import soundfile as sf

    suffix = path.suffix.lstrip(".").lower() or "wav"
    fmt = _SUFFIX_FORMAT.get(suffix, suffix.upper())
    formats = sf.available_formats()
    if fmt not in formats:
        raise AudioFileError(
            f"cannot write {path}: {suffix!r} is not an audio format dawgwasm writes; "
            "use .wav, .flac, .w64, .rf64, .aiff or .caf"
        )
    if not sf.check_format(fmt, subtype):
        raise AudioFileError(
            f"cannot write {path}: {fmt} files cannot hold {subtype} samples; pick another "
            "--subtype (FLAC takes PCM_16 or PCM_24) or another format"
        )
    size = _HEADER_BYTES + frames * 2 * SAMPLE_BYTES.get(subtype, 8)
    note = ""
    if fmt == "WAV" and size > WAV_BYTES_MAX:
        fmt = "RF64"
        note = (
            f"{path} is larger than a WAV header can describe (4 GiB): writing it as RF64, "
            "the WAV format with 64-bit sizes"
        )
    if fmt in _SIZE_32BIT and size > WAV_BYTES_MAX:
        raise LimitError(
            f"cannot write {path}: {fmt} files hold at most 4 GiB and this render needs "
            f"{size} bytes; write .wav (RF64), .w64 or .caf instead"
        )
    if fmt in _UNCOMPRESSED:
        existing = path.parent
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        free = shutil.disk_usage(existing).free
        if size > free:
            raise LimitError(
                f"cannot write {path}: it needs {size} bytes and its disk has {free} free"
            )
    return OutputPlan(path, fmt, subtype, size, note)


class AudioWriter:
    """Appends ``(2, n)`` float32 blocks to an open output and tracks its
    sample peak and its true peak (:mod:`dawgwasm._truepeak`)."""

    def __init__(self, f: Any) -> None:
        self._f = f
        self.frames = 0
        self.peak = 0.0
        self._true_peak = TruePeakMeter(2)

    def write(self, block: npt.ArrayLike) -> None:
        """Append one block ``(2, n)``."""
        x = np.asarray(block, np.float32)
        if x.shape[1]:
            self.peak = max(self.peak, float(np.max(np.abs(x))))
            self._true_peak.write(x)
        self._f.write(np.ascontiguousarray(x.T))
        self.frames += x.shape[1]

    def true_peak(self) -> float:
        """The true peak of everything written (linear), the output ending
        in silence."""
        return self._true_peak.finish()


@contextlib.contextmanager
def writing_audio(
    plan: OutputPlan, sample_rate_hz: int, inputs: Iterable[Path] = ()
) -> Iterator[AudioWriter]:
    """Stream an output planned by :func:`plan_output`: the blocks go to a
    hidden file that replaces ``plan.path`` when the block ends without an
    exception; otherwise the old output is left as it was."""
    import soundfile as sf

    with replacing(plan.path, inputs) as tmp:
        try:
            f = sf.SoundFile(str(tmp), "w", sample_rate_hz, 2, plan.subtype, format=plan.format)
        except Exception as e:
            raise AudioFileError(f"cannot write {plan.path}: {e}") from None
        with f:
            yield AudioWriter(f)


def write_audio(
    path: Path,
    audio: npt.NDArray[np.float32],
    sample_rate_hz: int,
    subtype: str = "FLOAT",
    inputs: Iterable[Path] = (),
) -> None:
    """Write ``(2, frames)`` audio safely (see :func:`writing_audio`)."""
    plan = plan_output(path, audio.shape[1], sample_rate_hz, subtype)
    with writing_audio(plan, sample_rate_hz, inputs) as w:
        w.write(audio)
