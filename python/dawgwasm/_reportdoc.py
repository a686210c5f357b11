"""The JSON reports ``dawgwasm bench`` and ``dawgwasm profile`` write, as the
HTML report and the comparison read them: which command wrote a report,
in which format version, and reading one from a file the user names.

A profile report names itself: ``"format": "dawgwasm-profile"`` and
``"version"``. A bench report says ``"benchmark": "dawgwasm bench"`` and
carries no version yet (it is version 1); one that does say
``"format": "dawgwasm-bench"`` is read too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dawgwasm._errors import DawgwasmError
from dawgwasm._files import open_input
from dawgwasm._profile import FORMAT as PROFILE_FORMAT
from dawgwasm._profile import FORMAT_VERSION as PROFILE_VERSION

__all__ = [
    "BENCH_FORMAT",
    "CURRENT_VERSIONS",
    "MAX_REPORT_BYTES",
    "PROFILE_FORMAT",
    "ReportError",
    "load_report",
    "report_format",
]

BENCH_FORMAT = "dawgwasm-bench"
#: The version of the bench format (its reports carry none yet).
BENCH_VERSION = 1
#: The format version each command writes now.
CURRENT_VERSIONS = {BENCH_FORMAT: BENCH_VERSION, PROFILE_FORMAT: PROFILE_VERSION}
#: The command that writes each format, to say what to pass instead.
COMMANDS = {BENCH_FORMAT: "dawgwasm bench", PROFILE_FORMAT: "dawgwasm profile"}
#: The largest report file read (a full profile report is well under 1 MiB).
MAX_REPORT_BYTES = 64 * 1024 * 1024

_INSTEAD = "pass a JSON file written by `dawgwasm bench --out` or `dawgwasm profile --out`"


class ReportError(DawgwasmError):
    """A file is not a report dawgwasm can read, or two reports cannot be compared."""


def report_format(doc: object, where: str = "the report") -> tuple[str, int]:
    """The format (:data:`BENCH_FORMAT` or :data:`PROFILE_FORMAT`) and its
    version of a parsed report; ReportError when ``doc`` is not one."""
    if not isinstance(doc, dict):
        raise ReportError(f"{where} is JSON but not a dawgwasm report (not an object); {_INSTEAD}")
    fmt = doc.get("format")
    if fmt is None and doc.get("benchmark") == "dawgwasm bench":
        fmt = BENCH_FORMAT
    if fmt not in CURRENT_VERSIONS:
        found = f" (its format is {fmt!r})" if isinstance(fmt, str) else ""
        raise ReportError(
            f"{where} is JSON but not a dawgwasm bench or profile report{found}; {_INSTEAD}"
        )
    version = doc.get("version", BENCH_VERSION if fmt == BENCH_FORMAT else None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ReportError(f"{where} is a {fmt} report without a format version; {_INSTEAD}")
    return str(fmt), version


def load_report(path: Path, what: str = "the report") -> dict[str, Any]:
    """Read and recognise the report at ``path`` (a regular file of at most
    :data:`MAX_REPORT_BYTES`); ReportError saying what is wrong: missing,
    not a file, not JSON, not a report."""
    where = f"{what} {path}"
    with open_input(path, what, MAX_REPORT_BYTES, lambda m: ReportError(f"{m}; {_INSTEAD}")) as f:
        data = f.read()
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ReportError(f"{where} is not JSON (not UTF-8 text); {_INSTEAD}") from None
    except json.JSONDecodeError as e:
        raise ReportError(
            f"{where} is not JSON (line {e.lineno}, column {e.colno}: {e.msg}); {_INSTEAD}"
        ) from None
    except RecursionError:
        raise ReportError(f"{where} is nested too deeply to be a report; {_INSTEAD}") from None
    report_format(doc, where)
    assert isinstance(doc, dict)
    return doc
