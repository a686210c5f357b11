"""Python and JavaScript apply the host rules of the manifest alike: the
shared corpus (``corpus.json``: parameter values, targets, session
documents) gets the same verdict and, word for word, the same message from
``check_value``/``resolve_target``/``parse_session`` as from
``checkValue``/``resolveTarget``/``parseSession`` (run in Node on the
build's own modules), and the verdict the corpus expects."""

from __future__ import annotations

import copy
import json
import math
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dawgwasm import Engine, SessionError
from dawgwasm._errors import ParameterError, ParameterRangeError
from dawgwasm._events import TARGET_LAYOUT, encode_target
from dawgwasm._params import ParamSpec, ParamTable, check_value
from dawgwasm._rules import SESSION_GROUPS, resolve_target
from dawgwasm._samples import SAMPLES
from dawgwasm._session import parse_session

HERE = Path(__file__).parent
CORPUS: dict[str, Any] = json.loads((HERE / "corpus.json").read_text(encoding="utf-8"))

Verdict = dict[str, Any]


def decode(v: Any) -> Any:
    """The corpus's encodings of numbers JSON cannot hold, as Python numbers."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if list(v) == ["$number"]:
            return float(v["$number"])
        if list(v) == ["$int"]:
            return int(v["$int"])
        return {k: decode(x) for k, x in v.items()}
    return v


def patched(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with each ``a.b[0].c`` path set to its value."""
    doc = copy.deepcopy(base)
    for path, value in changes.items():
        parts = path.replace("]", "").replace("[", ".").split(".")
        node: Any = doc
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node[p]
        node[parts[-1]] = value
    return doc


def session_docs() -> list[dict[str, Any]]:
    return [patched(CORPUS["session_base"], c["set"]) for c in CORPUS["sessions"]]


def python_verdict(run: Callable[[], Any]) -> Verdict:
    try:
        return {"ok": True, "result": run()}
    except SessionError as e:
        return {"ok": False, "error": "SessionError", "path": e.path, "message": str(e)}
    except (ParameterError, ParameterRangeError) as e:  # RangeError in JS
        return {"ok": False, "error": "RangeError", "path": None, "message": str(e)}


def python_verdicts(manifest: dict[str, Any]) -> dict[str, list[Verdict]]:
    table = ParamTable([ParamSpec(**p) for p in manifest["params"]])
    rules = manifest["rules"]

    def target(c: dict[str, Any]) -> int:
        return resolve_target(
            table[c["param"]],
            decode(c["where"]),
            tracks=c["tracks"],
            limits=manifest["limits"],
            layout=rules["targets"],
            scopes=rules["scopes"],
        )

    def session(doc: dict[str, Any]) -> bool:
        parse_session(decode(doc), table, manifest["units"], manifest["sources"])
        return True

    return {
        "values": [
            python_verdict(lambda c=c: check_value(table[c["param"]], decode(c["value"])))
            for c in CORPUS["values"]
        ],
        "targets": [python_verdict(lambda c=c: target(c)) for c in CORPUS["targets"]],
        "sessions": [python_verdict(lambda d=d: session(d)) for d in session_docs()],
    }


def js_verdicts(built_dist: Path, tmp_path: Path, manifest: dict[str, Any]) -> Any:
    folder = tmp_path / "dist"
    shutil.copytree(built_dist, folder)
    (folder / "package.json").write_text('{"type": "module"}\n')
    stdin = {
        "manifest": manifest,
        "builtins": list(SAMPLES),
        "values": CORPUS["values"],
        "targets": CORPUS["targets"],
        "sessions": session_docs(),
    }
    proc = subprocess.run(
        ["node", str(HERE / "run_corpus.mjs"), str(folder)],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def same(py: Verdict, js: Verdict) -> bool:
    if py["ok"] != js["ok"]:
        return False
    if not py["ok"]:
        return py == js
    a, b = py["result"], js["result"]
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b or (math.isnan(a) and math.isnan(b)))


@pytest.fixture(scope="module")
def manifest(built_dist: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((built_dist / "manifest.json").read_text())
    return loaded


def test_python_and_javascript_give_the_same_verdicts_and_messages(
    built_dist: Path, tmp_path: Path, manifest: dict[str, Any]
) -> None:
    py = python_verdicts(manifest)
    js = js_verdicts(built_dist, tmp_path, manifest)
    differ = []
    for section in ("values", "targets", "sessions"):
        cases = CORPUS[section]
        assert len(py[section]) == len(js[section]) == len(cases)
        for i, (case, a, b) in enumerate(zip(cases, py[section], js[section], strict=True)):
            what = case.get("set", case.get("where", case.get("value")))
            if not same(a, b):
                differ.append(
                    f"{section}[{i}] {case.get('param', '')} {what!r}:\n  py {a}\n  js {b}"
                )
            elif a["ok"] != (case["expect"] == "ok"):
                differ.append(f"{section}[{i}] {what!r}: expected {case['expect']}, got {a}")
    assert not differ, "\n".join(differ)


def test_the_corpus_covers_each_kind_of_refusal(manifest: dict[str, Any]) -> None:
    """Every message kind of the value checker, and both verdicts of every
    section, appear in the corpus (so a rule nobody exercises cannot drift)."""
    py = python_verdicts(manifest)
    messages = " ".join(v.get("message", "") for v in py["values"])
    for needle in (
        "must be a number, not a string",
        "must be a number, not null",
        "must be a number, not a list",
        "must be a number, not an object",
        "= NaN is not a finite number",
        "= Infinity is not a finite number",
        "= -Infinity is not a finite number",
        "is out of range",
        "must be a whole number",
    ):
        assert needle in messages, needle
    for section in ("values", "targets", "sessions"):
        assert {v["ok"] for v in py[section]} == {True, False}, section


def test_the_manifest_groups_every_parameter_once_in_id_order(manifest: dict[str, Any]) -> None:
    groups = manifest["groups"]
    names = [n for g in groups for n in g["params"]]
    assert names == [p["name"] for p in manifest["params"]]
    by_name = {p["name"]: p for p in manifest["params"]}
    for g in groups:
        for n in g["params"]:
            p = by_name[n]
            assert (p["group"], p["scope"], p["owner"]) == (g["name"], g["scope"], g["owner"])
        if g["owner"]:
            assert g["name"] == g["owner"]
    core = [g["name"] for g in groups if not g["owner"]]
    assert core == ["strip", "fader", "master", "solo", "tempo", "auto_bypass", "sends"]
    for wanted in SESSION_GROUPS.values():
        assert set(wanted) <= set(core)
    strip = next(g for g in groups if g["name"] == "strip")["params"]
    assert strip[0] == "low_hz" and strip[-1] == "comp_link" and len(strip) == 15
    assert manifest["rules"]["session"] == SESSION_GROUPS


def test_the_published_target_layout_is_the_engines(built_dist: Path) -> None:
    """A value set through a target the layout encodes is read back from that
    target and no other: bus 5's insert 3, the master's insert 8, track 2."""
    manifest = json.loads((built_dist / "manifest.json").read_text())
    assert manifest["rules"]["targets"] == TARGET_LAYOUT
    with Engine.from_dist(built_dist, tracks=3) as e:
        assert e.runtime.tables.targets == TARGET_LAYOUT
        kinds = TARGET_LAYOUT["kinds"]
        e.set_insert(3, "peq", bus=5)
        e.set_insert(8, "peq", master=True)
        gain = e.params["peq_1_gain_db"]
        assert e.set_raw(encode_target(kinds["bus"], 5, 3), gain.id, 4.5) == 0
        assert e.set_raw(encode_target(kinds["master"], 0, 8), gain.id, -2.0) == 0
        assert e.set_raw(encode_target(kinds["track"], 2), e.params["pan"].id, 0.25) == 0
        assert e.get("peq_1_gain_db", bus=5, slot=3) == 4.5
        assert e.get("peq_1_gain_db", master=True, slot=8) == -2.0
        assert e.get("pan", 2) == 0.25
        for kind, index, slot in ((0, 0, 0), (1, 7, 8), (2, 0, 1), (0, 4095, 255)):
            got = e.runtime.call("dawg_target", kind, index, slot)
            assert got == encode_target(kind, index, slot)
