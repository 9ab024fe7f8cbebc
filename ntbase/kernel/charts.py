"""Chart data for ``static/js/charts.js`` (Apache ECharts, vendored in static/vendor/).

Pages keep the table of numbers beside each chart (screen readers, no-JS browsers, copy
and paste); the chart is drawn from a JSON spec in the element's ``data-chart`` attribute
(``templates/_macros/charts.html``), never from inline script. A spec is plain data:
title, category labels, one or more series of numbers, an optional line (a requirement)
and the unit shown after values. Numbers are floats for display only: the tables beside
show the exact Decimal values.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

PRIMARY = "#0b5cab"
OK = "#1c7c3a"
ACCENT = "#c98a00"
MUTED = "#8a96a3"


def _num(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal("0.1")))
    return float(value)


def bars(title: str, labels: Sequence[str], values: Iterable, *, unit: str = "", max_value: float | None = None,
         color: str = PRIMARY) -> dict:
    """Horizontal bars, one per label, first on top (shares, categories)."""
    return {"kind": "bars", "title": str(title), "labels": [str(x) for x in labels], "unit": str(unit),
            "max": max_value, "series": [{"name": str(title), "values": [_num(v) for v in values],
                                          "color": color}]}


def columns(title: str, labels: Sequence[str], series: Sequence[tuple[str, Iterable, str]], *, unit: str = "",
            stacked: bool = False, line: tuple[str, Iterable, str] | None = None, compact: bool = False) -> dict:
    """Vertical columns over ``labels`` (months, years): ``series`` is [(name, values, color)],
    stacked or side by side; ``line`` an optional (name, values, color) drawn over them."""
    spec = {"kind": "columns", "title": str(title), "labels": [str(x) for x in labels], "unit": str(unit),
            "stacked": stacked, "compact": compact,
            "series": [{"name": str(n), "values": [_num(v) for v in vals], "color": c} for n, vals, c in series]}
    if line is not None:
        name, vals, color = line
        spec["line"] = {"name": str(name), "values": [_num(v) for v in vals], "color": color}
    return spec


__all__ = ["bars", "columns", "PRIMARY", "OK", "ACCENT", "MUTED"]
