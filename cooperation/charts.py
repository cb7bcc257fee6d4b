"""Charts of the portal's pages: SVG drawn on the server by pygal, shown inline, no script.

A :class:`Chart` holds its figures (categories along the x axis, one series per stacked
group) and renders them twice: as an SVG picture and, for anyone who cannot see it, as the
table of the same numbers (``templates/portal/_chart.html`` shows both). The picture carries
its title and description for screen readers.

pygal's output is trimmed before it reaches the page: its inline ``<style>`` and ``<script>``
go (a strict Content Security Policy allows neither); the portal's stylesheet colours the
chart through pygal's class names (``.color-0`` ... in ``static/css/portal.css``), so every
chart shares the portal's palette.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import pygal
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import SafeString, mark_safe
from pygal.etree import etree
from pygal.style import Style

# Series colours: the portal's calm blues, greens and earth tones, each at least 3:1 against
# white; portal.css repeats them as .color-0 ... .color-8. More series reuse them in order.
PALETTE = (
    "#1a5a85",
    "#2e8b7a",
    "#b5651d",
    "#7b5ea7",
    "#5d7f2f",
    "#c0455a",
    "#9b3d7a",
    "#8a6d3b",
    "#5f6b7a",
)

# Sizes pygal lays the chart out with; portal.css draws the text at the same sizes.
STYLE = Style(
    colors=PALETTE,
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=11,
    no_data_font_size=14,
)

SVG_NS = "{http://www.w3.org/2000/svg}"


def period_label(start: datetime.date, period: str) -> str:
    """How a period reads on an axis and in a table: ``Oct 2026``, ``2026 Q4``, ``2026``."""
    if period == "month":
        return start.strftime("%b %Y")
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def number(value, decimals: int = 0) -> str:
    """A figure grouped by thousands (``1,250``; ``—`` for nothing)."""
    if value is None:
        return "—"
    rounded = round(Decimal(value), decimals)
    return intcomma(f"{rounded:.{decimals}f}" if decimals else int(rounded))


def axis_ticks(highest) -> list:
    """Round values for the y axis from zero past ``highest``: steps of 1, 2 or 5 times a
    power of ten, five or so of them (whole numbers: counts never read 0.5)."""
    highest = float(highest or 0)
    if highest <= 0:
        return [0, 1]
    step = 1.0
    while highest / step > 6:
        for factor in (2, 2.5, 2):  # 1 -> 2 -> 5 -> 10 -> 20 ...
            step *= factor
            if highest / step <= 6:
                break
    count = int(-(-highest // step))
    return [int(step * index) for index in range(count + 1)]


@dataclass
class Series:
    name: str
    values: list  # one number (or None) per category
    colour: int = 0  # index in PALETTE: fixed per group, so a group looks the same everywhere

    @property
    def colour_class(self) -> str:
        return f"color-{self.colour % len(PALETTE)}"

    @property
    def total(self):
        return sum(value or 0 for value in self.values)


@dataclass
class Chart:
    """Stacked bars: ``categories`` along the x axis, one :class:`Series` per stacked group.

    ``key`` names the chart in its page (element ids); ``unit`` follows each value in the
    table and the hover text (``kg``)."""

    key: str
    title: str
    description: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    unit: str = ""
    decimals: int = 0
    category_label: str = "Period"
    empty_text: str = "Nothing to chart yet, or nothing you may see."
    width: int = 640
    height: int = 260

    def legend(self) -> list[tuple[str, str]]:
        """``(series name, colour class)`` per series."""
        return [(series.name, series.colour_class) for series in self.series]

    @property
    def empty(self) -> bool:
        return not any(value for series in self.series for value in series.values)

    def table_rows(self) -> list[tuple[str, list[str], str]]:
        """``(category, [formatted value per series], formatted total)`` per category."""
        rows = []
        for index, category in enumerate(self.categories):
            values = [series.values[index] for series in self.series]
            rows.append(
                (
                    category,
                    [number(value or 0, self.decimals) for value in values],
                    number(sum(value or 0 for value in values), self.decimals),
                )
            )
        return rows

    def table_totals(self) -> tuple[list[str], str]:
        totals = [series.total for series in self.series]
        return [number(total, self.decimals) for total in totals], number(
            sum(totals), self.decimals
        )

    def highest(self):
        """The tallest stack."""
        return max(
            (sum(s.values[i] or 0 for s in self.series) for i in range(len(self.categories))),
            default=0,
        )

    @cached_property
    def svg(self) -> SafeString:
        """The chart as inline SVG markup: no style element, no script."""
        chart = pygal.StackedBar(
            style=STYLE,
            width=self.width,
            height=self.height,
            js=[],
            no_prefix=True,
            show_legend=False,  # the page draws the legend: it wraps, and reads at any size
            truncate_label=-1,
            show_minor_x_labels=len(self.categories) <= 12,
            x_labels_major_every=max(1, len(self.categories) // 8),
            value_formatter=lambda value: number(value, self.decimals),
            y_labels=axis_ticks(self.highest()),
            range=(0, axis_ticks(self.highest())[-1]),
            margin=8,
            spacing=8,
            print_values=False,
        )
        chart.x_labels = self.categories
        for series in self.series:
            chart.add(series.name, [value or None for value in series.values])
        root = chart.render_tree()
        self._trim(root)
        return mark_safe(etree.tostring(root, encoding="unicode"))  # noqa: S308 - built here # nosec

    def _trim(self, root) -> None:
        """Drop pygal's style, script, comments and script-driven tooltip layer; name the
        picture for assistive technology; give each bar a hover title."""
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                classes = child.get("class", "").split()
                if not tag or tag.endswith(("style", "script")) or "tooltip-overlay" in classes:
                    parent.remove(child)
        root.attrib.pop("id", None)
        root.set("role", "img")
        root.set("aria-labelledby", f"{self.key}-svg-title {self.key}-svg-desc")
        root.set("class", "pygal-chart")
        description = etree.Element(f"{SVG_NS}desc" if root.tag.startswith("{") else "desc")
        description.set("id", f"{self.key}-svg-desc")
        description.text = self.summary()
        title = etree.Element(f"{SVG_NS}title" if root.tag.startswith("{") else "title")
        title.set("id", f"{self.key}-svg-title")
        title.text = self.title
        root.insert(0, description)
        root.insert(0, title)
        suffix = f" {self.unit}" if self.unit else ""
        for group in root.iter():
            classes = group.get("class", "").split()
            if "series" not in classes:
                continue
            index = next(int(c[6:]) for c in classes if c.startswith("serie-"))
            # pygal colours by position; the series keeps its own colour instead.
            group.set(
                "class",
                " ".join(
                    self.series[index].colour_class if c.startswith("color-") else c
                    for c in classes
                ),
            )
            for bar in group.iter():
                if bar.get("class") != "bar":
                    continue
                descs = {d.get("class", ""): d.text for d in bar if d.tag.endswith("desc")}
                hover = etree.SubElement(bar, "title")
                hover.text = (
                    f"{descs.get('x_label', '')} · {self.series[index].name}: "
                    f"{descs.get('value', '')}{suffix}"
                )

    def summary(self) -> str:
        """One sentence a screen reader reads for the picture: what it shows and the totals."""
        totals = sorted(self.series, key=lambda s: s.total, reverse=True)
        suffix = f" {self.unit}" if self.unit else ""
        parts = [f"{s.name} {number(s.total, self.decimals)}{suffix}" for s in totals if s.total]
        span = f", {self.categories[0]} to {self.categories[-1]}" if self.categories else ""
        text = f"{self.description}{span}."
        if parts:
            text += " Totals: " + "; ".join(parts) + ". The table below gives every figure."
        return text


def stacked_series(
    rows: list[dict],
    *,
    categories: list,
    category_field: str,
    group_field: str,
    value_field: str,
    groups: dict,
) -> list[Series]:
    """Pivot grouped rows (as :func:`operations.stats.aggregate` returns them) into one
    :class:`Series` per group, in the order of ``groups`` (code -> name); groups without a
    figure are left out. ``categories`` are the values of ``category_field`` to chart, in
    order (missing ones chart as zero). A group's colour is its place in ``groups``."""
    position = {category: index for index, category in enumerate(categories)}
    values: dict = {}
    for row in rows:
        index = position.get(row[category_field])
        if index is None or not row[value_field]:
            continue
        line = values.setdefault(row[group_field], [0] * len(categories))
        line[index] += row[value_field]
    slots = {code: index for index, code in enumerate(groups)}
    ordered = [code for code in groups if code in values]
    ordered += [code for code in values if code not in groups]
    return [
        Series(
            str(groups.get(code, code or "Unknown")),
            values[code],
            colour=slots.get(code, len(slots)),
        )
        for code in ordered
    ]
