"""Server-side SVG charts: no chart library, no script, nothing for the CSP to allow."""

from __future__ import annotations

from dataclasses import dataclass

PALETTE = ("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#ffc107", "#6c757d")


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


def stacked_bars(columns: list[str], series: list[tuple[str, list[int]]], width: int = 720, height: int = 220):
    """Rectangles for a stacked bar chart; `series` is [(label, value per column)]."""
    totals = [sum(values[i] for _label, values in series) for i in range(len(columns))]
    top = max(totals + [1])
    slot = width / max(len(columns), 1)
    bars = []
    for i, column in enumerate(columns):
        y = height
        for k, (label, values) in enumerate(series):
            h = height * values[i] / top
            if h:
                y -= h
                bars.append(Bar(i * slot + slot * 0.15, y, slot * 0.7, h, PALETTE[k % len(PALETTE)],
                                f"{column} {label}: {values[i]}"))
    labels = [(i * slot + slot / 2, column, totals[i]) for i, column in enumerate(columns)]
    legend = [(label, PALETTE[k % len(PALETTE)]) for k, (label, _v) in enumerate(series)]
    return {"bars": bars, "labels": labels, "legend": legend, "width": width, "height": height, "top": top}
