"""A numpy view over an engine's buffers stays valid after ``close()`` on
every runtime: it turns read-only and keeps its last contents, because the
engine's ABI handle (and with it the native build's heap buffers) is freed
only once the engine is closed and no view remains, so a native view never
reads freed memory.

Run in a child process: a use-after-free there is a failed test, not a
crashed test run."""

from __future__ import annotations

from pathlib import Path

from tests.wasm.children import run_child

READ_AFTER_CLOSE = """
    import gc
    from pathlib import Path
    import numpy as np
    from dawgwasm import Engine

    lib = Path({lib!r})
    # 131072 frames of capacity: each buffer is 1 MiB, which the allocator maps
    # on its own and unmaps as soon as it is freed.
    e = Engine.native(lib, tracks=2, max_quanta=1024)
    inp = e.input(0)
    inp[:] = 0.25
    e.process(4)
    out, meters = e.output, e.meters
    e.close()
    gc.collect()
    print(float(inp[0].sum()), float(out[0, :512].sum()), bool(np.isfinite(meters).all()))
    try:
        out[:] = 1.0
    except ValueError as error:
        print(error)

    # Once no view remains the handle is freed: far more engines than the
    # ABI's 64 handles come and go.
    del inp, out, meters
    for _ in range(200):
        f = Engine.native(lib, max_quanta=1024)
        view = f.output
        f.close()
        del f, view
    print("handles freed")
"""


def test_native_views_read_after_close_never_crash(native_lib: Path) -> None:
    proc = run_child(READ_AFTER_CLOSE.format(lib=str(native_lib)))
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    values, read_only, freed = proc.stdout.splitlines()
    assert values == f"{0.25 * 131072} {0.25 * 512} True"
    assert "read-only" in read_only
    assert freed == "handles freed"
