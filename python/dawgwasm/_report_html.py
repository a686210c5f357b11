"""The pieces every HTML report is made of (``dawgwasm._report``): the page
with its inline style, sections, tables, key-value lists and number
formats. Every string that reaches the page passes through :func:`esc`;
the page refers to nothing outside itself (no URL, no script)."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence

__all__ = ["esc", "info_table", "num", "page", "paragraph", "section", "table"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
.caveat { background: #fff6d6; border-left: 4px solid #e6b800; padding: 0.5em 1em; }
.error { background: #fde4e4; border-left: 4px solid #c00; padding: 0.5em 1em; }
.slower { color: #b00; font-weight: bold; } .faster { color: #070; font-weight: bold; }
svg.plot { display: block; margin: 1em 0; max-width: 100%; height: auto; }
"""


def esc(value: object) -> str:
    """``value`` as text safe anywhere in the page (quotes included)."""
    return html.escape(str(value), quote=True)


def num(value: object, pattern: str = "{:.1f}") -> str:
    """A number from a report formatted with ``pattern``, or "-" where the
    report has none (missing, null, not a finite number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    if not math.isfinite(value):
        return "-"
    return pattern.format(value)


def table(
    head: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "", label_columns: int = 1
) -> str:
    """A table of text cells (numbers already formatted): the first
    ``label_columns`` columns name the row, the others are right-aligned."""
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = (
            f"<td>{esc(c)}</td>" if i < label_columns else f'<td class="n">{esc(c)}</td>'
            for i, c in enumerate(row)
        )
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def info_table(info: Mapping[str, object]) -> str:
    """Key-value rows; nested values as compact JSON."""
    rows = []
    for key, value in info.items():
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False)
        elif value is None:
            text = "-"
        else:
            text = str(value)
        rows.append(f"<tr><th>{esc(key)}</th><td>{esc(text)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def paragraph(text: str, cls: str = "") -> str:
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def section(title: str, *parts: str) -> str:
    """A titled section of already-built parts (empty parts are left out)."""
    return f"<section><h2>{esc(title)}</h2>" + "".join(p for p in parts if p) + "</section>"


def page(title: str, subtitle: str, sections: Sequence[str]) -> str:
    """The whole self-contained page."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>{paragraph(subtitle)}" + "".join(sections) + "</body></html>\n"
    )
