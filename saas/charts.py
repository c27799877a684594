"""Charts as SVG from pygal, embedded as data-URI images.

As images they need no script and no inline style in the page (the CSP stays strict), and the
same markup renders in PDFs. Every chart also has its numbers in a table next to it.
"""

from __future__ import annotations

import base64
import functools
import re

import pygal
from pygal.style import Style

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif"
STYLE = Style(font_family=FONT, background="white", plot_background="white", foreground="#212529",
              foreground_strong="#212529", foreground_subtle="#6c757d",
              colors=("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#ffc107", "#6c757d"),
              legend_font_size=15, label_font_size=14, major_label_font_size=14, value_font_size=13,
              title_font_size=16)
# 480 wide: a phone shows it at about 0.8×, so its 14 px labels stay readable; pages cap it
# at 1.5× (app.css img.chart), documents at their column.
CONFIG = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 480, "height": 320,
          "legend_at_bottom": True, "legend_at_bottom_columns": 4, "print_values": False,
          "show_y_guides": True, "margin": 12}


def _data_uri(chart) -> str:
    # pygal writes its config as an inline script even with js=[]: images never run it, but
    # nothing executable should ship at all.
    svg = re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _memo(draw):
    """A chart is a pure function of its numbers and labels, and pygal takes 10–30 ms to draw
    one: the last few hundred drawn are kept per process, by content (never stale: other
    numbers are another key). The arguments become tuples so they can be a key."""
    kept = functools.lru_cache(maxsize=256)(draw)

    @functools.wraps(draw)
    def wrapper(columns, series, title="", *args):
        return kept(tuple(columns), tuple((str(label), tuple(values)) for label, values in series), str(title),
                    *args)

    return wrapper


@_memo
def stacked_bars(columns: list[str], series: list[tuple[str, list[int]]], title: str = "") -> str:
    chart = pygal.StackedBar(title=title or None, **CONFIG)
    chart.x_labels = columns
    top = max([sum(v[i] for _l, v in series) for i in range(len(columns))] + [1])
    step = max(1, -(-top // 8))
    chart.y_labels = list(range(0, top + step, step))  # counts: whole numbers only
    for label, values in series:
        chart.add(label, values)
    return _data_uri(chart)


@_memo
def line(columns: list[str], series: list[tuple[str, list[float | None]]], title: str = "",
         y_range: tuple[float, float] | None = None) -> str:
    # Dates lie down at an angle; short labels (months) stand as they are. A legend entry a line:
    # long Chinese names do not fit four to a row at this width.
    rotate = 30 if any(len(c) > 4 for c in columns) else 0
    chart = pygal.Line(title=title or None, range=y_range, allow_interruptions=True, dots_size=3,
                       x_label_rotation=rotate, **{**CONFIG, "legend_at_bottom_columns": 1, "height": 360})
    chart.x_labels = columns
    for label, values in series:
        chart.add(label, values)
    return _data_uri(chart)


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _esc(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def gauge(value: float, maximum: float, mark: float | None = None, mark_label: str = "") -> str:
    """A half-circle gauge of `value` out of `maximum`, with the pass `mark` as a tick (none when
    the standard sets none: no line is invented). Drawn by hand: pygal's gauges cannot mark a
    threshold, and a 320×190 drawing stays legible on a phone."""
    import math

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
             f'font-family="{_esc(FONT)}">',
             f'<path d="{arc(1)}" fill="none" stroke="#e9ecef" stroke-width="{width}"/>']
    if share > 0:
        parts.append(f'<path d="{arc(share)}" fill="none" stroke="{colour}" stroke-width="{width}"/>')
    if mark is not None and maximum:
        f = max(0.0, min(1.0, mark / maximum))
        (x1, y1), (x2, y2) = point(f, r - width / 2 - 6), point(f, r + width / 2 + 6)
        lx, ly = point(f, r + width / 2 + 20)
        parts.append(f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="#212529" stroke-width="3"/>')
        parts.append(f'<text x="{lx:.2f}" y="{ly:.2f}" font-size="13" text-anchor="middle" fill="#212529">'
                     f'{_esc(mark_label or f"{mark:g}")}</text>')
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
             f'width="{width}" height="{gap * len(rows) + 10}" font-family="{_esc(FONT)}">']
    track = width - 20
    for n, (label, actual, target) in enumerate(rows):
        y = n * gap + 22
        share = actual / target if target else 0.0
        fill = track * min(share, 1.0)
        colour = "#198754" if share >= 1 else "#0d6efd"
        parts.append(f'<text x="10" y="{y - 6}" font-size="15" fill="#212529">{_esc(label)}</text>')
        parts.append(f'<text x="{width - 10}" y="{y - 6}" font-size="15" text-anchor="end" fill="#212529">'
                     f'{actual:g} / {target:g} · {share * 100:.0f}%</text>')
        parts.append(f'<rect x="10" y="{y}" width="{track}" height="{bar}" fill="#e9ecef"/>')
        if fill > 0:
            parts.append(f'<rect x="10" y="{y}" width="{fill:.1f}" height="{bar}" fill="{colour}"/>')
    parts.append("</svg>")
    return _svg_uri("".join(parts))
