"""The statistics page's charts: data specs drawn in the browser by Apache ECharts
(``static/js/charts.js``, built with ``ntbase.kernel.charts``); the page keeps its tables
of the same numbers for screen readers and browsers without JavaScript."""
from __future__ import annotations

from ntbase.kernel import charts

MONTHS = list(range(1, 13))


def bar_chart(items: list[tuple[str, float]], *, title: str, unit: str = "", max_value: float | None = None,
              color: str = charts.PRIMARY) -> dict:
    """Horizontal bars with their labels (full names: the chart shortens them to fit)."""
    return charts.bars(title, [label for label, _v in items], [v for _l, v in items], unit=unit,
                       max_value=max_value, color=color)


def month_chart(months: dict[int, int], *, title: str, color: str = charts.PRIMARY) -> dict:
    """Twelve columns, January to December, small enough for a card."""
    return charts.columns(title, [str(m) for m in MONTHS], [(title, [months.get(m, 0) for m in MONTHS], color)],
                          compact=True)
