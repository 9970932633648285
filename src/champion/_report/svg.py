"""Inline SVG charts drawn in Python: no script, no request, readable offline.

Every label is escaped here, since the charts reach templates as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Box", "Dot", "TrendPoint", "box_plot", "format_ms", "scatter", "trend"]

_FONT = 'font-family="inherit" font-size="12"'


def format_ms(value: float | None) -> str:
    """Milliseconds as a short human figure: 0.42 ms, 182 ms, 1.24 s, 2.1 min."""
    if value is None:
        return "—"
    if value >= 60_000:
        return f"{value / 60_000:.1f} min"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 10:
        return f"{value:.0f} ms"
    if value >= 1:
        return f"{value:.1f} ms"
    if value == 0:
        return "0 ms"
    return f"{value:.2f} ms" if value >= 0.01 else f"{value * 1000:.1f} µs"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Scale:
    """Maps values to pixels, logarithmically when values span a wide range."""

    def __init__(self, low: float, high: float, start: float, end: float,
                 allow_log: bool = True) -> None:
        low, high = min(low, high), max(low, high)
        self.log = allow_log and low > 0 and high / low > 20
        if self.log:
            self.low, self.high = math.log10(low), math.log10(high)
        else:
            low = 0.0 if low >= 0 and high > 0 and low < high * 0.5 else low
            self.low, self.high = low, high
        if self.high == self.low:
            self.low -= 1 if not self.log else 0.5
            self.high += 1 if not self.log else 0.5
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        v = math.log10(max(value, 1e-9)) if self.log else value
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self, count: int = 5) -> list[float]:
        if self.log:
            first, last = math.floor(self.low), math.ceil(self.high)
            ticks = [10.0 ** e for e in range(first, last + 1)]
            if len(ticks) < 3:
                ticks = sorted({t * m for t in ticks for m in (1, 2, 5)})
            return [t for t in ticks if self.low - 1e-9 <= math.log10(t) <= self.high + 1e-9]
        span = self.high - self.low
        raw = span / max(1, count)
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
        first = math.ceil(self.low / step) * step
        ticks = []
        value = first
        while value <= self.high + step * 1e-6:
            ticks.append(round(value, 10))
            value += step
        return ticks


@dataclass(frozen=True, slots=True)
class Box:
    """One model's latencies for the distribution plot."""

    label: str
    points: Sequence[float]
    median: float
    q1: float
    q3: float
    low: float
    high: float
    #: ``champion``, ``runner-up``, ``qualified``, ``disqualified`` or ``error``.
    status: str


def box_plot(boxes: Sequence[Box], width: int = 900) -> Markup:
    """Horizontal box plots with every (thinned) trial drawn as a dot."""
    boxes = [b for b in boxes if b.points]
    if not boxes:
        return Markup('<p class="muted">No latencies to plot.</p>')
    row, left, right, top = 34, 190, 24, 16
    height = top + row * len(boxes) + 34
    scale = _Scale(min(b.low for b in boxes), max(b.high for b in boxes), left, width - right)
    parts = [f'<svg class="chart box-plot" viewBox="0 0 {width} {height}" role="img"'
             f' aria-label="Latency distribution per model" {_FONT}>']
    parts += _x_axis(scale, top, top + row * len(boxes), height - 12,
                     "latency per trial" + (" (log scale)" if scale.log else ""))
    for index, box in enumerate(boxes):
        mid = top + row * index + row / 2
        label = escape(_clip(box.label, 26))
        parts.append(f'<g class="series {escape(box.status)}">'
                     f'<title>{escape(box.label)}: median {format_ms(box.median)},'
                     f' middle half {format_ms(box.q1)}–{format_ms(box.q3)},'
                     f' range {format_ms(box.low)}–{format_ms(box.high)}</title>')
        parts.append(f'<text x="{left - 10}" y="{mid + 4:.1f}" text-anchor="end"'
                     f' class="label">{label}</text>')
        parts.append(f'<line class="whisker" x1="{scale(box.low):.1f}" y1="{mid:.1f}"'
                     f' x2="{scale(box.high):.1f}" y2="{mid:.1f}"/>')
        x1, x3 = scale(box.q1), scale(box.q3)
        parts.append(f'<rect class="box" x="{x1:.1f}" y="{mid - 9:.1f}"'
                     f' width="{max(1.5, x3 - x1):.1f}" height="18" rx="3"/>')
        for i, value in enumerate(box.points):
            jitter = ((i * 7919) % 13 - 6) * 1.1
            parts.append(f'<circle class="pt" cx="{scale(value):.1f}" cy="{mid + jitter:.1f}"'
                         ' r="2"/>')
        xm = scale(box.median)
        parts.append(f'<line class="median" x1="{xm:.1f}" y1="{mid - 11:.1f}" x2="{xm:.1f}"'
                     f' y2="{mid + 11:.1f}"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _x_axis(scale: _Scale, top: float, bottom: float, label_y: float, title: str) -> list[str]:
    parts = ['<g class="axis">']
    for tick in scale.ticks():
        x = scale(tick)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">'
                     f'{escape(format_ms(tick))}</text>')
    parts.append(f'<text class="axis-title" x="{scale.end:.1f}" y="{label_y + 8}"'
                 f' text-anchor="end">{escape(title)}</text></g>')
    return parts


@dataclass(frozen=True, slots=True)
class Dot:
    """One model in the pass-rate versus latency scatter."""

    label: str
    median_ms: float
    pass_rate: float
    lower95: float
    status: str
    pareto: bool


def scatter(dots: Sequence[Dot], width: int = 900, height: int = 380) -> Markup:
    """Pass rate (with its 95% lower bound) against median latency; the frontier joined."""
    if not dots:
        return Markup('<p class="muted">No model answered: nothing to plot.</p>')
    left, right, top, bottom = 64, 110, 18, 48
    xs = _Scale(min(d.median_ms for d in dots) * 0.8, max(d.median_ms for d in dots) * 1.15,
                left, width - right)
    low = min(min(d.lower95 for d in dots), 0.9)
    ys = _Scale(max(0.0, math.floor(low * 10) / 10), 1.0, height - bottom, top, allow_log=False)
    parts = [f'<svg class="chart scatter" viewBox="0 0 {width} {height}" role="img"'
             f' aria-label="Pass rate versus median latency" {_FONT}>']
    parts += _x_axis(xs, top, height - bottom, height - 12,
                     "median latency" + (" (log scale)" if xs.log else "") + " → faster left")
    parts.append('<g class="axis">')
    for tick in ys.ticks(5):
        y = ys(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}"'
                     f' y2="{y:.1f}"/><text x="{left - 8}" y="{y + 4:.1f}"'
                     f' text-anchor="end">{tick:.0%}</text>')
    y_mid = (top + height - bottom) / 2
    parts.append(f'<text class="axis-title" x="14" y="{y_mid:.1f}" text-anchor="middle"'
                 f' transform="rotate(-90 14 {y_mid:.1f})">pass rate (bar down to the 95%'
                 ' lower bound)</text></g>')
    frontier = sorted((d for d in dots if d.pareto), key=lambda d: d.median_ms)
    if len(frontier) > 1:
        path = " ".join(f"{xs(d.median_ms):.1f},{ys(d.lower95):.1f}" for d in frontier)
        parts.append(f'<polyline class="frontier" points="{path}"><title>Pareto frontier:'
                     ' no other qualified model is both faster and surer</title></polyline>')
    for dot in dots:
        x, y, y_low = xs(dot.median_ms), ys(dot.pass_rate), ys(dot.lower95)
        cls = "pt" + (" pareto" if dot.pareto else "")
        parts.append(
            f'<g class="series {escape(dot.status)}"><title>{escape(dot.label)}:'
            f' {dot.pass_rate:.1%} correct (≥ {dot.lower95:.1%} at 95%),'
            f' median {format_ms(dot.median_ms)}'
            f'{", on the Pareto frontier" if dot.pareto else ""}</title>'
            f'<line class="bound" x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y_low:.1f}"/>'
            f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{7 if dot.pareto else 5}"/>'
            f'<text class="label" x="{x + 10:.1f}" y="{y + 4:.1f}">'
            f'{escape(_clip(dot.label, 22))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run in a latency trend."""

    label: str
    value: float | None
    note: str
    changed: bool
    href: str | None = None


def trend(points: Sequence[TrendPoint], width: int = 900, height: int = 260,
          title: str = "champion median latency") -> Markup:
    """A line over runs (oldest left); a diamond where the champion changed."""
    known = [p.value for p in points if p.value is not None]
    if not known:
        return Markup('<p class="muted">No run of this task had a champion yet.</p>')
    left, right, top, bottom = 64, 24, 16, 52
    ys = _Scale(0.0, max(known) * 1.1, height - bottom, top, allow_log=False)
    step = (width - left - right) / max(1, len(points) - 1)

    def x_of(index: int) -> float:
        return left + (step * index if len(points) > 1 else (width - left - right) / 2)

    parts = [f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img"'
             f' aria-label="{escape(title)}" {_FONT}><g class="axis">']
    for tick in ys.ticks(4):
        y = ys(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}"'
                     f' y2="{y:.1f}"/><text x="{left - 8}" y="{y + 4:.1f}"'
                     f' text-anchor="end">{escape(format_ms(tick))}</text>')
    every = max(1, math.ceil(len(points) / 8))
    for index, point in enumerate(points):
        if index % every == 0 or index == len(points) - 1:
            anchor = "end" if index == len(points) - 1 and len(points) > 1 else \
                "start" if index == 0 and len(points) > 1 else "middle"
            parts.append(f'<text x="{x_of(index):.1f}" y="{height - bottom + 16}"'
                         f' text-anchor="{anchor}">{escape(_clip(point.label, 16))}</text>')
    parts.append(f'<text class="axis-title" x="{width - right}" y="{height - 8}"'
                 f' text-anchor="end">{escape(title)}, run by run</text></g>')
    segment: list[str] = []
    for index, point in enumerate(points):
        if point.value is None:
            if len(segment) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        segment.append(f"{x_of(index):.1f},{ys(point.value):.1f}")
    if len(segment) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
    for index, point in enumerate(points):
        x = x_of(index)
        tip = f"<title>{escape(point.label)}: {escape(point.note)}</title>"
        if point.value is None:
            mark = (f'<g class="pt none">{tip}<text x="{x:.1f}" y="{height - bottom - 4}"'
                    ' text-anchor="middle">×</text></g>')
        else:
            y = ys(point.value)
            shape = (f'<path class="pt changed" d="M{x:.1f},{y - 8:.1f} l8,8 l-8,8 l-8,-8 z"/>'
                     if point.changed else
                     f'<circle class="pt" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
            mark = f"<g>{tip}{shape}</g>"
        if point.href:
            mark = f'<a href="{escape(point.href)}">{mark}</a>'
        parts.append(mark)
    parts.append("</svg>")
    return Markup("".join(parts))
