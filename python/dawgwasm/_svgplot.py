"""Plots as inline SVG for the HTML reports (``dawgwasm._report``): lines on
linear or logarithmic axes, and horizontal grouped bars. Every text drawn is
escaped; a plot refers to nothing outside itself. A plot with nothing to
draw is the empty string (the caller leaves it out)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["bar_plot", "line_plot"]

#: Line and bar colours, in series order (Okabe-Ito, told apart by most
#: colour-blind readers).
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#d55e00",
    "#cc79a7",
    "#56b4e9",
    "#f0e442",
    "#000000",
)
WIDTH_PX = 720
PLOT_HEIGHT_PX = 300
#: Room around the plotting area: left (tick labels), right (legend), top (title), bottom.
MARGIN_PX = (70, 190, 34, 46)
BAR_PX = 14
BAR_GAP_PX = 10
CATEGORY_LABEL_PX = 170


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _fmt(v: float) -> str:
    """A tick or value label: 3 significant digits, no exponent below 1e6."""
    if v == 0:
        return "0"
    if abs(v) >= 1000 and v == round(v):
        return f"{v:,.0f}"
    if abs(v) >= 1e6 or abs(v) < 1e-3:
        return f"{v:.2g}"
    return f"{v:.3g}"


@dataclass(frozen=True)
class _Axis:
    lo: float
    hi: float
    log: bool

    def pos(self, v: float, a: float, b: float) -> float:
        """Where ``v`` lies between pixel ``a`` (at lo) and ``b`` (at hi)."""
        if self.log:
            f = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            f = (v - self.lo) / (self.hi - self.lo)
        return a + f * (b - a)

    def ticks(self) -> list[float]:
        return _log_ticks(self.lo, self.hi) if self.log else _linear_ticks(self.lo, self.hi)


def _linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 12))
        k += 1
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    multiples = (1,) if len(decades) > 3 else (1, 2, 5)
    return [
        m * 10.0**d
        for d in decades
        for m in multiples
        if lo * (1 - 1e-9) <= m * 10.0**d <= hi * (1 + 1e-9)
    ]


def _snap(v: float, down: bool) -> float:
    """The nearest 1, 2 or 5 x 10^k at or below (``down``) or above ``v``."""
    d = math.floor(math.log10(v))
    steps = [m * 10.0**k for k in (d - 1, d, d + 1) for m in (1, 2, 5)]
    return max(x for x in steps if x <= v) if down else min(x for x in steps if x >= v)


def _axis(values: Sequence[float], log: bool, zero: bool = False) -> _Axis:
    lo, hi = min(values), max(values)
    if log:
        lo, hi = lo / 1.15, hi * 1.15
        if hi / lo < 10:  # at least a decade, so ticks fall inside
            mid = math.sqrt(lo * hi)
            lo, hi = mid / math.sqrt(10), mid * math.sqrt(10)
        return _Axis(_snap(lo, down=True), _snap(hi, down=False), True)
    if zero:
        lo = min(lo, 0.0)
        hi = max(hi, 0.0)
    if hi == lo:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.05
    return _Axis(lo if zero and lo == 0 else lo - pad, hi + pad, False)


def _usable(v: float | None, log: bool) -> bool:
    return v is not None and math.isfinite(v) and (v > 0 or not log)


def _colours(names: Sequence[str], order: Sequence[str] | None) -> dict[str, str]:
    """A colour per name: by its place in ``order`` (so one name keeps its
    colour across a page's plots), else by its place in ``names``."""
    known = list(order or ())
    known += [n for n in names if n not in known]
    return {n: PALETTE[known.index(n) % len(PALETTE)] for n in names}


def _legend(names: Sequence[str], colours: Mapping[str, str], x: float, y: float) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        colour = colours[name]
        yy = y + 18 * i
        parts.append(
            f'<rect x="{x:.1f}" y="{yy - 9:.1f}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18:.1f}" y="{yy + 1:.1f}">{_esc(name)}</text>'
        )
    return parts


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg class="plot" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'font-family="sans-serif" font-size="12"><title>{_esc(title)}</title>'
        f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{_esc(title)}</text>' + "".join(body) + "</svg>"
    )


def line_plot(
    series: Mapping[str, Sequence[tuple[float, float | None]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    log_y: bool = False,
    x_ticks: Sequence[float] | None = None,
    order: Sequence[str] | None = None,
    h_line: tuple[str, float] | None = None,
    marked: Sequence[tuple[float, float]] = (),
    marked_label: str = "",
) -> str:
    """Each series (name → (x, y) points) as a line with markers; points that
    a log axis cannot show (zero, negative) or that are missing are left out.
    ``x_ticks``: where to put the x axis's ticks (default: round numbers);
    ``order``: every name the page plots, so each keeps one colour;
    ``h_line``: (label, y) of a dashed horizontal line across the plot;
    ``marked``: points ringed in red, named ``marked_label`` in the legend."""
    kept = {
        name: [(x, y) for x, y in pts if _usable(x, log_x) and y is not None and _usable(y, log_y)]
        for name, pts in series.items()
    }
    kept = {name: pts for name, pts in kept.items() if pts}
    if not kept:
        return ""
    xs = [x for pts in kept.values() for x, _ in pts]
    ys = [y for pts in kept.values() for _, y in pts if y is not None]
    if h_line is not None and _usable(h_line[1], log_y):
        ys.append(h_line[1])
    else:
        h_line = None
    ax, ay = _axis(xs, log_x), _axis(ys, log_y, zero=not log_y)
    left, right, top, bottom = MARGIN_PX
    width, height = WIDTH_PX, PLOT_HEIGHT_PX + top + bottom
    x0, x1, y0, y1 = left, width - right, top + PLOT_HEIGHT_PX, top
    body = [
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>'
    ]
    ticks_x = [t for t in (x_ticks or ax.ticks()) if ax.lo <= t <= ax.hi]
    for t in ticks_x:
        px = ax.pos(t, x0, x1)
        body.append(
            f'<line x1="{px:.1f}" y1="{y0}" x2="{px:.1f}" y2="{y1}" stroke="#eee"/>'
            f'<text x="{px:.1f}" y="{y0 + 16}" text-anchor="middle">{_fmt(t)}</text>'
        )
    for t in ay.ticks():
        py = ay.pos(t, y0, y1)
        body.append(
            f'<line x1="{x0}" y1="{py:.1f}" x2="{x1}" y2="{py:.1f}" stroke="#eee"/>'
            f'<text x="{x0 - 6}" y="{py + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    body.append(
        f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{_esc(x_label)}</text>"
        f'<text transform="translate(14 {(y0 + y1) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_esc(y_label)}</text>'
    )
    names = list(kept)
    colours = _colours(names, order)
    for name in names:
        colour = colours[name]
        pts = [
            (ax.pos(x, x0, x1), ay.pos(y, y0, y1)) for x, y in sorted(kept[name]) if y is not None
        ]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in pts
        )
    if h_line is not None:
        py = ay.pos(h_line[1], y0, y1)
        body.append(
            f'<line x1="{x0}" y1="{py:.1f}" x2="{x1}" y2="{py:.1f}" stroke="#c00" '
            f'stroke-dasharray="6 4"/><text x="{x1 - 4}" y="{py - 5:.1f}" text-anchor="end" '
            f'fill="#c00">{_esc(h_line[0])}</text>'
        )
    rings = [(x, y) for x, y in marked if _usable(x, log_x) and _usable(y, log_y)]
    body.extend(
        f'<circle cx="{ax.pos(x, x0, x1):.1f}" cy="{ay.pos(y, y0, y1):.1f}" r="7" '
        'fill="none" stroke="#c00" stroke-width="2"/>'
        for x, y in rings
    )
    body.extend(_legend(names, colours, x1 + 16, y1 + 10))
    if rings and marked_label:
        ly = y1 + 10 + 18 * len(names)
        body.append(
            f'<circle cx="{x1 + 22:.1f}" cy="{ly - 3:.1f}" r="6" fill="none" stroke="#c00" '
            f'stroke-width="2"/><text x="{x1 + 34:.1f}" y="{ly + 1:.1f}">'
            f"{_esc(marked_label)}</text>"
        )
    return _svg(width, height, title, body)


def bar_plot(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    value_label: str,
    log: bool = False,
    value_format: str = "{:.3g}",
    order: Sequence[str] | None = None,
) -> str:
    """Horizontal bars: one group per category (listed down the left), one
    bar per series in each group, its value written at its end. A missing
    value (None) leaves its bar out; on a log axis so does zero. ``order``:
    as for :func:`line_plot`, for the series."""
    values = [
        v for vs in series.values() for v in vs if v is not None and _usable(v, log) and v >= 0
    ]
    if not categories or not values:
        return ""
    if log:
        ax = _axis(values, True)
        ax = _Axis(ax.lo, ax.hi * 1.5, True)  # room for the value labels
    else:
        ax = _Axis(0.0, max(values) * 1.15 or 1.0, False)
    names = list(series)
    colours = _colours(names, order)
    group_px = len(names) * BAR_PX + BAR_GAP_PX
    top = MARGIN_PX[2]
    left, right = CATEGORY_LABEL_PX, MARGIN_PX[1] if len(names) > 1 else 30
    width = WIDTH_PX
    height = top + len(categories) * group_px + MARGIN_PX[3]
    x0, x1, y_end = left, width - right, top + len(categories) * group_px
    body = []
    for t in ax.ticks():
        px = ax.pos(t, x0, x1)
        body.append(
            f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{y_end}" stroke="#eee"/>'
            f'<text x="{px:.1f}" y="{y_end + 16}" text-anchor="middle">{_fmt(t)}</text>'
        )
    base = ax.pos(ax.lo, x0, x1) if log else ax.pos(0.0, x0, x1)
    for c, category in enumerate(categories):
        gy = top + c * group_px + BAR_GAP_PX / 2
        body.append(
            f'<text x="{x0 - 8}" y="{gy + len(names) * BAR_PX / 2 + 4:.1f}" '
            f'text-anchor="end">{_esc(category)}</text>'
        )
        for i, name in enumerate(names):
            vs = series[name]
            v = vs[c] if c < len(vs) else None
            if v is None or not _usable(v, log) or v < 0:
                continue
            colour = colours[name]
            end = ax.pos(v, x0, x1)
            y = gy + i * BAR_PX
            body.append(
                f'<rect x="{base:.1f}" y="{y:.1f}" width="{max(end - base, 1):.1f}" '
                f'height="{BAR_PX - 2}" fill="{colour}"/>'
                f'<text x="{max(end, base) + 4:.1f}" y="{y + BAR_PX - 4:.1f}" font-size="11">'
                f"{_esc(value_format.format(v))}</text>"
            )
    body.append(
        f'<line x1="{base:.1f}" y1="{top}" x2="{base:.1f}" y2="{y_end}" stroke="#666"/>'
        f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{_esc(value_label)}</text>"
    )
    if len(names) > 1:
        body.extend(_legend(names, colours, x1 + 16, top + 10))
    return _svg(width, height, title, body)
