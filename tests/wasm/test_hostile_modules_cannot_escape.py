"""A hostile module cannot make the host read or write outside its linear
memory: every pointer and length it returns is checked against the memory
size (and float alignment) before a numpy view or a read is made, again
whenever memory may have moved, and a bad one is a DspRuntimeError naming
the pointer, the length and the memory size."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dawgwasm import DspRuntimeError, Engine
from tests.hostile_modules import MEMORY_BYTES, PAST_MEMORY, Body, Layout, hostile_module
from tests.wasm.children import run_child


def engine(bodies: dict[str, Body]) -> Engine:
    """One track, 128 frames of capacity, over a module with ``bodies``."""
    return Engine.from_wasm(hostile_module(bodies=bodies), tracks=1, max_quanta=1)


MAPS: dict[str, Callable[[Engine], object]] = {
    "output": lambda e: e.output,
    "input": lambda e: e.input(0),
    "meters": lambda e: e.meters,
}
EXPORT = {"output": "dawg_output_ptr", "input": "dawg_input_ptr", "meters": "dawg_meters_ptr"}


@pytest.mark.parametrize("buffer", sorted(MAPS))
def test_a_buffer_pointer_past_memory_is_refused(buffer: str) -> None:
    """Mapping the buffer is refused (nothing is read or written here)."""
    e = engine({EXPORT[buffer]: PAST_MEMORY})
    with pytest.raises(
        DspRuntimeError,
        match=rf"pointer {PAST_MEMORY:#x} \+ \d+ bytes, past its memory of {MEMORY_BYTES} bytes",
    ):
        MAPS[buffer](e)


def test_output_pointer_past_memory_is_refused() -> None:
    e = engine({"dawg_output_ptr": 0xFFFF_FF00})
    e.process(1)
    with pytest.raises(DspRuntimeError, match=r"pointer 0xffffff00 \+ 1024 bytes, past its memory"):
        _ = e.output


@pytest.mark.parametrize("buffer", ["output", "input", "meters"])
def test_a_misaligned_buffer_pointer_is_refused(buffer: str) -> None:
    e = engine({EXPORT[buffer]: Layout.OUTPUT + 2})
    with pytest.raises(DspRuntimeError, match=r"not aligned to 4 bytes"):
        MAPS[buffer](e)


def test_a_null_output_pointer_is_refused() -> None:
    e = engine({"dawg_output_ptr": 0})
    with pytest.raises(DspRuntimeError, match=r"null pointer for 1024 bytes"):
        _ = e.output


def test_a_meter_length_past_memory_is_refused() -> None:
    e = engine({"dawg_meters_len": 0xFFFF_FFF0})
    with pytest.raises(DspRuntimeError, match=r"dawg_meters_len returned 4294967280"):
        _ = e.meters


def test_a_capacity_beyond_the_configuration_is_refused() -> None:
    with pytest.raises(DspRuntimeError, match=r"dawg_capacity_frames returned 1073741824"):
        engine({"dawg_capacity_frames": 1 << 30})


def test_pointers_are_checked_again_after_memory_grows() -> None:
    """The output pointer is fine until creating a track grows memory; from
    then on the module points it past the end, and the remapped view is refused."""
    grown = f"(if (i32.gt_u (memory.size) (i32.const {MEMORY_BYTES // 65536}))"
    e = engine(
        {
            "dawg_input_ptr": f"(drop (memory.grow (i32.const 1))) i32.const {Layout.INPUTS}",
            "dawg_output_ptr": (
                f"{grown} (then (return (i32.const 0xFFFF0000)))) i32.const {Layout.OUTPUT}"
            ),
        }
    )
    assert e.output.shape == (2, 128)
    with pytest.raises(DspRuntimeError, match=r"pointer 0xffff0000 \+ 1024 bytes, past its memory"):
        e.input(0)


WRITE_AND_READ = """
    import numpy as np
    import dawgwasm
    from dawgwasm import DspRuntimeError, Engine
    from tests.hostile_modules import PAST_MEMORY, hostile_module

    uses = {
        "dawg_output_ptr": lambda e: e.render(np.ones((2, 4096), np.float32)),
        "dawg_input_ptr": lambda e: e.render(np.ones((2, 4096), np.float32)),
        "dawg_events_ptr": lambda e: e.queue([dawgwasm.note_on(0, 0, 60, 1.0)]),
        "dawg_sample_ptr": lambda e: e.add_sample(np.ones(100, np.float32), 48000.0),
    }
    for export, use in uses.items():
        e = Engine.from_wasm(hostile_module(bodies={export: PAST_MEMORY}), max_quanta=4)
        try:
            use(e)
        except DspRuntimeError as error:
            print(export, "refused:", error)
        else:
            raise SystemExit(f"{export}: the pointer past memory was used")
"""


def test_render_inputs_events_and_samples_never_touch_memory_outside_the_sandbox() -> None:
    """Render (reads the output, writes the inputs), queue (writes the event
    staging area) and add_sample (writes the sample) with each pointer past
    memory. In a child process, so that an access outside memory shows as
    a failed test rather than killing the test run."""
    proc = run_child(WRITE_AND_READ)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.count("refused:") == 4, proc.stdout
    assert proc.stdout.count("past its memory of") == 4, proc.stdout
