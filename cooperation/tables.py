"""Tables of the portal's list pages, declared once per resource (``<app>/tables.py``).

A table names its columns; a column knows how to read its value from a record, how to show
it, and which ``ordering`` value of the resource's FilterSet sorts by it, so the column headers
sort through the same parameter the API uses. The CSV export of a list page writes the same
columns, as text, for every row the filters keep.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma


class Column:
    """One column of a table.

    ``accessor`` is a dotted path from the record (``kind.name``) or a function of the record;
    by default the column's name, shown with ``get_<name>_display`` when the model has
    choices for it. ``sort`` is the FilterSet ordering value that sorts by this column.
    ``link`` makes the cell a link to the record; ``numeric`` aligns it to the right.
    """

    def __init__(
        self,
        name: str,
        label: str,
        *,
        accessor: str | Callable | None = None,
        sort: str | None = None,
        link: bool = False,
        numeric: bool = False,
        badge: bool = False,
        nowrap: bool | None = None,
    ):
        self.name = name
        self.label = label
        self.accessor = accessor or name
        self.sort = sort
        self.link = link
        self.numeric = numeric
        self.badge = badge
        # Dates and codes read best on one line.
        self.nowrap = name.endswith("_on") if nowrap is None else nowrap

    @property
    def css(self) -> str:
        return " ".join(c for c, on in (("num", self.numeric), ("nowrap", self.nowrap)) if on)

    def value(self, record):
        if callable(self.accessor):
            return self.accessor(record)
        display = getattr(record, f"get_{self.accessor}_display", None)
        if display is not None:
            return display()
        value = record
        for part in self.accessor.split("."):
            if value is None:
                return None
            value = getattr(value, part)
        return value() if callable(value) else value

    def text(self, record) -> str:
        """The value as a reader sees it (the CSV export writes this)."""
        value = self.value(record)
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return str(value)

    def html(self, record) -> str:
        """The value for the page (numbers grouped by thousands); escaped by the template."""
        value = self.value(record)
        if value is None or value == "":
            return "—"
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return intcomma(value)
        return self.text(record)


class Table:
    """Rows of records under declared ``columns``; ``ordering`` is the current sort."""

    columns: tuple[Column, ...] = ()
    empty = "Nothing matches these filters."

    def __init__(self, records, *, ordering: str = ""):
        self.records = records
        self.ordering = ordering or ""

    def headers(self):
        for column in self.columns:
            header = {"column": column, "sort": None, "aria_sort": None}
            if column.sort:
                current = self.ordering.lstrip("-") == column.sort
                descending = self.ordering.startswith("-")
                header["sort"] = f"-{column.sort}" if current and not descending else column.sort
                if current:
                    header["aria_sort"] = "descending" if descending else "ascending"
            yield header

    def rows(self):
        for record in self.records:
            yield record, [(column, column.html(record)) for column in self.columns]

    def csv_rows(self, records):
        yield [column.label for column in self.columns]
        for record in records:
            yield [column.text(record) for column in self.columns]


def _country(record) -> str:
    return record.country.name if record.country_id else ""


class PartnerTable(Table):
    columns = (
        Column("name", "Partner", accessor="display_name", sort="name", link=True),
        Column("kind", "Kind", sort="kind"),
        Column(
            "type",
            "Type",
            accessor=lambda p: p.get_agency_type_display() or p.get_organization_type_display(),
        ),
        Column("country", "Country", accessor=_country),
        Column("parent", "Part of", accessor="parent.display_name"),
    )
    empty = "No partner matches these filters."
