"""Drive a (hostile) module through the whole Engine API, in a child process
of tests/robustness/test_hostile_engine.py: every step prints ``step: ok`` or
``step: <DawgwasmError subclass>``; any other exception is a traceback and a
non-zero exit, which the test reports."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dawgwasm import DawgwasmError, Engine, note_on


def attempt(step: str, action: Callable[[], object]) -> None:
    try:
        action()
    except DawgwasmError as e:
        print(f"{step}: {type(e).__name__}", flush=True)
    else:
        print(f"{step}: ok", flush=True)


def main() -> None:
    data = Path(sys.argv[1]).read_bytes()
    try:
        e = Engine.from_wasm(
            data, deadline_base_s=1.0, deadline_realtime_factor=10.0, tracks=2, max_quanta=4
        )
    except DawgwasmError as err:
        print(f"load: {type(err).__name__}", flush=True)
        return
    attempt("input", lambda: e.input(1).fill(0.5))
    attempt("process", lambda: e.process(2))
    attempt("output", lambda: float(np.sum(e.output)))
    attempt("meters", lambda: float(np.sum(e.meters)))
    attempt("set", lambda: e.set("gain_db", -3.0, 1))
    attempt("get", lambda: e.get("gain_db", 1))
    attempt("insert", lambda: e.set_insert(1, "peq", track=0))
    attempt("source", lambda: e.set_source(0, "input"))
    attempt("sample", lambda: e.add_sample(np.zeros((2, 64), np.float32), 48000.0))
    attempt("queue", lambda: e.queue([note_on(10, 0, 60, 0.5)]))
    attempt("queued", lambda: e.queued_events)
    attempt("render", lambda: e.render(np.zeros((2, 2, 300), np.float32)))
    attempt("reset", e.reset)
    attempt("close", e.close)


if __name__ == "__main__":
    main()
