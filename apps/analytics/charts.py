"""What a chart shows, once: the page draws it (Chart.js), lists it in a table and exports it as CSV from the
same ``Chart`` object, so the three can never disagree."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

Number = int | Decimal | None


@dataclass(frozen=True)
class Series:
    """One line or set of bars: a value per bucket, and the value of the whole period (None when the period's
    value is not the sum of its buckets' and is not given, e.g. returning clients)."""

    key: str
    label: str
    values: Sequence[Number]
    total: Number = None
    is_money: bool = False
    draw_as: str = ""  # "line" or "bar" to differ from the chart's type
    axis: str = "y"  # "y1": a second scale on the right (a count beside minutes)
    colour: str = ""  # a colour token (--color-ink) instead of the next colour of the palette


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    chart_type: str  # "bar" or "line"
    buckets: list[date]
    labels: list[str]
    series: list[Series]
    stacked: bool = False
    axis_titles: dict[str, str] = field(default_factory=dict)

    @property
    def canvas_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def rows(self) -> list[tuple[date, str, list[Number]]]:
        """One row per bucket: its first day, its label and each series' value."""
        return [
            (bucket, label, [series.values[index] for series in self.series])
            for index, (bucket, label) in enumerate(zip(self.buckets, self.labels, strict=True))
        ]

    @property
    def totals(self) -> list[Number]:
        return [series.total for series in self.series]

    @property
    def table_rows(self) -> list[tuple[str, list[tuple[Number, bool]]]]:
        """The table under the chart: each bucket's label and its cells (value, is money)."""
        return [
            (label, [(value, series.is_money) for value, series in zip(values, self.series, strict=True)])
            for _, label, values in self.rows
        ]

    @property
    def table_totals(self) -> list[tuple[Number, bool]]:
        return [(series.total, series.is_money) for series in self.series]

    def spec(self) -> dict[str, Any]:
        """What static/js/analytics-charts.js draws (money as strings: no float ever leaves the server)."""
        return {
            "canvas": self.canvas_id,
            "type": self.chart_type,
            "stacked": self.stacked,
            "labels": self.labels,
            "axisTitles": self.axis_titles,
            "datasets": [
                {
                    "label": series.label,
                    "data": [None if value is None else str(value) for value in series.values],
                    "type": series.draw_as or self.chart_type,
                    "axis": series.axis,
                    "money": series.is_money,
                    "colour": series.colour,
                }
                for series in self.series
            ],
        }


def csv_rows(charts: list[Chart]) -> list[list[str]]:
    """The numbers of ``charts`` as one table: a row per bucket (they share their buckets), a column per series,
    and a last row for the whole period."""
    if not charts:
        return []
    header = ["Period starting"] + [f"{chart.title}: {series.label}" for chart in charts for series in chart.series]
    rows = [header]
    for index, bucket in enumerate(charts[0].buckets):
        rows.append([bucket.isoformat()] + [_cell(series.values[index]) for chart in charts for series in chart.series])
    rows.append(["Whole period"] + [_cell(series.total) for chart in charts for series in chart.series])
    return rows


def _cell(value: Number) -> str:
    return "" if value is None else str(value)
