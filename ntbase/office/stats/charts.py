"""The statistics page's charts: server-rendered SVG, accessible (role=img + title).

Kept apart from the figures so that they can be replaced (ECharts) without touching them.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from ntbase.office.stats.services import MONTHS


def bar_chart(items: list[tuple[str, float]], *, title: str, unit: str = "", max_value: float | None = None,
              color: str = "#0b5cab") -> Markup:
    """Horizontal bars with their labels and values; accessible (role=img + title).

    The drawing is narrow (420 units) so that its 14-unit text stays readable when a
    390 px phone scales it down, and it is capped at 560 px wide on a desktop.
    """
    width, label_w, row_h, pad, font = 420, 140, 30, 6, 14
    height = max(1, len(items)) * row_h + 2 * pad
    top = max_value if max_value is not None else max([v for _l, v in items] + [0])
    parts = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    bar_w = width - label_w - 64
    for i, (label, value) in enumerate(items):
        y = pad + i * row_h
        w = 0 if not top else max(0.0, float(value) / float(top) * bar_w)
        text = label if len(label) <= 9 else label[:8] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end" font-size="{font}" '
                     f'fill="#1d2733">{escape(text)}<title>{escape(label)}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" '
                     f'fill="{color}"><title>{escape(label)}: {escape(_fmt(value))}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 19}" font-size="{font}" '
                     f'fill="#3d4853">{escape(_fmt(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def month_chart(months: dict[int, int], *, title: str, color: str = "#0b5cab") -> Markup:
    """Twelve columns, January to December (a 240-unit drawing: readable in a card)."""
    width, height, pad_b, pad_t, font = 240, 120, 16, 14, 10
    top = max(list(months.values()) + [1])
    col = width / 12
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    parts.append(f'<line x1="0" y1="{height - pad_b}" x2="{width}" y2="{height - pad_b}" stroke="#c9d0d8" '
                 f'stroke-width="1"/>')
    for m in MONTHS:
        n = months.get(m, 0)
        h = (height - pad_b - pad_t) * n / top
        x = (m - 1) * col + 2
        y = height - pad_b - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col - 4:.1f}" height="{h:.1f}" fill="{color}">'
                     f'<title>{m}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + (col - 4) / 2:.1f}" y="{y - 3:.1f}" font-size="{font}" '
                         f'text-anchor="middle" fill="#3d4853">{n}</text>')
        parts.append(f'<text x="{x + (col - 4) / 2:.1f}" y="{height - 4}" font-size="{font}" '
                     f'text-anchor="middle" fill="#3d4853">{m}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value)}" if float(value).is_integer() else str(value)
