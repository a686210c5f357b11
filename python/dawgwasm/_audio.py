"""Reading and writing audio files (via soundfile), written atomically."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dawgwasm._errors import AudioFileError

__all__ = ["read_stereo", "write_audio"]


def read_stereo(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """``(audio (2, frames) float32, sample_rate_hz)``; mono is duplicated to stereo."""
    import soundfile as sf

    if not path.is_file():
        raise AudioFileError(f"{path} not found")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises its own LibsndfileError and RuntimeError
        raise AudioFileError(f"cannot read {path}: {e}") from e
    if data.shape[1] == 1:
        data = np.repeat(data, 2, axis=1)
    elif data.shape[1] != 2:
        raise AudioFileError(
            f"{path} has {data.shape[1]} channels; dawgwasm renders mono or stereo files"
        )
    return np.ascontiguousarray(data.T), int(rate)


def write_audio(
    path: Path, audio: npt.NDArray[np.float32], sample_rate_hz: int, subtype: str = "FLOAT"
) -> None:
    """Write ``(2, frames)`` audio; the old file survives a failed write."""
    import soundfile as sf

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fmt = (path.suffix.lstrip(".") or "wav").upper()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(
            str(tmp), np.ascontiguousarray(audio.T), sample_rate_hz, subtype=subtype, format=fmt
        )
        os.replace(tmp, path)
    except Exception as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise AudioFileError(f"cannot write {path}: {e}") from e
