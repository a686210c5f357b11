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

from dawgwasm import Engine, EngineConfigError
from dawgwasm._abi import status_name


@pytest.mark.parametrize("runtime_kind", ["simd", "native"])
def test_a_view_outliving_its_engine_object_stays_valid(
    built_dist: Path, native_lib: Path, runtime_kind: str
) -> None:
    """Run in a child process: a use-after-free here would crash it."""
    make = (
        f"Engine.native(Path({str(native_lib)!r}))"
        if runtime_kind == "native"
        else f"Engine.from_dist(Path({str(built_dist)!r}))"
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
    big = (48000.0, 256, 128, 500)  # ~130 MiB of buffers each; the store allows 512 MiB
    handles = []
    status = 0
    for _ in range(8):
        status = int(call("dawg_engine_new", *big))
        if status < 0:
            break
        handles.append(status)
    assert status_name(status) == "DAWG_ERR_NO_MEMORY"
    assert 1 <= len(handles) < 8
    # The instance still works: free one big engine and a new one fits again.
    assert int(call("dawg_engine_free", handles.pop())) == 0
    assert int(call("dawg_engine_new", *big)) > 0
    e.process(1)
    assert np.all(e.output == 0.0)
    e.close()


def test_out_of_memory_from_python_is_a_clear_error(built_dist: Path) -> None:
    first = Engine.from_dist(built_dist, tracks=256, max_quanta=500)
    more: list[Engine] = []  # engines sharing the first one's runtime (and its 512 MiB)

    def fill() -> None:
        for _ in range(8):
            more.append(Engine(first.runtime, tracks=256, max_quanta=500))

    with pytest.raises(EngineConfigError, match=r"not enough memory.*DAWG_ERR_NO_MEMORY"):
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
