"""Memory the engine owns is never used after it is gone, and running out of
it is a status code: numpy views keep their engine alive, views become
read-only when the engine is closed, and an engine too big for the memory
left is refused with DAWG_ERR_NO_MEMORY while the instance keeps working."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dawgwasm import DspRuntimeError, Engine
from dawgwasm._abi import status_name


@pytest.mark.parametrize("runtime_kind", ["simd", "native", "js"])
def test_a_view_outliving_its_engine_object_stays_valid(
    built_dist: Path, native_lib: Path, runtime_kind: str
) -> None:
    """Run in a child process: a use-after-free here would crash it."""
    make = (
        f"Engine.native(Path({str(native_lib)!r}))"
        if runtime_kind == "native"
        else f"Engine.from_dist(Path({str(built_dist)!r}), {runtime_kind!r})"
    )
    code = textwrap.dedent(f"""
        import gc
        from pathlib import Path
        import numpy as np
        from dawgwasm import Engine
        out = {make}.output
        inp = None
        gc.collect()
        for _ in range(3):
            e = {make}
            e.input(0)[:] = 0.25
            e.process(1)
            del e
            gc.collect()
        out[:] = 1.0
        assert np.all(out == 1.0)
        print("alive")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "alive"


def test_views_are_read_only_after_close(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    inp, out = e.input(0), e.output
    e.close()
    with pytest.raises(ValueError, match="read-only"):
        inp[:] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        out[:] = 1.0


def test_running_out_of_memory_is_a_status_not_a_trap(built_dist: Path) -> None:
    e = Engine.from_dist(built_dist)
    call = e.runtime.call
    big = (48000.0, 256, 128, 500)  # each track's input is 500 KiB; the store allows 512 MiB
    handles: list[int] = []
    ptr = 1
    for _ in range(8):
        h = int(call("dawg_engine_new", *big))
        assert h > 0, status_name(h)  # engines allocate tracks lazily: creation is cheap
        handles.append(h)
        for t in range(256):
            ptr = int(call("dawg_input_ptr", h, t))
            if ptr == 0:
                break
        if ptr == 0:
            break
    assert ptr == 0, "the store's memory limit was never reached"
    # Creating a track's synth or insert when memory is exhausted is a status too.
    statuses = {int(call("dawg_track_source", h, t, 0)) for h in handles for t in range(256)}
    assert statuses <= {0, -11}
    # The instance still works: free the big engines and a new one fits again.
    for h in handles:
        assert int(call("dawg_engine_free", h)) == 0
    h = int(call("dawg_engine_new", *big))
    assert h > 0 and int(call("dawg_input_ptr", h, 255)) != 0
    e.process(1)
    assert np.all(e.output == 0.0)
    e.close()


def test_out_of_memory_from_python_is_a_clear_error(built_dist: Path) -> None:
    first = Engine.from_dist(built_dist, tracks=256, max_quanta=500)

    more: list[Engine] = []  # engines sharing the first one's runtime (and its 512 MiB)

    def fill() -> None:
        for t in range(256):
            first.input(t)
        for _ in range(8):
            more.append(Engine(first.runtime, tracks=256, max_quanta=500))
            for t in range(256):
                more[-1].input(t)

    with pytest.raises(DspRuntimeError, match=r"could not create track \d+'s input"):
        fill()
    assert 1 <= len(more) < 8
    for e in [first, *more]:
        e.close()


def test_numpy_scalars_are_accepted(make_engine, runtime: str) -> None:
    e = make_engine(runtime)
    e.set("gain_db", np.float32(-6.0))
    e.set("pan", np.float64(0.25))
    e.set("mute", np.int64(0))
    e.set("mute", True)
    assert e.get("gain_db") == -6.0
    assert e.get("pan") == 0.25
    assert e.get("mute") == 1.0
