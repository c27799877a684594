"""Charts as SVG from pygal, embedded as data-URI images.

As images they need no script and no inline style in the page (the CSP stays strict), and the
same markup renders in PDFs. Every chart also has its numbers in a table next to it.
"""

from __future__ import annotations

import base64
import re

import pygal
from pygal.style import Style

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif"
STYLE = Style(font_family=FONT, background="white", plot_background="white", foreground="#212529",
              foreground_strong="#212529", foreground_subtle="#6c757d",
              colors=("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#ffc107", "#6c757d"),
              legend_font_size=13, label_font_size=12, major_label_font_size=12, value_font_size=11)
CONFIG = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 800, "height": 320,
          "legend_at_bottom": True, "legend_at_bottom_columns": 4, "print_values": False,
          "show_y_guides": True, "margin": 12}


def _data_uri(chart) -> str:
    # pygal writes its config as an inline script even with js=[]: images never run it, but
    # nothing executable should ship at all.
    svg = re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def stacked_bars(columns: list[str], series: list[tuple[str, list[int]]], title: str = "") -> str:
    chart = pygal.StackedBar(title=title or None, **CONFIG)
    chart.x_labels = columns
    top = max([sum(v[i] for _l, v in series) for i in range(len(columns))] + [1])
    step = max(1, -(-top // 8))
    chart.y_labels = list(range(0, top + step, step))  # counts: whole numbers only
    for label, values in series:
        chart.add(label, values)
    return _data_uri(chart)


def line(columns: list[str], series: list[tuple[str, list[float | None]]], title: str = "",
         y_range: tuple[float, float] | None = None) -> str:
    chart = pygal.Line(title=title or None, range=y_range, allow_interruptions=True, dots_size=3,
                       x_label_rotation=30, **CONFIG)
    chart.x_labels = columns
    for label, values in series:
        chart.add(label, values)
    return _data_uri(chart)
