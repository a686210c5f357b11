"""Loading a hostile module never ends in a traceback: whatever a module says
about itself (start function, names, scopes, kinds, counts, lengths, limits)
is checked before it is used, and every violation is a WasmLoadError
(AbiMismatchError for a module that breaks the ABI's rules) naming the
export and the value. Absurd counts are refused before any loop starts."""

from __future__ import annotations

import math
import re
import subprocess

import pytest

from dawgwasm import AbiMismatchError, Engine, WasmLoadError
from tests.hostile_modules import PAST_MEMORY, TRAP, Body, hostile_module
from tests.wasm.children import run_child

NOT_UTF8 = 0x800  # address of a data segment holding bytes that are not UTF-8
DATA = {NOT_UTF8: b"\xff\xfe\x80"}


def text_at(export: str, address: int, length: int) -> dict[str, Body]:
    """Bodies making text export ``export`` point at ``length`` bytes at ``address``."""
    return {export: address, f"{export}_len": length}


HOSTILE_TABLES: dict[str, tuple[dict[str, Body], str]] = {
    "param name not UTF-8": (text_at("dawg_param_name", NOT_UTF8, 3), r"dawg_param_name\(0\)"),
    "param unit not UTF-8": (text_at("dawg_param_unit", NOT_UTF8, 3), r"not UTF-8"),
    "param doc not UTF-8": (text_at("dawg_param_doc", NOT_UTF8, 3), r"dawg_param_doc\(0\)"),
    "unit name not UTF-8": (text_at("dawg_unit_name", NOT_UTF8, 3), r"dawg_unit_name\(1\)"),
    "source name not UTF-8": (text_at("dawg_source_name", NOT_UTF8, 2), r"dawg_source_name"),
    "status text not UTF-8": (text_at("dawg_status_text", NOT_UTF8, 1), r"dawg_status_text"),
    "name not an identifier": (text_at("dawg_param_name", 0x100, 11), r"lowercase identifiers"),
    "text past memory": (text_at("dawg_param_doc", PAST_MEMORY, 64), r"past its memory of"),
    "text of 4 GiB": ({"dawg_param_doc_len": 0xFFFF_FFFF}, r"texts are at most 4096 bytes"),
    "scope out of range": ({"dawg_param_scope": 6}, r"dawg_param_scope\(0\) returned 6"),
    "scope of 4 billion": ({"dawg_param_scope": 0xFFFF_FFFF}, r"scopes are 0 to 5"),
    "insert without a unit kind": (
        {"dawg_param_scope": 3, "dawg_param_unit_kind": 0},
        r"unit kinds are 1 to 1",
    ),
    "insert with an unknown unit kind": (
        {"dawg_param_scope": 3, "dawg_param_unit_kind": 2},
        r"dawg_param_unit_kind\(0\) returned 2",
    ),
    "NaN minimum": ({"dawg_param_min": math.nan}, r"dawg_param_min\(0\) returned nan"),
    "infinite maximum": ({"dawg_param_max": math.inf}, r"must be finite"),
    "default outside the range": ({"dawg_param_default": 50.0}, r"min -96, default 50"),
    "negative smoothing": ({"dawg_param_smoothing_ms": -1.0}, r"negative smoothing"),
    "two parameters of one name": ({"dawg_param_count": 2}, r"two parameters are named"),
    "NaN sample rate limit": (
        {"dawg_limit_sample_rate_min_hz": math.nan},
        r"dawg_limit_sample_rate_min_hz returned nan",
    ),
    "minimum above maximum": (
        {"dawg_limit_quantum_min_frames": 4096},
        r"quantum_min_frames \(4096\) exceeds",
    ),
    "meter stride 0": ({"dawg_limit_meter_stride": 0}, r"dawg_limit_meter_stride returned 0"),
    "tracks beyond a target's index": ({"dawg_limit_tracks_max": 5000}, r"must be 1 to 4096"),
    "table export traps": ({"dawg_param_flags": TRAP}, r"dawg_param_flags trapped"),
    "group not an identifier": (text_at("dawg_param_group", 0x100, 11), r"dawg_param_group\(0\)"),
    "a unit's parameter in another group": (
        {"dawg_param_scope": 3, "dawg_param_unit_kind": 1},
        r"parameter 0 \(gain_db\) of 'peq' is in group 'fader'",
    ),
    "targets in another layout": ({"dawg_target": 0}, r"dawg_target\(0, 0, 1\) returned 0x0"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TABLES))
def test_a_table_that_breaks_the_abi_is_refused_by_name(case: str) -> None:
    bodies, message = HOSTILE_TABLES[case]
    with pytest.raises(AbiMismatchError, match=message):
        Engine.from_wasm(hostile_module(bodies=bodies, data=DATA))


ABSURD_COUNT = """
    from dawgwasm import AbiMismatchError, Engine
    from tests.hostile_modules import hostile_module

    try:
        Engine.from_wasm(hostile_module(bodies={{{export!r}: 0xFFFF_FFFF}}))
    except AbiMismatchError as error:
        print(error)
"""


@pytest.mark.parametrize("export", ["dawg_param_count", "dawg_unit_count", "dawg_source_count"])
def test_an_absurd_count_is_refused_before_any_loop(export: str) -> None:
    """In a child process with a time limit: a loop over the count would run
    for hours and fill memory."""
    try:
        proc = run_child(ABSURD_COUNT.format(export=export), timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading a module whose {export} is 4294967295 did not finish in 60 s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(rf"{export} returned 4294967295; at most \d+ is allowed", proc.stdout)


def test_a_start_function_that_traps_is_a_load_error() -> None:
    with pytest.raises(
        WasmLoadError, match=r"cannot instantiate the module: the start function trapped"
    ):
        Engine.from_wasm(hostile_module(start=TRAP))


def test_an_abi_version_export_that_traps_is_an_abi_mismatch() -> None:
    with pytest.raises(AbiMismatchError, match=r"cannot read the ABI version: .*trapped"):
        Engine.from_wasm(hostile_module(bodies={"dawg_abi_version": TRAP}))
