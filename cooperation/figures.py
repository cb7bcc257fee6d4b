"""Figures the portal's pages show, computed in the database with grouped queries.

Like :mod:`operations.stats` (whose statements several of these reuse), every function here
takes querysets the caller has already cut by ``visible_to``: a figure is only ever a roll-up
of rows the reader may open. Nothing here loops over records in Python; it only arranges the
few rows a grouped statement returns.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from cooperation.charts import Chart, period_label, stacked_series
from operations import stats
from operations.models import OperationKind, OperationStatus, SubstanceGroup

# ---------------------------------------------------------------------------------------------
# Periods


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) the month of ``start``."""
    index = start.year * 12 + start.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_starts(first: datetime.date, last: datetime.date, period: str) -> list[datetime.date]:
    """First days of the periods (month, quarter, year) from the one holding ``first`` to the
    one holding ``last``, as ``date_trunc`` gives them."""
    step = {"month": 1, "quarter": 3, "year": 12}[period]
    start = month_start(first)
    start = start.replace(month=start.month - (start.month - 1) % step)
    if period == "year":
        start = start.replace(month=1)
    starts = []
    while start <= last:
        starts.append(start)
        start = add_months(start, step)
    return starts


@dataclass(frozen=True)
class Month:
    """A calendar month: its first and last day."""

    first: datetime.date

    @property
    def last(self) -> datetime.date:
        return add_months(self.first, 1) - datetime.timedelta(days=1)

    @property
    def previous(self) -> Month:
        return Month(add_months(self.first, -1))

    @property
    def label(self) -> str:
        return self.first.strftime("%B %Y")

    @classmethod
    def latest_complete(cls, today: datetime.date) -> Month:
        return cls(add_months(month_start(today), -1))

    def q(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__range": (self.first, self.last)})


# ---------------------------------------------------------------------------------------------
# Key figures of a month


@dataclass
class KeyFigure:
    """A figure of one month beside the month before, with the list of the records behind it."""

    label: str
    value: int | Decimal
    previous: int | Decimal
    unit: str = ""
    url: str = ""
    decimals: int = 0

    @property
    def change(self):
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """``up``, ``down`` or ``same``: for the arrow, and for assistive text."""
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"


@dataclass
class MonthFigures:
    month: Month
    figures: list[KeyFigure] = field(default_factory=list)
    operations: int = 0  # all the operations counted from, whatever their dates
    agreements: int = 0


def month_figures(*, operations, seizures, agreements, month: Month) -> MonthFigures:
    """Operations started and completed, arrests, kilograms seized and agreements signed in
    ``month`` and in the month before, and how many operations and agreements there are in
    all: three grouped statements, one per table.

    Arrests are counted with the operation's start, as the statistics API groups them."""
    this, last = month, month.previous
    ops = operations.order_by().aggregate(
        total=Count("pk"),
        started=Count("pk", filter=this.q("started_on")),
        started_before=Count("pk", filter=last.q("started_on")),
        completed=Count("pk", filter=this.q("ended_on") & Q(status=OperationStatus.COMPLETED)),
        completed_before=Count(
            "pk", filter=last.q("ended_on") & Q(status=OperationStatus.COMPLETED)
        ),
        arrested=Coalesce(Sum("arrests", filter=this.q("started_on")), 0),
        arrested_before=Coalesce(Sum("arrests", filter=last.q("started_on")), 0),
    )
    # Only the two months' seizures are read (by the index on the day seized).
    kg = (
        seizures.filter(seized_on__range=(last.first, this.last))
        .order_by()
        .aggregate(
            kg=Sum("kg_equivalent", filter=this.q("seized_on")),
            kg_before=Sum("kg_equivalent", filter=last.q("seized_on")),
        )
    )
    signed = agreements.order_by().aggregate(
        total=Count("pk"),
        signed=Count("pk", filter=this.q("signed_on")),
        signed_before=Count("pk", filter=last.q("signed_on")),
    )
    first, final = this.first.isoformat(), this.last.isoformat()
    started = f"started_after={first}&started_before={final}"
    operations_list, agreements_list = reverse("operations:list"), reverse("agreements:list")
    return MonthFigures(
        month=this,
        operations=ops["total"],
        agreements=signed["total"],
        figures=[
            KeyFigure(
                "Operations started",
                ops["started"],
                ops["started_before"],
                url=f"{operations_list}?{started}",
            ),
            KeyFigure(
                "Operations completed",
                ops["completed"],
                ops["completed_before"],
                url=(
                    f"{operations_list}?status=completed&ended_after={first}&ended_before={final}"
                ),
            ),
            KeyFigure(
                "Arrests",
                ops["arrested"],
                ops["arrested_before"],
                url=f"{operations_list}?{started}&ordering=-arrests",
            ),
            KeyFigure("Seized", kg["kg"] or Decimal(0), kg["kg_before"] or Decimal(0), unit="kg"),
            KeyFigure(
                "Agreements signed",
                signed["signed"],
                signed["signed_before"],
                url=f"{agreements_list}?signed_after={first}&signed_before={final}",
            ),
        ],
    )


# ---------------------------------------------------------------------------------------------
# Trends, as charts


def operations_by_kind_chart(
    operations, *, first: datetime.date, last: datetime.date, key: str = "operations-by-kind"
) -> Chart:
    """Operations started each month from ``first`` to ``last``, stacked by kind."""
    months = period_starts(first, last, "month")
    rows = stats.aggregate(
        stats.OPERATIONS,
        operations.filter(started_on__range=(months[0], last)),
        group_by=["period", "kind"],
        period="month",
    )
    kinds = dict(OperationKind.objects.values_list("code", "name"))
    return Chart(
        key=key,
        title="Operations started per month, by kind",
        description="Joint operations started each month, stacked by kind",
        categories=[period_label(month, "month") for month in months],
        series=stacked_series(
            rows,
            categories=months,
            category_field="period",
            group_field="kind",
            value_field="operations",
            groups=kinds,
        ),
        category_label="Month",
        empty_text="No operation you may see started in these months.",
    )


def seizures_by_group_chart(
    seizures,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    period: str = "quarter",
    key: str = "seizures-by-group",
    title: str = "",
    empty_text: str = "No seizure you may see is recorded for this period.",
) -> Chart:
    """Kilograms seized per ``period``, stacked by UNODC substance group. Without ``first``
    the chart starts at the earliest seizure (one statement tells both)."""
    if first is not None:
        seizures = seizures.filter(seized_on__gte=first)
    if last is not None:
        seizures = seizures.filter(seized_on__lte=last)
    rows = stats.aggregate(
        stats.SEIZURES, seizures, group_by=["period", "substance_group"], period=period
    )
    found = [row["period"] for row in rows]
    start = first or (min(found) if found else None)
    end = last or (max(found) if found else None)
    periods = period_starts(start, end, period) if start and end else []
    groups = dict(SubstanceGroup.objects.values_list("code", "name"))
    per = {"month": "month", "quarter": "quarter", "year": "year"}[period]
    return Chart(
        key=key,
        title=title or f"Seizures per {per}, by substance group",
        description=(
            f"Kilogram-equivalent seized each {per}, stacked by UNODC substance group "
            "(counted units without a stated mass are left out)"
        ),
        categories=[period_label(start, period) for start in periods],
        series=stacked_series(
            rows,
            categories=periods,
            category_field="period",
            group_field="substance_group",
            value_field="kg_equivalent",
            groups=groups,
        ),
        unit="kg",
        category_label=per.capitalize(),
        empty_text=empty_text,
    )


# ---------------------------------------------------------------------------------------------
# Partners


def co_operating_partners(partner, operations, *, limit: int = 10) -> QuerySet:
    """The partners that take part most often in ``operations`` (visible ones) alongside
    ``partner``: each with ``shared`` (operations in common) and ``since`` (the start of the
    first). One grouped statement."""
    from operations.models import Participation

    shared = operations.filter(participations__partner=partner).values("pk")
    return (
        Participation.objects.filter(operation__in=shared)
        .exclude(partner=partner)
        .values("partner")
        .annotate(
            name=F("partner__name"),
            acronym=F("partner__acronym"),
            kind=F("partner__kind"),
            country=F("partner__country__name"),
            shared=Count("operation", distinct=True),
            since=Min("operation__started_on"),
        )
        .order_by("-shared", "since", "name")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# Places


@dataclass
class PlaceCounts:
    """Distinct records per country (ISO alpha-3) and per M49 grouping of any level."""

    countries: dict[str, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    total: int = 0


PLACE_COUNTS_SQL = """
SELECT GROUPING(c.iso3, c.region_id, c.subregion_id, c.intermediate_region_id),
       COALESCE(c.iso3, c.region_id, c.subregion_id, c.intermediate_region_id),
       COUNT(DISTINCT p.row_id)
FROM ({rows}) AS p (row_id, country)
JOIN cooperation_country c ON c.iso3 = p.country
GROUP BY GROUPING SETS ((c.iso3), (c.region_id), (c.subregion_id), (c.intermediate_region_id), ())
"""


def place_counts(rows: QuerySet, country_path: str) -> PlaceCounts:
    """Count the distinct ``rows`` (already visibility-filtered) per country they reach
    through ``country_path`` (``"country"``, ``"countries"``, ``"parties__partner__country"``)
    and per region, sub-region and intermediate region of those countries: one statement
    with grouping sets.

    A record with countries in two places counts once in each and once in a grouping that
    holds both. A country belongs to the groupings named by its ``region``, ``subregion`` and
    ``intermediate_region``, the membership :func:`cooperation.filters.countries_in_regions`
    reads, so a count here equals the length of the list the ``region`` filter gives."""
    inner, params = (
        rows.order_by().values_list("pk", country_path).distinct().query.sql_with_params()
    )
    # The inner statement is the ORM's, with its parameters; the rest is constant.
    sql = PLACE_COUNTS_SQL.format(rows=inner)
    counts = PlaceCounts()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for grouping, code, count in cursor.fetchall():
            if grouping == 0b1111:
                counts.total = count
            elif grouping == 0b0111:
                counts.countries[code] = count
            elif code is not None:  # a country outside any grouping at that level
                counts.regions[code] = count
    return counts
