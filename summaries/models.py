"""Stored cooperation summaries: one row of figures per period, scope and audience.

A summary's *audience* says whose view of the records it counts, so that nobody is shown a
figure that counts a record they could not open (see :mod:`cooperation.visibility`):

- ``public``: public records only (anyone, signed in or not);
- ``partners``: public and partners-level records (any signed-in user);
- ``partner:<id>``: those, plus the restricted records partner ``<id>`` (or one of the
  agencies it acts through) takes part in or is shared with: what its officers see;
- ``administrators``: every record.

A ``partner:<id>`` row is stored only for the scopes where that partner's restricted records
change a figure; elsewhere its officers read the ``partners`` row, whose figures are then the
same. :meth:`SummaryQuerySet.visible_to` is the one place that rule is applied.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from cooperation.visibility import viewer

PUBLIC = "public"
PARTNERS = "partners"
ADMINISTRATORS = "administrators"
PARTNER_PREFIX = "partner:"


def partner_audience(partner_id: int) -> str:
    return f"{PARTNER_PREFIX}{partner_id}"


def audiences_for(user) -> list[str]:
    """The audiences whose summaries ``user`` may read, the broadest first."""
    if not (user and user.is_authenticated and user.is_active):
        return [PUBLIC]
    administrator, partners = viewer(user)
    if administrator:
        return [ADMINISTRATORS, *[partner_audience(p) for p in sorted(partners)], PARTNERS, PUBLIC]
    return [*[partner_audience(p) for p in sorted(partners)], PARTNERS, PUBLIC]


class Granularity(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class ScopeKind(models.TextChoices):
    GLOBAL = "global", "Global"
    REGION = "region", "Region"
    COUNTRY = "country", "Country"
    PARTNER = "partner", "Partner"


class FiguresDecoder(json.JSONDecoder):
    """Figures come back exact: kilograms and hectares as ``Decimal``, counts as ``int``."""

    def __init__(self, *args, **kwargs):
        kwargs["parse_float"] = Decimal
        super().__init__(*args, **kwargs)


class SummaryQuerySet(models.QuerySet):
    def visible_to(self, user, audience: str | None = None):
        """The summaries ``user`` reads: for each period and scope, the row of ``audience``
        (by default the broadest the user may read) or, for a partner's audience with no row
        of its own there, the ``partners`` row. An audience the user may not read gives
        nothing."""
        allowed = audiences_for(user)
        audience = audience or allowed[0]
        if audience not in allowed:
            return self.none()
        if not audience.startswith(PARTNER_PREFIX):
            return self.filter(audience=audience)
        own = self.model.objects.filter(
            granularity=OuterRef("granularity"),
            period_start=OuterRef("period_start"),
            scope_kind=OuterRef("scope_kind"),
            scope_key=OuterRef("scope_key"),
            audience=audience,
        )
        return self.filter(Q(audience=audience) | Q(audience=PARTNERS) & ~Exists(own))


class CooperationSummary(models.Model):
    """The figures of one period, for one scope, as one audience may see them."""

    Granularity = Granularity
    ScopeKind = ScopeKind

    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    scope_kind = models.CharField(max_length=8, choices=ScopeKind.choices)
    scope_key = models.CharField(
        max_length=12,
        blank=True,
        help_text="ISO alpha-3 of a country, M49 code of a region, id of a partner; empty "
        "for the global scope.",
    )
    audience = models.CharField(max_length=24)
    metrics = models.JSONField(decoder=FiguresDecoder)
    computed_at = models.DateTimeField(help_text="When these figures were computed.")
    data_cutoff = models.DateTimeField(help_text="The records as they stood at this moment.")
    version = models.PositiveSmallIntegerField(help_text="Version of the computation.")

    objects = SummaryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "cooperation summaries"
        ordering = ["-period_start", "granularity", "scope_kind", "scope_key", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["granularity", "period_start", "scope_kind", "scope_key", "audience"],
                name="summary_one_per_period_scope_audience",
            ),
            models.CheckConstraint(
                name="summary_granularity_valid", condition=Q(granularity__in=Granularity.values)
            ),
            models.CheckConstraint(
                name="summary_scope_kind_valid", condition=Q(scope_kind__in=ScopeKind.values)
            ),
            models.CheckConstraint(
                name="summary_global_scope_has_no_key",
                condition=~Q(scope_kind=ScopeKind.GLOBAL) | Q(scope_key=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_kind", "scope_key", "granularity", "period_start"],
                name="summary_by_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.get_scope_kind_display()
        if self.scope_key:
            scope = f"{scope} {self.scope_key}"
        return (
            f"{self.get_granularity_display()} from {self.period_start}: {scope} ({self.audience})"
        )

    def get_absolute_url(self) -> str:
        return reverse("summaries:list") + f"?{self.portal_query()}"

    def portal_query(self) -> str:
        from urllib.parse import urlencode

        return urlencode(
            {
                "granularity": self.granularity,
                "period": self.period_start.isoformat(),
                "scope": f"{self.scope_kind}:{self.scope_key}" if self.scope_key else "global",
            }
        )

    @property
    def is_complete(self) -> bool:
        """Whether the period had ended when the figures were computed."""
        return self.period_end < self.data_cutoff.date()


class SummaryRun(models.Model):
    """One completed computation of a period's summaries, written in the same transaction as
    its rows: a run that did not finish left neither. ``task_id`` is unique, so a redelivered
    task cannot record its outcome twice."""

    task_id = models.CharField(max_length=64, unique=True)
    granularity = models.CharField(max_length=8, choices=Granularity.choices)
    period_start = models.DateField()
    rows = models.PositiveIntegerField()
    finished_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.granularity} {self.period_start} ({self.rows} rows)"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)
