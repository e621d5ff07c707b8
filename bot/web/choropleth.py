"""The dashboards' choropleth: kelurahan shapes coloured by a count, as server-side SVG (no tiles, no script).

The path strings come ready from ``bot.map_shapes`` (projected and simplified once per geometry version), so
a map is string formatting only. Each shape is a link to its kelurahan's dashboard with a <title> giving its
name and figure; the page shows the same figures as a table and the class breaks as a legend.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

from bot.map_shapes import MapShapes, Shape

# Sequential ColorBrewer schemes (Blues, Reds); the first colour is "none" (no reports of this kind).
PALETTES = {"terbuka": ("#f2f4f7", "#c6dbef", "#6baed6", "#2171b5", "#08306b"),
            "terlambat": ("#f2f4f7", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d")}
STROKE = "#52606d"
INSET_FRAME = "#9aa5b1"


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    href: str
    value: int


@dataclass(frozen=True)
class LegendClass:
    low: int
    high: int
    colour: str
    shapes: int  # how many kelurahan fall in it


def class_breaks(values: Sequence[int], classes: int = 4) -> list[tuple[int, int]]:
    """Value ranges (inclusive): 0 alone, then up to ``classes`` ranges at the quartiles of the positive values
    (fewer when values repeat), so a few very large kelurahan do not wash out the rest."""
    positive = sorted(v for v in values if v > 0)
    ranges = [(0, 0)]
    low = 1
    for i in range(1, classes + 1):
        if not positive:
            break
        high = positive[min(len(positive) - 1, (len(positive) * i + classes - 1) // classes - 1)]
        if high >= low:
            ranges.append((low, high))
            low = high + 1
    return ranges


def _class_of(value: int, ranges: Sequence[tuple[int, int]]) -> int:
    for i, (_low, high) in enumerate(ranges):
        if value <= high:
            return i
    return len(ranges) - 1


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _union(shapes: Sequence[Shape]) -> tuple[int, int, int, int]:
    return (min(s.bbox[0] for s in shapes), min(s.bbox[1] for s in shapes),
            max(s.bbox[2] for s in shapes), max(s.bbox[3] for s in shapes))


def render(shapes: MapShapes, areas: Sequence[MapArea], *, colour_by: str, title: str, desc: str,
           value_label: str, inset_label: str, chart_id: str = "map") -> tuple[Markup, list[LegendClass]]:
    """The SVG and its legend. ``areas`` without a stored shape are left out (the table still lists them);
    Kepulauan Seribu goes in an inset when the mainland is on the same map."""
    palette = PALETTES[colour_by]
    drawn = [(a, shapes.shapes[a.code]) for a in areas if a.code in shapes.shapes]
    if not drawn:
        return Markup(""), []
    ranges = class_breaks([a.value for a, _ in drawn], len(palette) - 1)
    counts = [0] * len(ranges)
    main = [s for _, s in drawn if not s.inset]
    inset = [s for _, s in drawn if s.inset] if main else []
    main = main or [s for _, s in drawn]
    mx0, my0, mx1, my1 = _union(main)
    width, height = max(1, mx1 - mx0), max(1, my1 - my0)
    pad = max(width, height) // 50 + 1
    font = max(width, height) // 32 + 1
    left: float = mx0 - pad
    inset_g = ""
    bottom = my1 + pad
    if inset:
        ix0, iy0, ix1, iy1 = _union(inset)
        scale = min(0.3 * width / max(1, ix1 - ix0), 0.8 * height / max(1, iy1 - iy0))
        box_w, box_h = (ix1 - ix0) * scale + 2 * pad, (iy1 - iy0) * scale + 3 * pad + font
        left = mx0 - 2 * pad - box_w
        box_x, box_y = left, my0
        tx, ty = box_x + pad - ix0 * scale, box_y + 2 * pad + font - iy0 * scale
        bottom = max(bottom, int(box_y + box_h) + pad)
        inset_g = (f'<rect x="{box_x:.0f}" y="{box_y:.0f}" width="{box_w:.0f}" height="{box_h:.0f}" fill="none" '
                   f'stroke="{INSET_FRAME}" vector-effect="non-scaling-stroke"/>'
                   f'<text x="{box_x + pad:.0f}" y="{box_y + pad + font:.0f}" font-size="{font}" '
                   f'font-family="system-ui, sans-serif" fill="#1f2933">{_e(inset_label)}</text>'
                   f'<g transform="translate({tx:.1f} {ty:.1f}) scale({scale:.4f})">')
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left:.0f} {my0 - pad} {mx1 + pad - left:.0f} {bottom - my0 + pad}" '
           f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart choropleth" id="{chart_id}">',
           f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>',
           f'<g font-family="system-ui, sans-serif" fill="#1f2933" stroke="{STROKE}" stroke-width="0.6" '
           f'fill-rule="evenodd">']
    insets: list[str] = []
    for area, shape in drawn:
        k = _class_of(area.value, ranges)
        counts[k] += 1
        link = (f'<a href="{_e(area.href)}"><path d="{shape.path}" fill="{palette[k]}" class="map-c{k}" '
                f'data-code="{_e(area.code)}" vector-effect="non-scaling-stroke"><title>{_e(area.name)}: '
                f'{area.value} {_e(value_label)}</title></path></a>')
        (insets if shape.inset and inset else out).append(link)
    out.append("</g>")
    if inset:
        out.append(inset_g + f'<g stroke="{STROKE}" stroke-width="0.6" fill-rule="evenodd">' + "".join(insets) + "</g></g>")
    out.append("</svg>")
    legend = [LegendClass(low, high, palette[i], counts[i]) for i, (low, high) in enumerate(ranges)]
    return Markup("".join(out)), legend
