"""Server-rendered SVG charts for the planner's pages: geometry only, no drawing library.

Each function turns numbers into plain coordinates the templates draw as ``<rect>``, ``<line>``
and ``<text>``; nothing here knows HTML. Charts are pictures of numbers that the page also shows
in a table, so screen readers and people without colour vision lose nothing (the SVG gets a text
alternative pointing to the table). No script and no inline style: the strict CSP stays intact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The drawing area of every chart, in SVG user units (the SVG scales to its container).
WIDTH = 640


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    value_text: str
    missing: bool
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    right: float
    base: float
    bars: list[Bar]
    ticks: list[Tick]


def nice_ceiling(value: float) -> float:
    """The next round number at or above ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = float(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power


def bar_chart(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    fmt: Callable[[float], str],
    titles: Sequence[str],
    ceiling: float | None = None,
    height: int = 220,
) -> BarChart:
    """Vertical bars, one per value (a week); ``None`` leaves a marked gap ("no data").

    The scale runs from 0 to ``ceiling`` (a percentage: 100) or to the largest value rounded up
    to a whole number of round steps, with a gridline per step.
    """
    left, right, top, bottom = 56.0, 12.0, 14.0, 34.0
    largest = max((v for v in values if v is not None), default=0.0)
    if ceiling is not None:
        step, top_value = ceiling / 4, ceiling
    else:
        step = nice_ceiling(largest / 4) if largest > 0 else 0.25
        top_value = step * max(1, math.ceil(largest / step - 1e-9))
    plot_h = height - top - bottom
    base = height - bottom
    n = max(1, len(values))
    slot = (WIDTH - left - right) / n
    bar_w = max(4.0, min(48.0, slot * 0.6))
    bars = []
    for i, (value, label, title) in enumerate(zip(values, labels, titles, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        if value is None:
            bars.append(Bar(x, base - 2, bar_w, 2, label, "–", True, title))
            continue
        h = plot_h * min(value, top_value) / top_value
        bars.append(Bar(x, base - h, bar_w, h, label, fmt(value), False, title))
    steps = round(top_value / step)
    ticks = [Tick(base - plot_h * k / steps, fmt(step * k)) for k in range(steps + 1)]
    return BarChart(WIDTH, height, left, WIDTH - right, base, bars, ticks)


@dataclass(frozen=True)
class BoxChart:
    """Peers' quartiles as a box, their median as a line, this municipality as a dot."""

    width: int
    height: int
    box_x: float
    box_w: float
    median_x: float
    own_x: float | None
    axis: list[Tick]
    axis_y: float


def box_chart(
    q1: float, median: float, q3: float, own: float | None, *, fmt: Callable[[float], str]
) -> BoxChart:
    """A horizontal box from ``q1`` to ``q3`` with the median, and ``own`` as a dot on the scale.

    The scale is padded around the points and cut at round steps, so its labels read cleanly.
    """
    left, right, height = 16.0, 16.0, 64
    points = [q1, median, q3] + ([own] if own is not None else [])
    lo, hi = min(points), max(points)
    step = nice_ceiling((hi - lo) / 4) if hi > lo else nice_ceiling(max(abs(hi), 1.0) / 4)
    first = math.floor(lo / step - 0.5) * step
    if lo >= 0:
        first = max(0.0, first)
    last = math.ceil(hi / step + 0.5) * step
    span = last - first

    def x(v: float) -> float:
        return left + (WIDTH - left - right) * (v - first) / span

    axis = [Tick(x(first + step * k), fmt(first + step * k)) for k in range(round(span / step) + 1)]
    return BoxChart(
        width=WIDTH,
        height=height,
        box_x=x(q1),
        box_w=max(2.0, x(q3) - x(q1)),
        median_x=x(median),
        own_x=x(own) if own is not None else None,
        axis=axis,
        axis_y=40.0,
    )


@dataclass(frozen=True)
class PairRow:
    y: float
    label: str
    before_w: float
    after_w: float
    before_text: str
    after_text: str


@dataclass(frozen=True)
class PairChart:
    width: int
    height: int
    left: float
    rows: list[PairRow]


def pair_chart(
    rows: Sequence[tuple[str, float, float]], *, fmt: Callable[[float], str]
) -> PairChart:
    """Two horizontal bars per row (before and after), on one scale."""
    left, right, row_h = 170.0, 70.0, 40.0
    top = max([max(b, a) for _, b, a in rows] + [0.0]) or 1.0
    scale = (WIDTH - left - right) / top
    out = [
        PairRow(
            y=8 + i * row_h,
            label=label,
            before_w=max(1.0, before * scale),
            after_w=max(1.0, after * scale),
            before_text=fmt(before),
            after_text=fmt(after),
        )
        for i, (label, before, after) in enumerate(rows)
    ]
    return PairChart(WIDTH, int(16 + row_h * len(rows)), left, out)
