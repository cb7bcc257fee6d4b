"""The latest monthly summary of a scope, shown on the partner, country and region pages."""

from __future__ import annotations

from django.utils import timezone

from cooperation.charts import period_label
from summaries.compute import previous_period
from summaries.models import CooperationSummary, Granularity

PANEL_FIGURES = (
    ("operations.started", "Operations started"),
    ("operations.active", "Operations under way"),
    ("seizures.kg", "Seized (kg)"),
    ("outcomes.arrests", "Arrests"),
    ("agreements.in_force", "Agreements in force"),
)


def latest_panel(user, scope_kind: str, scope_key: str) -> dict | None:
    """The latest complete month's key figures for a scope, as ``user`` may see them, for the
    partner, country and region pages (one query); ``None`` when none was computed."""
    month = previous_period(Granularity.MONTH, timezone.localdate())
    summary = (
        CooperationSummary.objects.visible_to(user)
        .filter(
            granularity=Granularity.MONTH,
            scope_kind=scope_kind,
            scope_key=scope_key,
            period_start__lte=month,
        )
        .order_by("-period_start")
        .first()
    )
    if summary is None:
        return None
    values = summary.figures
    scope = f"{scope_kind}:{scope_key}"
    return {
        "label": period_label(summary.period_start, Granularity.MONTH),
        "figures": [(label, values.get(key, 0)) for key, label in PANEL_FIGURES],
        "url": f"/summaries/?granularity=month&period={summary.period_start}&scope={scope}",
    }
