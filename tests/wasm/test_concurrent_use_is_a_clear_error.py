"""One engine serves one thread at a time, on every runtime: a call from a
second thread while one is running raises EngineBusyError at once (never
blocks, never crashes the interpreter), every other call succeeds, and
``Engine.render`` holds the engine across its whole loop, so no other
thread's call lands between its quanta.

Each case runs in a child process with real threads: a crash there (what
concurrent use of one wasmtime store does) is a failed test, not a dead
test run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.wasm.children import run_child

MAKE = {
    "simd": "Engine.from_dist(Path({dist!r}), 'simd', {config})",
    "scalar": "Engine.from_dist(Path({dist!r}), 'scalar', {config})",
    "native": "Engine.native(Path({lib!r}), {config})",
}


def maker(runtime: str, built_dist: Path, native_lib: Path, config: str) -> str:
    return MAKE[runtime].format(dist=str(built_dist), lib=str(native_lib), config=config)


HAMMER = """
    import json, random, sys, threading, time
    from pathlib import Path
    import numpy as np
    import dawgwasm
    from dawgwasm import Engine, EngineBusyError

    e = {make}
    e.set_source(1, "synth")
    ops = [
        lambda: e.process(8),
        lambda: e.render(np.zeros((2, 2, 2048), np.float32)),
        lambda: e.set("gain_db", -3.0, 1),
        lambda: e.get("gain_db", 1),
        lambda: e.queue([dawgwasm.note_on(0, 1, 60, 0.5), dawgwasm.note_off(500, 1, 60)]),
        lambda: float(e.output[0, 0]),
        lambda: e.meters.copy(),
        lambda: e.input(0).fill(0.1),
        lambda: e.reset(),
    ]
    counts = {{"busy": 0, "ok": 0}}
    done = []
    errors = []
    lock = threading.Lock()
    give_up = time.monotonic() + 120
    # Switch threads often, so that one is switched out while it holds the
    # engine (a native call takes microseconds and would rarely be caught).
    sys.setswitchinterval(1e-5)

    def hammer(seed):
        # Until 40 calls of this thread succeeded and some thread was refused:
        # a random call, and on EngineBusyError a short pause before the next.
        rng = random.Random(seed)
        ok = 0
        while (ok < 40 or counts["busy"] == 0) and time.monotonic() < give_up:
            try:
                rng.choice(ops)()
                outcome = "ok"
                ok += 1
            except EngineBusyError:
                outcome = "busy"
                time.sleep(0.0002)
            except Exception as error:
                errors.append(repr(error))
                continue
            with lock:
                counts[outcome] += 1
        done.append(ok)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    e.process(1)  # the engine still works afterwards
    print(json.dumps({{**counts, "done": sorted(done), "errors": errors[:5]}}))
"""


@pytest.mark.parametrize("runtime", ["simd", "scalar", "native"])
def test_threads_hammering_one_engine_get_engine_busy_never_a_crash(
    built_dist: Path, native_lib: Path, runtime: str
) -> None:
    make = maker(runtime, built_dist, native_lib, "tracks=2, max_quanta=8")
    proc = run_child(HAMMER.format(make=make), timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["errors"] == []
    assert result["busy"] >= 1, result
    assert len(result["done"]) == 4 and min(result["done"]) >= 40, result


RENDER_WHILE_ANOTHER_THREAD_CALLS = """
    import threading
    from pathlib import Path
    import numpy as np
    from dawgwasm import Engine, EngineBusyError

    def make():
        e = {make}
        e.set("auto_bypass", 0, 0)  # silence before the render must change nothing
        e.set_insert(1, "delay", track=0)
        e.set_many({{"delay_time_ms": 3.0, "delay_feedback": 0.7, "delay_mix": 0.5}}, 0, slot=1)
        e.set_many({{"comp_threshold_db": -30.0, "comp_ratio": 8.0}}, 0)
        e.reset()
        return e

    x = np.random.default_rng(5).uniform(-0.5, 0.5, (2, 48000)).astype(np.float32)
    want = make().render(x)
    e = make()
    started = threading.Event()
    result = {{}}

    def render():
        started.set()
        result["out"] = e.render(x)

    thread = threading.Thread(target=render)
    thread.start()
    started.wait()
    busy = 0
    while thread.is_alive():
        try:
            e.process(1)  # would shift the delay line and the compressor if it interleaved
        except EngineBusyError:
            busy += 1
    thread.join()
    print(busy, bool(np.array_equal(result["out"], want)))
"""


def assert_never_interleaved(child: str, what: str) -> None:
    """Run a child that renders in one thread while another calls process(1)
    until the render ends; it prints how often that call was refused and
    whether the render equals one made alone."""
    proc = run_child(child, timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    busy, identical = proc.stdout.split()
    assert int(busy) >= 1
    assert identical == "True", f"another thread's call landed inside {what}"


@pytest.mark.parametrize("runtime", ["simd", "scalar", "native"])
def test_render_holds_the_engine_for_its_whole_loop(
    built_dist: Path, native_lib: Path, runtime: str
) -> None:
    make = maker(runtime, built_dist, native_lib, "tracks=1, max_quanta=1")
    assert_never_interleaved(RENDER_WHILE_ANOTHER_THREAD_CALLS.format(make=make), "render")


SESSION_WHILE_ANOTHER_THREAD_CALLS = """
    import threading, time
    from pathlib import Path
    import numpy as np
    from dawgwasm import Engine, EngineBusyError
    from dawgwasm._reference import reference_session
    from dawgwasm._session import (
        apply_session, iter_schedule, nearest_frame, parse_session, render_events,
    )

    def make():
        e = {make}
        s = parse_session(reference_session(), e.params, e.units, e.sources)
        apply_session(s, e)
        return e, s

    frames = nearest_frame(2.0 * 48000)
    e, s = make()
    want = render_events(e, iter_schedule(s, e.params, 48000.0, frames), frames)
    e, s = make()
    started = threading.Event()
    result = {{}}

    def events():
        # Pulled inside the render, while it holds the engine: the first pull
        # says so, and each pull lets the other thread run for a moment.
        started.set()
        for event in iter_schedule(s, e.params, 48000.0, frames):
            time.sleep(0.0005)
            yield event

    def render():
        result["out"] = render_events(e, events(), frames)

    thread = threading.Thread(target=render)
    thread.start()
    started.wait()
    busy = 0
    while thread.is_alive():
        try:
            e.process(1)  # would advance every voice and tail if it interleaved
        except EngineBusyError:
            busy += 1
    thread.join()
    print(busy, bool(np.array_equal(result["out"], want)))
"""


def test_a_session_render_holds_the_engine_for_its_whole_loop(built_dist: Path) -> None:
    make = maker("simd", built_dist, built_dist, "tracks=20, max_quanta=1")
    assert_never_interleaved(
        SESSION_WHILE_ANOTHER_THREAD_CALLS.format(make=make), "the session render"
    )
