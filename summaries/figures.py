"""What each summary figure counts, and the list of records behind it.

A figure's key is a base figure (``operations.started``) optionally followed by breakdown
pairs (``.kind.maritime_interdiction``, ``.substance.cocaine.unit.units``). Each base figure
names the list (an API resource, with its FilterSet) and the filters that select exactly the
records it counts in a period and scope, and what it measures over them (how many, or the
sum of a field). The portal links each figure to that list and the API refers to it, and the
tests recompute every stored figure from it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from cooperation.visibility import ReviewState

EXPIRING_WITHIN_DAYS = 180
# Figures of partner pairs (``pairs.partner.<id>.with.<id>``, and ``pairs.new.partner…`` for
# those seen for the first time): only the strongest few are kept, so they are not summed
# across rows as the other figures are.
PAIRS = "pairs."


@dataclass(frozen=True)
class Source:
    """A list of records: its API resource (route basename), portal list (if any), the model
    and its FilterSet (imported lazily: the apps load after this module)."""

    api: str
    portal: str | None
    model_path: str
    filterset_path: str
    # Filter names selecting a scope: country, region and partner.
    scope_filters: dict[str, str] = field(
        default_factory=lambda: {"country": "country", "region": "region", "partner": "partner"}
    )

    def model(self):
        return _import(self.model_path)

    def filterset(self):
        return _import(self.filterset_path)


def _import(path: str):
    from importlib import import_module

    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


AGREEMENTS = Source(
    "agreement", "agreements:list", "agreements.models.Agreement",
    "agreements.filters.AgreementFilterSet",
)  # fmt: skip
OPERATIONS = Source(
    "operation", "operations:list", "operations.models.JointOperation",
    "operations.filters.JointOperationFilterSet",
)  # fmt: skip
SEIZURES = Source(
    "seizure", None, "operations.models.Seizure", "operations.filters.SeizureFilterSet"
)
IMPACT_REPORTS = Source(
    "impactreport", None, "operations.models.CommunityImpactReport",
    "operations.filters.ImpactReportFilterSet",
)  # fmt: skip


def _during(after: str, before: str):
    return lambda start, end: {after: start, before: end}


@dataclass(frozen=True)
class Figure:
    label: str
    source: Source
    period: object  # (start, end) -> filters
    measure: str | None = None  # a field to sum; None counts the records
    breakdowns: dict[str, str] = field(default_factory=dict)  # key part -> filter name
    fixed: dict[str, str] = field(default_factory=dict)  # further filters
    unit: str = ""
    has_total: bool = True  # False: stored only broken down (quantities in unlike units)


def _in_force_on(start, end):
    return {"status": "in_force", "status_on": end}


def _expiring(start, end):
    return {
        "status": "in_force",
        "status_on": end,
        "expires_before": end + datetime.timedelta(days=EXPIRING_WITHIN_DAYS),
    }


def _under_way(start, end):
    return {"status": "active,completed", "started_before": end, "ongoing_after": start}


def _completed(start, end):
    return {"status": "completed", "ended_after": start, "ended_before": end}


STARTED = _during("started_after", "started_before")
SEIZED = _during("seized_after", "seized_before")
KIND = {"kind": "kind"}

FIGURES: dict[str, Figure] = {
    "agreements.signed": Figure(
        "Agreements signed", AGREEMENTS, _during("signed_after", "signed_before")
    ),
    "agreements.entered_into_force": Figure(
        "Agreements entered into force", AGREEMENTS, _during("in_force_after", "in_force_before")
    ),
    "agreements.in_force": Figure("Agreements in force at period end", AGREEMENTS, _in_force_on),
    "agreements.expiring": Figure(
        f"Agreements expiring within {EXPIRING_WITHIN_DAYS} days of period end",
        AGREEMENTS,
        _expiring,
    ),
    "operations.started": Figure("Operations started", OPERATIONS, STARTED, breakdowns=KIND),
    "operations.active": Figure("Operations under way", OPERATIONS, _under_way, breakdowns=KIND),
    "operations.completed": Figure("Operations completed", OPERATIONS, _completed, breakdowns=KIND),
    "outcomes.arrests": Figure(
        "Arrests (operations started)", OPERATIONS, STARTED, measure="arrests"
    ),
    "outcomes.labs_dismantled": Figure(
        "Laboratories dismantled (operations started)",
        OPERATIONS,
        STARTED,
        measure="labs_dismantled",
    ),
    "outcomes.hectares_eradicated": Figure(
        "Hectares eradicated (operations started)",
        OPERATIONS,
        STARTED,
        measure="hectares_eradicated",
        unit="ha",
    ),
    "seizures.count": Figure("Seizures", SEIZURES, SEIZED),
    "seizures.kg": Figure(
        "Seized (kg-equivalent)",
        SEIZURES,
        SEIZED,
        measure="kg_equivalent",
        breakdowns={"group": "substance_group", "substance": "substance"},
        fixed={"converted": "yes"},
        unit="kg",
    ),
    "seizures.unconverted": Figure(
        "Seized in units that do not convert to kilograms",
        SEIZURES,
        SEIZED,
        measure="quantity",
        breakdowns={"substance": "substance", "unit": "unit"},
        fixed={"converted": "no"},
        has_total=False,
    ),
    "pairs": Figure(
        "Operations started together",
        OPERATIONS,
        STARTED,
        breakdowns={"partner": "partner", "with": "with_partner"},
        has_total=False,
    ),
    # A pair none of whose earlier operations the reader could open (the operations before the
    # period, listed with ``started_before``, are none for that reader).
    "pairs.new": Figure(
        "Seen together for the first time (operations started together)",
        OPERATIONS,
        STARTED,
        breakdowns={"partner": "partner", "with": "with_partner"},
        has_total=False,
    ),
    "impact_reports.count": Figure(
        "Impact reports",
        IMPACT_REPORTS,
        _during("occurred_after", "occurred_before"),
        breakdowns={"kind": "kind", "severity": "severity"},
    ),
}


@dataclass(frozen=True)
class Breakdown:
    """A figure key read back: its base figure and breakdown values."""

    key: str
    figure: Figure
    parts: tuple[tuple[str, str], ...]  # (breakdown name, value)


def parse(key: str) -> Breakdown:
    for base, figure in FIGURES.items():
        if key == base and figure.has_total:
            return Breakdown(key, figure, ())
        if key.startswith(base + "."):
            words = key[len(base) + 1 :].split(".")
            if len(words) % 2 == 0:
                parts = tuple(zip(words[::2], words[1::2], strict=True))
                if all(name in figure.breakdowns for name, _ in parts):
                    return Breakdown(key, figure, parts)
    raise KeyError(key)


def filters(key: str, start, end, scope_kind: str, scope_key: str) -> dict[str, str]:
    """The list filters selecting the records behind figure ``key`` of a period and scope."""
    breakdown = parse(key)
    figure = breakdown.figure
    chosen = {name: str(value) for name, value in figure.period(start, end).items()}
    chosen["review_state"] = ReviewState.APPROVED.value  # summaries count approved records only
    chosen.update(figure.fixed)
    for name, value in breakdown.parts:
        chosen[figure.breakdowns[name]] = value
    if scope_kind != "global":
        chosen[figure.source.scope_filters[scope_kind]] = scope_key
    return {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in chosen.items()}  # fmt: skip


def records_url(key: str, summary, *, api: bool) -> str | None:
    """Where the records behind figure ``key`` of ``summary`` are listed: the API list, or
    the portal's list when there is one (else ``None``)."""
    figure = parse(key).figure
    query = urlencode(
        filters(key, summary.period_start, summary.period_end, summary.scope_kind,
                summary.scope_key)
    )  # fmt: skip
    if api:
        return f"{reverse(f'api:{figure.source.api}-list')}?{query}"
    if figure.source.portal is None:
        return None
    return f"{reverse(figure.source.portal)}?{query}"


def label(key: str, names: dict[str, dict[str, str]] | None = None) -> str:
    """The figure's label, with its breakdown values named through ``names`` (breakdown name
    -> code -> name, e.g. ``{"kind": {"raid": "Raid"}}``) where given."""
    breakdown = parse(key)
    if not breakdown.parts:
        return breakdown.figure.label
    names = names or {}
    detail = ", ".join(names.get(name, {}).get(value, value) for name, value in breakdown.parts)
    return f"{breakdown.figure.label}: {detail}"


def vocabulary_names() -> dict[str, dict[str, str]]:
    """Names of the codes the breakdowns use (three small queries)."""
    from operations.models import (
        CommunityImpactReport,
        OperationKind,
        Substance,
        SubstanceGroup,
        Unit,
    )

    return {
        "kind": {
            **dict(OperationKind.objects.values_list("code", "name")),
            **dict(CommunityImpactReport.Kind.choices),
        },
        "group": dict(SubstanceGroup.objects.values_list("code", "name")),
        "substance": dict(Substance.objects.values_list("code", "name")),
        "severity": dict(CommunityImpactReport.Severity.choices),
        "unit": dict(Unit.choices),
    }
