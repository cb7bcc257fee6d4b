"""Stored cooperation summaries: one row of figures per period, scope and audience.

A summary's *audience* says whose view of the records it counts, so that nobody is shown a
figure that counts a record they could not open (see :mod:`cooperation.visibility`):

- ``public``: public records only (anyone, signed in or not);
- ``partners``: public and partners-level records (any signed-in user);
- ``partner:<id>``: those, plus the restricted records partner ``<id>`` (or one of the
  agencies it acts through) takes part in or is shared with: what its officers see;
- ``administrators``: every record.

A ``partner:<id>`` row holds only what that partner's restricted records add to the
``partners`` row of the same scope, and exists only where they add something: its officers
read the two added up (:attr:`CooperationSummary.figures`), elsewhere the ``partners`` row
alone. :meth:`SummaryQuerySet.visible_to` is the one place that rule is applied. Every
figure is a count or a sum over distinct records, so the two add up exactly — except the
strongest partner pairs, of which only a few are kept: a partner's row holds its own whole
list (:func:`add_figures`).
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import models
from django.db.models import (
    Case,
    Exists,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.urls import reverse

from cooperation.visibility import viewer

PUBLIC = "public"
PARTNERS = "partners"
ADMINISTRATORS = "administrators"
PARTNER_PREFIX = "partner:"


def partner_audience(partner_id: int) -> str:
    return f"{PARTNER_PREFIX}{partner_id}"


def audiences_for(user) -> list[str]:
    """The audiences whose summaries ``user`` may read, the broadest first: a partner the user
    is affiliated with comes before the agencies they act for through it."""
    if not (user and user.is_authenticated and user.is_active):
        return [PUBLIC]
    administrator, partners = viewer(user)  # affiliations first
    own = [partner_audience(pk) for pk in partners]
    if administrator:
        return [ADMINISTRATORS, *own, PARTNERS, PUBLIC]
    return [*own, PARTNERS, PUBLIC]


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


def base_audience(audience: str) -> str:
    """The audience whose row a partner's row adds to (the audience itself otherwise)."""
    return PARTNERS if audience.startswith(PARTNER_PREFIX) else audience


def add_figures(base: dict | None, own: dict | None) -> dict:
    """A partner's figures: its own row (``own``: what its restricted records add) added to
    the ``partners`` row (``base``) key by key — except the strongest pairs, which its own row
    holds whole (only the strongest few are kept, so they cannot be added up)."""
    from summaries.figures import PAIRS

    total = {k: v for k, v in (base or {}).items() if not (own and k.startswith(PAIRS))}
    for key, value in (own or {}).items():
        total[key] = value if key.startswith(PAIRS) else total.get(key, 0) + value
    return total


def chosen_audience(user, audience: str | None = None) -> str | None:
    """``audience`` if ``user`` may read it (by default the broadest they may), else None."""
    allowed = audiences_for(user)
    audience = audience or allowed[0]
    return audience if audience in allowed else None


SAME_SUMMARY = ("granularity", "period_start", "scope_kind", "scope_key")
PERIOD_LENGTH = {"month": "1 month", "quarter": "3 months", "year": "1 year"}


def shifted(length: str) -> Func:
    """The outer row's ``period_start`` moved back by ``length`` (an SQL interval from
    PERIOD_LENGTH), for a subquery reading another period's row."""
    return Func(
        OuterRef("period_start"),
        template=f"(%(expressions)s - interval '{length}')::date",
        output_field=models.DateField(),
    )


class SummaryQuerySet(models.QuerySet):
    def visible_to(self, user, audience: str | None = None):
        """The summaries ``user`` reads, one per period and scope, as ``audience`` (by default
        the broadest the user may read) sees them. For a partner's audience: its own row where
        it has one, annotated with the ``partners`` row it adds to (``base_metrics``), else
        the ``partners`` row. An audience the user may not read gives nothing."""
        audience = chosen_audience(user, audience)
        if audience is None:
            return self.none()
        base = base_audience(audience)
        rows = self.annotate(reader_audience=Value(audience))
        if base == audience:
            return rows.filter(audience=audience)
        own = self.model.objects.filter(
            **{name: OuterRef(name) for name in SAME_SUMMARY}, audience=audience
        )
        partners_row = self.model.objects.filter(
            **{name: OuterRef(name) for name in SAME_SUMMARY}, audience=base
        )
        return rows.filter(Q(audience=audience) | Q(audience=base) & ~Exists(own)).annotate(
            base_metrics=Case(
                When(audience=audience, then=Subquery(partners_row.values("metrics")[:1])),
                output_field=self.model._meta.get_field("metrics"),
            )
        )

    def with_comparisons(self, audience: str):
        """Annotate the figures of the same scope in the period before (``previous_*``) and a
        year before (``year_earlier_*``), as ``audience`` reads them: ``*_metrics`` from the
        base audience's row, ``*_added`` from a partner's own row."""
        base = base_audience(audience)
        metrics = self.model._meta.get_field("metrics")

        def figures_of(start, of_audience):
            return Subquery(
                self.model.objects.filter(
                    granularity=OuterRef("granularity"),
                    scope_kind=OuterRef("scope_kind"),
                    scope_key=OuterRef("scope_key"),
                    audience=of_audience,
                    period_start=start,
                ).values("metrics")[:1],
                output_field=metrics,
            )

        previous = Case(
            *[
                When(granularity=granularity, then=shifted(length))
                for granularity, length in PERIOD_LENGTH.items()
            ],
            output_field=models.DateField(),
        )
        annotations = {
            "previous_metrics": figures_of(previous, base),
            "year_earlier_metrics": figures_of(shifted("1 year"), base),
        }
        if base != audience:
            annotations["previous_added"] = figures_of(previous, audience)
            annotations["year_earlier_added"] = figures_of(shifted("1 year"), audience)
        return self.annotate(**annotations)

    def with_scope_names(self):
        """Annotate ``scope_name``: the country's, region's or partner's name."""
        from cooperation.models import Country, Partner, Region

        def name_of(model, key):
            return Subquery(model.objects.filter(**{key: OuterRef("scope_key")}).values("name")[:1])

        return self.annotate(
            scope_name=Case(
                When(scope_kind=ScopeKind.COUNTRY, then=name_of(Country, "iso3")),
                When(scope_kind=ScopeKind.REGION, then=name_of(Region, "m49")),
                When(
                    scope_kind=ScopeKind.PARTNER,
                    then=Subquery(
                        Partner.objects.annotate(key=Cast("pk", models.CharField()))
                        .filter(key=OuterRef("scope_key"))
                        .values("name")[:1]
                    ),
                ),
                default=Value("World"),
                output_field=models.CharField(),
            )
        )


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
    def figures(self) -> dict:
        """The figures as the reader's audience sees them (:meth:`SummaryQuerySet.visible_to`)."""
        return add_figures(getattr(self, "base_metrics", None), self.metrics)

    def compared(self, which: str) -> dict | None:
        """The figures of the period before (``previous``) or a year before (``year_earlier``),
        when annotated by :meth:`SummaryQuerySet.with_comparisons`; ``None`` if none."""
        base = getattr(self, f"{which}_metrics", None)
        added = getattr(self, f"{which}_added", None)
        if base is None and added is None:
            return None
        return add_figures(base, added)

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


class PairWitness(models.Model):
    """For a pair of partners, one approved public operation both took part in: evidence,
    kept by the summaries' computation, that the pair was seen in public work before any
    period starting after that operation did.

    Finding such an operation means walking both partners' operations until they meet;
    checking a known one is three key lookups. A witness is only ever trusted after that
    check, against the records as they stand — an operation since deleted, made
    confidential, withdrawn, moved in time or left by a partner proves nothing, and the
    pair is then looked for again — so this table can be stale or empty, never wrong.
    No foreign keys: nothing here holds up a write to the records."""

    partner_a = models.BigIntegerField(help_text="The pair's partner with the smaller id.")
    partner_b = models.BigIntegerField(help_text="The pair's partner with the larger id.")
    operation_id = models.BigIntegerField(help_text="An operation both took part in.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner_a", "partner_b"], name="one_witness_per_pair"),
            models.CheckConstraint(
                condition=models.Q(partner_a__lt=models.F("partner_b")),
                name="witness_pair_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_a} with {self.partner_b}: operation {self.operation_id}"
