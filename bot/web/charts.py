"""Server-rendered SVG charts: no script, no CDN, readable without colour.

Each chart is an ``<svg role="img">`` with a <title> and <desc>; the pages
also show the same numbers as a table for screen readers and printing.
"""
from __future__ import annotations

from html import escape
from typing import Any, Sequence

from markupsafe import Markup

# Colours chosen for contrast on white (WCAG AA for the text colours).
INK = "#1f2933"
GRID = "#d5dbe1"
BAR = "#9fb3c8"
LINE = "#0b6e4f"
TARGET = "#b42318"


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def sla_chart(weeks: Sequence[dict[str, Any]], *, title: str, desc: str, labels: Sequence[str],
              due_label: str, pct_label: str, chart_id: str = "sla", target_pct: float | None = None,
              width: int = 360, height: int = 240) -> Markup:
    """Bars: tickets due per week (left scale). Line and dots: % handled on time (right scale, 0-100)."""
    left, right, top, bottom = 34, 46, 12, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(weeks))
    step = plot_w / n
    max_due = max([w["due"] for w in weeks] + [1])
    nice = _nice_ceiling(max_due)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" preserveAspectRatio="xMidYMid meet">',
           f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>',
           f'<g font-family="system-ui, sans-serif" font-size="13" fill="{INK}">']
    for i in range(5):  # grid and both scales
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(round(nice * i / 4))}</text>')
        out.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}">{25 * i}%</text>')
    if target_pct is not None:
        y = top + plot_h - plot_h * target_pct / 100
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TARGET}" '
                   f'stroke-dasharray="6 4" stroke-width="1.5"/>')
    points = []
    for i, w in enumerate(weeks):
        x = left + step * i
        bar_h = plot_h * w["due"] / nice
        out.append(f'<rect x="{x + step * 0.18:.1f}" y="{top + plot_h - bar_h:.1f}" width="{step * 0.64:.1f}" '
                   f'height="{bar_h:.1f}" fill="{BAR}"><title>{_e(labels[i])}: {_e(w["due"])} {_e(due_label)}</title></rect>')
        if (n - 1 - i) % max(1, (n + 3) // 4) == 0:
            out.append(f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{_e(labels[i])}</text>')
        if w.get("pct") is not None:
            points.append((x + step / 2, top + plot_h - plot_h * w["pct"] / 100, w["pct"], labels[i]))
    if len(points) > 1:
        path = " ".join(f"{'M' if j == 0 else 'L'}{px:.1f},{py:.1f}" for j, (px, py, _, _) in enumerate(points))
        out.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for px, py, pct, label in points:
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{LINE}"><title>{_e(label)}: {_e(pct)}% '
                   f'{_e(pct_label)}</title></circle>')
    # legend
    ly = height - 12
    out.append(f'<rect x="{left}" y="{ly - 9}" width="12" height="10" fill="{BAR}"/>'
               f'<text x="{left + 16}" y="{ly}">{_e(due_label)}</text>')
    lx = left + 30 + 7 * len(due_label)
    out.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{ly - 4}" y2="{ly - 4}" stroke="{LINE}" stroke-width="2.5"/>'
               f'<circle cx="{lx + 8}" cy="{ly - 4}" r="3.5" fill="{LINE}"/>'
               f'<text x="{lx + 22}" y="{ly}">{_e(pct_label)}</text>')
    out.append("</g></svg>")
    return Markup("".join(out))


def hbar_chart(rows: Sequence[tuple[str, int]], *, title: str, chart_id: str, width: int = 360,
               bar_colour: str = "#3e6b8a") -> Markup:
    """Horizontal bars with the value printed at the end of each bar."""
    row_h, label_w, top = 30, 130, 4
    height = top * 2 + row_h * max(1, len(rows))
    max_v = max([v for _, v in rows] + [1])
    plot_w = width - label_w - 44
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{chart_id}-t" class="chart">',
           f'<title id="{chart_id}-t">{_e(title)}</title>',
           f'<g font-family="system-ui, sans-serif" font-size="14" fill="{INK}">']
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * value / max_v
        short = label if len(label) <= 16 else label[:15] + "…"
        out.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{max(w, 1):.1f}" height="{row_h - 10}" fill="{bar_colour}"/>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 19}">{_e(value)}</text>')
    out.append("</g></svg>")
    return Markup("".join(out))


def _nice_ceiling(v: int) -> int:
    """A round axis maximum at or above ``v``, divisible by 4."""
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000, 20000, 40000, 100000):
        if v <= step:
            return step
    return ((v + 3999) // 4000) * 4000
