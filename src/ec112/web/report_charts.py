"""Server-rendered SVG bar charts for the reports: no JavaScript chart library, so that they print, need no CDN
and read the same with scripts off. Every label is escaped; every bar has a ``<title>`` (its value as text, for
screen readers and the mouse) and the chart carries ``role="img"`` with an ``aria-label``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 40, 46, 12


@dataclass(frozen=True, slots=True)
class Series:
    name: str  # the legend, already translated
    css: str  # the class that colours its bars (static/css/reports.css)
    values: Sequence[float]


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "",
              maximum: float | None = None) -> Markup:
    """Grouped bars: one group per label, one bar per series; ``maximum`` fixes the scale (100 for percentages)."""
    top = maximum if maximum is not None else max([v for s in series for v in s.values] + [1.0])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, min(28.0, (slot - 6) / max(1, len(series))))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_fmt(top * fraction)}{escape(unit)}</text>')
    every = max(1, len(labels) // 16)  # a month has 31 days: label every other one
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + (slot - bar * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else 0.0
            h = plot_h * min(1.0, value / top) if top else 0.0
            parts.append(f'<rect class="{escape(s.css)}" data-label="{escape(label)}" data-value="{_fmt(value)}" '
                         f'x="{x0 + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar - 1:.1f}" height="{h:.1f}"><title>{escape(label)} · {escape(s.name)}: '
                         f'{_fmt(value)}{escape(unit)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text class="axis" x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for j, s in enumerate(series):
        x = LEFT + j * 170
        parts.append(f'<rect class="{escape(s.css)}" x="{x}" y="{HEIGHT - 16}" width="10" height="10"/>'
                     f'<text class="legend" x="{x + 14}" y="{HEIGHT - 7}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated text above is escaped)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
