"""Aggregates of seizures and operations, computed in the database.

A figure is only ever a roll-up of rows the reader may open: callers pass a queryset already
narrowed by ``visible_to`` (and the list's FilterSet), and the statistics are computed over
exactly those ids. Grouping by a to-many dimension (the countries of an operation, the
partners taking part) counts each row once per group it belongs to, never twice in one group:
sums run over distinct (row, group) pairs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

PERIODS = ("month", "quarter", "year")
REGION_LEVELS = {
    "region": "region_id",
    "subregion": "subregion_id",
    "intermediate": "intermediate_region_id",
}


@dataclass(frozen=True)
class Dimension:
    expression: str  # SQL over the aliases of the subject's joins
    joins: tuple[str, ...] = ()
    filter_param: str | None = None  # the list filter that selects one group
    many: bool = False  # a row may belong to several groups (its countries, its partners)


@dataclass(frozen=True)
class Subject:
    """What is counted: its table, dimensions and metrics."""

    table: str
    date_column: str
    date_filters: tuple[str, str]  # (after, before) filter names of the list
    dimensions: dict[str, Dimension]
    metrics: dict[str, str]  # name -> SQL aggregate over alias ``t``


PARTICIPANTS = "JOIN operations_participation part ON part.operation_id = {operation}"

SEIZURES = Subject(
    table="operations_seizure",
    date_column="t.seized_on",
    date_filters=("seized_after", "seized_before"),
    dimensions={
        "substance": Dimension("t.substance_id", filter_param="substance"),
        "substance_group": Dimension(
            "sub.group_id",
            ("JOIN operations_substance sub ON sub.code = t.substance_id",),
            filter_param="substance_group",
        ),
        "country": Dimension("t.country_id", filter_param="country"),
        "region": Dimension(
            "ctry.{level}",
            ("LEFT JOIN cooperation_country ctry ON ctry.iso3 = t.country_id",),
            filter_param="region",
        ),
        "partner": Dimension(
            "part.partner_id",
            (PARTICIPANTS.format(operation="t.operation_id"),),
            "partner",
            many=True,
        ),
        "kind": Dimension(
            "op.kind_id", ("JOIN operations_jointoperation op ON op.id = t.operation_id",)
        ),
        "unit": Dimension("t.unit", filter_param="unit"),
    },
    metrics={
        "seizures": "COUNT(*)",
        "operations": "COUNT(DISTINCT t.operation_id)",
        "kg_equivalent": "COALESCE(SUM(t.kg_equivalent), 0)",
        "unconverted_quantity": (
            "COALESCE(SUM(t.quantity) FILTER (WHERE t.kg_equivalent IS NULL), 0)"
        ),
    },
)

OPERATIONS = Subject(
    table="operations_jointoperation",
    date_column="t.started_on",
    date_filters=("started_after", "started_before"),
    dimensions={
        "kind": Dimension("t.kind_id", filter_param="kind"),
        "status": Dimension("t.status", filter_param="status"),
        "country": Dimension(
            "oc.country_id",
            ("JOIN operations_jointoperation_countries oc ON oc.jointoperation_id = t.id",),
            filter_param="country",
            many=True,
        ),
        "region": Dimension(
            "ctry.{level}",
            (
                "JOIN operations_jointoperation_countries oc ON oc.jointoperation_id = t.id",
                "JOIN cooperation_country ctry ON ctry.iso3 = oc.country_id",
            ),
            filter_param="region",
            many=True,
        ),
        "partner": Dimension(
            "part.partner_id", (PARTICIPANTS.format(operation="t.id"),), "partner", many=True
        ),
    },
    metrics={
        "operations": "COUNT(*)",
        "arrests": "COALESCE(SUM(t.arrests), 0)",
        "labs_dismantled": "COALESCE(SUM(t.labs_dismantled), 0)",
        "hectares_eradicated": "COALESCE(SUM(t.hectares_eradicated), 0)",
        "assets_seized_usd": "COALESCE(SUM(t.assets_seized_usd), 0)",
    },
)


def aggregate(
    subject: Subject,
    rows,
    *,
    group_by: list[str],
    period: str | None = None,
    region_level: str = "subregion",
) -> list[dict]:
    """Group ``rows`` (a queryset of the subject's model, already visibility-filtered) by
    ``group_by`` (dimension names, and ``period``), returning one dict per group with the
    subject's metrics. Runs one SQL statement.

    Every SQL fragment comes from this module's tables; names from the request are only used
    to pick among them, and are checked here first."""
    unknown = [name for name in group_by if name != "period" and name not in subject.dimensions]
    if unknown or ("period" in group_by and period not in PERIODS):
        raise ValueError(f"cannot group by {unknown or period!r}")
    if region_level not in REGION_LEVELS:
        raise ValueError(f"unknown region level {region_level!r}")
    ids_sql, ids_params = rows.order_by().values("pk").query.sql_with_params()
    selects, joins = [], []
    for name in group_by:
        if name == "period":
            selects.append(f"date_trunc('{period}', {subject.date_column})::date AS period")
            continue
        dimension = subject.dimensions[name]
        expression = dimension.expression.format(level=REGION_LEVELS[region_level])
        selects.append(f"{expression} AS {name}")
        for join in dimension.joins:
            if join not in joins:
                joins.append(join)
    metrics = ", ".join(f"{sql} AS {name}" for name, sql in subject.metrics.items())
    if any(subject.dimensions[name].many for name in group_by if name != "period"):
        # A row may fall in several groups: its (row, group) pairs, each once, then the sums.
        inner = ", ".join(["t.id AS row_id", *selects])
        columns = ", ".join(f"g.{name}" for name in group_by)
        sql = (
            f"SELECT {columns + ', ' if columns else ''}{metrics} "
            f"FROM (SELECT DISTINCT {inner} FROM {subject.table} t {' '.join(joins)} "
            f"WHERE t.id IN ({ids_sql})) g JOIN {subject.table} t ON t.id = g.row_id"
            + (f" GROUP BY {columns} ORDER BY {columns}" if columns else "")
        )
    else:
        # Each row in one group: grouped straight from the rows themselves (the queryset's
        # own statement, so the table is read once, not again by id).
        rows_sql, ids_params = rows.order_by().select_related(None).query.sql_with_params()
        positions = ", ".join(str(position) for position in range(1, len(selects) + 1))
        sql = (
            f"SELECT {', '.join(selects) + ', ' if selects else ''}{metrics} "
            f"FROM ({rows_sql}) t {' '.join(joins)}"
            + (f" GROUP BY {positions} ORDER BY {positions}" if selects else "")
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids_params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def period_bounds(start: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the period that begins on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month_index = start.month - 1 + months
    following = datetime.date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)
