from __future__ import annotations

from cooperation.tables import Column, Table


def _countries(operation) -> str:
    return ", ".join(country.pk for country in operation.countries.all())


def _lead(operation) -> str:
    lead = operation.lead
    return lead.display_name if lead else ""


class JointOperationTable(Table):
    columns = (
        Column("name", "Operation", sort="name", link=True),
        Column("kind", "Kind", accessor="kind.name"),
        Column("status", "Status"),
        Column("started_on", "Started", sort="started_on"),
        Column("ended_on", "Ended", sort="ended_on"),
        Column("countries", "Countries", accessor=_countries),
        Column("lead", "Lead", accessor=_lead),
        Column("arrests", "Arrests", sort="arrests", numeric=True),
        Column("sensitivity", "Sensitivity", badge=True),
    )
    empty = "No operation you may see matches these filters."
