"""Charts as SVG drawn here, embedded as data-URI images.

As images they need no script and no inline style in the page (the CSP stays strict), and the
same markup renders in PDFs. Every chart also has its numbers in a table next to it.

Drawn by hand rather than with a plotting library: pygal took 6–10 ms a chart, most of the
first view of a page after a change (training coverage draws two); these take a fraction of a
millisecond. 480 wide: a phone shows them at about 0.8×, so 14 px labels stay readable; pages
cap them at 1.5× (app.css img.chart), documents at their column.
"""

from __future__ import annotations

import base64
import functools
import math

from markupsafe import escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif"
COLORS = ("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#ffc107", "#6c757d")
WIDTH, PLOT_HEIGHT, LEFT, RIGHT = 480, 200, 44, 12


def _memo(draw):
    """A chart is a pure function of its numbers and labels: the last few hundred drawn are kept
    per process, by content (never stale: other numbers are another key). The arguments become
    tuples so they can be a key."""
    kept = functools.lru_cache(maxsize=256)(draw)

    @functools.wraps(draw)
    def wrapper(columns, series, title="", *args):
        return kept(tuple(columns), tuple((str(label), tuple(values)) for label, values in series), str(title),
                    *args)

    return wrapper


def _nice(step: float) -> float:
    """The round step (1, 2 or 5 times a power of ten) at or above `step`."""
    power = 10 ** math.floor(math.log10(step)) if step > 0 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= step)


def _ticks(low: float, high: float, whole: bool) -> list[float]:
    step = _nice((high - low) / 5 or 1)
    if whole:
        step = max(1, math.ceil(step))
    top = low + step * math.ceil((high - low) / step) if high > low else low + step
    n = int(round((top - low) / step))
    return [low + k * step for k in range(n + 1)]


def _num(v: float) -> str:
    return f"{v:g}"


class _Canvas:
    """Title, value axis with guides, column labels and a legend around a plot area."""

    def __init__(self, columns: list[str], ticks: list[float], title: str, rotate: bool):
        self.columns, self.ticks = columns, ticks
        self.top = 40 if title else 14
        self.bottom = self.top + PLOT_HEIGHT
        self.slot = (WIDTH - LEFT - RIGHT) / max(len(columns), 1)
        self.parts: list[str] = []
        if title:
            self.parts.append(f'<text x="{WIDTH / 2}" y="24" font-size="16" text-anchor="middle" fill="#212529">'
                              f'{escape(title)}</text>')
        for t in ticks:
            y = self.y(t)
            self.parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ced4da" '
                              f'stroke-dasharray="{"" if t == ticks[0] else "3 3"}"/>')
            self.parts.append(f'<text x="{LEFT - 6}" y="{y + 5:.1f}" font-size="14" text-anchor="end" '
                              f'fill="#495057">{_num(t)}</text>')
        for i, label in enumerate(columns):
            x = self.x(i)
            if rotate:
                self.parts.append(f'<text x="{x:.1f}" y="{self.bottom + 14}" font-size="13" text-anchor="start" '
                                  f'fill="#495057" transform="rotate(30 {x:.1f} {self.bottom + 14})">{escape(label)}</text>')
            else:
                self.parts.append(f'<text x="{x:.1f}" y="{self.bottom + 20}" font-size="14" text-anchor="middle" '
                                  f'fill="#495057">{escape(label)}</text>')
        self.legend_top = self.bottom + (78 if rotate else 46)

    def x(self, i: int) -> float:
        return LEFT + self.slot * (i + 0.5)

    def y(self, v: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.bottom - (v - low) / ((high - low) or 1) * PLOT_HEIGHT

    def svg(self, labels: list[str], one_a_line: bool) -> str:
        x, y = LEFT, self.legend_top
        for n, label in enumerate(labels):
            width = 24 + 15 * len(label)  # CJK characters are about a font size wide
            if not one_a_line and x > LEFT and x + width > WIDTH - RIGHT:
                x, y = LEFT, y + 24
            self.parts.append(f'<rect x="{x}" y="{y - 11}" width="12" height="12" fill="{COLORS[n % len(COLORS)]}"/>')
            self.parts.append(f'<text x="{x + 18}" y="{y}" font-size="15" fill="#212529">{escape(label)}</text>')
            if one_a_line:
                y += 24
            else:
                x += width + 12
        height = (y if one_a_line else y + 24) + 4
        return _svg_uri(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
                        f'height="{height}" font-family="{escape(FONT)}"><rect width="100%" height="100%" fill="white"/>'
                        + "".join(self.parts) + "</svg>")


@_memo
def stacked_bars(columns: list[str], series: list[tuple[str, list[int]]], title: str = "") -> str:
    """Counts per column, the series stacked; the value axis in whole numbers."""
    top = max([sum(v[i] or 0 for _l, v in series) for i in range(len(columns))] + [1])
    canvas = _Canvas(columns, _ticks(0, top, whole=True), title, rotate=False)
    width = canvas.slot * 0.7
    for i in range(len(columns)):
        base = 0
        for n, (_label, values) in enumerate(series):
            v = values[i] or 0
            if v:
                y0, y1 = canvas.y(base), canvas.y(base + v)
                canvas.parts.append(f'<rect x="{canvas.x(i) - width / 2:.1f}" y="{y1:.1f}" width="{width:.1f}" '
                                    f'height="{y0 - y1:.1f}" fill="{COLORS[n % len(COLORS)]}"/>')
            base += v
    return canvas.svg([label for label, _v in series], one_a_line=False)


@_memo
def line(columns: list[str], series: list[tuple[str, list[float | None]]], title: str = "",
         y_range: tuple[float, float] | None = None) -> str:
    """Lines over the columns, broken where a value is missing; dates lie at an angle, short
    labels (months) stand; a legend entry a line (long Chinese names)."""
    values = [v for _l, vs in series for v in vs if v is not None]
    low, high = y_range if y_range is not None else (min(values + [0]), max(values + [1]))
    canvas = _Canvas(columns, _ticks(low, high, whole=False), title, rotate=any(len(c) > 4 for c in columns))
    for n, (_label, vs) in enumerate(series):
        colour, path, pen = COLORS[n % len(COLORS)], [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            x, y = canvas.x(i), canvas.y(v)
            path.append(f"{pen} {x:.1f} {y:.1f}")
            pen = "L"
            canvas.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if path:
            canvas.parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return canvas.svg([label for label, _v in series], one_a_line=True)


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def gauge(value: float, maximum: float, mark: float | None = None, mark_label: str = "") -> str:
    """A half-circle gauge of `value` out of `maximum`, with the pass `mark` as a tick (none when
    the standard sets none: no line is invented). Plotting libraries' gauges cannot mark a
    threshold, and a 320×190 drawing stays legible on a phone."""
    cx, cy, r, width = 160, 160, 120, 28
    share = 0.0 if not maximum else max(0.0, min(1.0, value / maximum))

    def point(fraction: float, radius: float) -> tuple[float, float]:
        angle = math.pi * (1 - fraction)  # 0 → left end, 1 → right end
        return cx + radius * math.cos(angle), cy - radius * math.sin(angle)

    def arc(fraction: float) -> str:
        x, y = point(fraction, r)
        return f"M {cx - r} {cy} A {r} {r} 0 0 1 {x:.2f} {y:.2f}"

    passed = mark is None or value >= mark
    colour = "#198754" if passed else "#dc3545"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200" width="320" height="200" '
             f'font-family="{escape(FONT)}">',
             f'<path d="{arc(1)}" fill="none" stroke="#e9ecef" stroke-width="{width}"/>']
    if share > 0:
        parts.append(f'<path d="{arc(share)}" fill="none" stroke="{colour}" stroke-width="{width}"/>')
    if mark is not None and maximum:
        f = max(0.0, min(1.0, mark / maximum))
        (x1, y1), (x2, y2) = point(f, r - width / 2 - 6), point(f, r + width / 2 + 6)
        lx, ly = point(f, r + width / 2 + 20)
        parts.append(f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="#212529" stroke-width="3"/>')
        parts.append(f'<text x="{lx:.2f}" y="{ly:.2f}" font-size="13" text-anchor="middle" fill="#212529">'
                     f'{escape(mark_label or f"{mark:g}")}</text>')
    parts.append(f'<text x="{cx}" y="{cy - 12}" font-size="34" font-weight="bold" text-anchor="middle" '
                 f'fill="#212529">{value:g}</text>')
    parts.append(f'<text x="{cx}" y="{cy + 22}" font-size="15" text-anchor="middle" fill="#495057">/ {maximum:g}</text>')
    parts.append("</svg>")
    return _svg_uri("".join(parts))


def against_targets(rows: list[tuple[str, float, float]]) -> str:
    """One progress bar per row — its label, what was reached out of its target, the share — on
    one scale (share of the target, 100 % marked), since the rows count different things
    (bases, units, enterprises). Drawn by hand so long Chinese labels sit above their bar and
    stay readable on a phone; rows without a target are left to the table beside it."""
    width, bar, gap = 480, 18, 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {gap * len(rows) + 10}" '
             f'width="{width}" height="{gap * len(rows) + 10}" font-family="{escape(FONT)}">']
    track = width - 20
    for n, (label, actual, target) in enumerate(rows):
        y = n * gap + 22
        share = actual / target if target else 0.0
        fill = track * min(share, 1.0)
        colour = "#198754" if share >= 1 else "#0d6efd"
        parts.append(f'<text x="10" y="{y - 6}" font-size="15" fill="#212529">{escape(label)}</text>')
        parts.append(f'<text x="{width - 10}" y="{y - 6}" font-size="15" text-anchor="end" fill="#212529">'
                     f'{actual:g} / {target:g} · {share * 100:.0f}%</text>')
        parts.append(f'<rect x="10" y="{y}" width="{track}" height="{bar}" fill="#e9ecef"/>')
        if fill > 0:
            parts.append(f'<rect x="10" y="{y}" width="{fill:.1f}" height="{bar}" fill="{colour}"/>')
    parts.append("</svg>")
    return _svg_uri("".join(parts))
