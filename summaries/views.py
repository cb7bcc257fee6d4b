"""``/summaries/``: a period's cooperation summary for one scope, as the reader may see it,
with every figure linked to its records, the change against the previous period and a year
earlier, a trend chart, and the same figures as CSV or a printable page."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from cooperation.charts import Chart, Series, period_label
from cooperation.models import Country, Partner, Region
from cooperation.views import ViewerOnceMixin
from operations.stats import period_bounds
from summaries import figures
from summaries.compute import period_start, previous_period
from summaries.models import (
    ADMINISTRATORS,
    PARTNER_PREFIX,
    PARTNERS,
    PUBLIC,
    CooperationSummary,
    Granularity,
    ScopeKind,
    audiences_for,
)

SECTIONS = (
    ("agreements.", "Agreements"),
    ("operations.", "Operations"),
    ("outcomes.", "Outcomes"),
    ("seizures.", "Seizures"),
    ("impact_reports.", "Impact on communities"),
    ("pairs.", "Strongest partnerships (operations started together)"),
    ("pairs.new.", "Partnerships seen for the first time (operations started together)"),
)
TREND_PERIODS = 12
TRENDS = (("operations.started", "Operations started", ""), ("seizures.kg", "Seized", "kg"))


def audience_label(audience: str, partner_names: dict[str, str]) -> str:
    if audience == PUBLIC:
        return "Public records"
    if audience == PARTNERS:
        return "Records shared with all partners"
    if audience == ADMINISTRATORS:
        return "Every record (administrators)"
    name = partner_names.get(audience.removeprefix(PARTNER_PREFIX), audience)
    return f"Records {name} may open"


class SummaryForm(forms.Form):
    granularity = forms.ChoiceField(choices=Granularity.choices, initial=Granularity.MONTH)
    period = forms.DateField(
        required=False, input_formats=["%Y-%m-%d", "%Y-%m"], help_text="First day, e.g. 2026-10-01."
    )
    scope = forms.CharField(
        required=False, initial="global", help_text="global, country:COL, region:005, partner:12"
    )
    audience = forms.ChoiceField(required=False)

    def __init__(self, *args, audiences: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = audiences

    def clean_scope(self) -> tuple[str, str]:
        text = (self.cleaned_data.get("scope") or "global").strip()
        kind, _, key = text.partition(":")
        if kind == ScopeKind.GLOBAL and not key:
            return ScopeKind.GLOBAL, ""
        known = {
            ScopeKind.COUNTRY: Country.objects.filter(iso3=key.upper()),
            ScopeKind.REGION: Region.objects.filter(m49=key),
            ScopeKind.PARTNER: Partner.objects.filter(pk=int(key)) if key.isdigit() else None,
        }
        rows = known.get(kind)
        if not key or rows is None or not rows.exists():
            raise forms.ValidationError(
                "Choose a scope: global, country:<ISO alpha-3>, region:<M49 code> or "
                "partner:<id> of a known country, region or partner."
            )
        return kind, key.upper() if kind == ScopeKind.COUNTRY else key

    def clean(self):
        cleaned = super().clean()
        period, granularity = cleaned.get("period"), cleaned.get("granularity")
        if period and granularity and period != period_start(granularity, period):
            self.add_error("period", f"A {granularity} starts on its first day.")
        return cleaned


@dataclass
class FigureRow:
    key: str
    label: str
    value: object
    unit: str
    link: str | None
    previous: object
    year_earlier: object

    @staticmethod
    def change(now, then) -> str:
        if then in (None, 0):
            return "" if then is None else ("new" if now else "")
        change = (Decimal(now) - Decimal(then)) / Decimal(then) * 100
        return f"{change:+.0f} %"

    @property
    def previous_change(self) -> str:
        return self.change(self.value, self.previous)

    @property
    def year_change(self) -> str:
        return self.change(self.value, self.year_earlier)


def pair_names(keys) -> dict[str, str]:
    """``A & B`` for each pair figure among ``keys``, with the partners' names (one query)."""
    pairs = {}
    for key in keys:
        if key.startswith(figures.PAIRS):
            parts = dict(figures.parse(key).parts)
            pairs[key] = (parts["partner"], parts["with"])
    ids = {pk for pair in pairs.values() for pk in pair if pk.isdigit()}
    named = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return {
        key: " & ".join(named.get(int(pk), f"partner {pk}") if pk.isdigit() else pk for pk in pair)
        for key, pair in pairs.items()
    }


class SummaryView(ViewerOnceMixin, TemplateView):
    template_name = "summaries/summary.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        valid = context["form"].is_valid()
        if request.GET.get("format") == "csv" and valid:
            return self.csv(context)
        if request.GET.get("print") == "1":
            self.template_name = "summaries/summary_print.html"
        return self.render_to_response(context, status=200 if valid else 400)

    def get_context_data(self, **kwargs):
        user = self.request.user
        audiences = audiences_for(user)
        partner_ids = [a.removeprefix(PARTNER_PREFIX) for a in audiences if ":" in a]
        names = {
            str(pk): name
            for pk, name in Partner.objects.filter(pk__in=partner_ids).values_list("pk", "name")
        }
        choices = [(audience, audience_label(audience, names)) for audience in audiences]
        data = self.request.GET.copy()
        data.setdefault("granularity", Granularity.MONTH)
        data.setdefault("audience", audiences[0])
        data.setdefault("scope", "global")
        form = SummaryForm(data, audiences=choices)
        context = super().get_context_data(
            form=form, breadcrumbs=[("Summaries", self.request.path)], **kwargs
        )
        if not form.is_valid():
            return context
        granularity = form.cleaned_data["granularity"]
        audience = form.cleaned_data["audience"] or audiences[0]
        kind, key = form.cleaned_data["scope"]
        rows = CooperationSummary.objects.visible_to(user, audience).filter(
            granularity=granularity, scope_kind=kind, scope_key=key
        )
        period = form.cleaned_data.get("period") or previous_period(
            granularity, timezone.localdate()
        )
        summary = (
            rows.filter(period_start=period).with_scope_names().with_comparisons(audience).first()
        )
        context.update(
            granularity=granularity,
            period=period,
            period_label=period_label(period, granularity),
            period_end=period_bounds(period, granularity)[1],
            scope=(kind, key),
            audience_label=dict(choices)[audience],
            summary=summary,
            sections=self.sections(summary) if summary else [],
            trends=self.trends(rows, granularity, period),
            periods=self.neighbours(granularity, period),
        )
        return context

    @staticmethod
    def neighbours(granularity: str, period: datetime.date) -> dict[str, str]:
        before = period_start(granularity, period - datetime.timedelta(days=1))
        after = period_bounds(period, granularity)[1] + datetime.timedelta(days=1)
        return {"previous": before.isoformat(), "next": after.isoformat()}

    def sections(self, summary) -> list[tuple[str, list[FigureRow]]]:
        values = summary.figures
        # A period computed with no row for this scope had nothing in it: zeros, not "none".
        before = {
            "previous": period_start(
                summary.granularity, summary.period_start - datetime.timedelta(days=1)
            ),
            "year_earlier": summary.period_start.replace(year=summary.period_start.year - 1),
        }
        computed = set(
            CooperationSummary.objects.filter(
                granularity=summary.granularity,
                period_start__in=before.values(),
                scope_kind=ScopeKind.GLOBAL,
            ).values_list("period_start", flat=True)
        )
        compared = {
            which: summary.compared(which) or ({} if start in computed else None)
            for which, start in before.items()
        }
        previous, earlier = compared["previous"], compared["year_earlier"]
        keys = set(values) | {k for k, f in figures.FIGURES.items() if f.has_total}
        names = pair_names(keys)
        vocabulary = figures.vocabulary_names()
        found: dict[str, list[FigureRow]] = {}
        for key in sorted(keys, key=lambda k: (k.startswith(figures.PAIRS), -values.get(k, 0), k)):
            figure = figures.parse(key).figure
            section = max(
                ((prefix, title) for prefix, title in SECTIONS if key.startswith(prefix)),
                key=lambda found: len(found[0]),
            )[1]
            found.setdefault(section, []).append(
                FigureRow(
                    key=key,
                    label=names.get(key) or figures.label(key, vocabulary),
                    value=values.get(key, 0),
                    unit=figure.unit,
                    link=figures.records_url(key, summary, api=False)
                    or figures.records_url(key, summary, api=True),
                    previous=None if previous is None else previous.get(key, 0),
                    year_earlier=None if earlier is None else earlier.get(key, 0),
                )
            )
        return [(title, found[title]) for _, title in SECTIONS if title in found]

    def trends(self, rows, granularity, period) -> list[Chart]:
        starts = [period]
        for _ in range(TREND_PERIODS - 1):
            starts.insert(0, period_start(granularity, starts[0] - datetime.timedelta(days=1)))
        found = {
            row.period_start: row.figures
            for row in rows.filter(period_start__gte=starts[0], period_start__lte=period)
        }
        labels = [period_label(start, granularity) for start in starts]
        return [
            Chart(
                key=f"trend-{index}",
                title=f"{title} per {granularity}",
                description=f"{title}, the last {TREND_PERIODS} periods.",
                categories=labels,
                series=[Series(title, [found.get(start, {}).get(key, 0) for start in starts])],
                unit=unit,
            )
            for index, (key, title, unit) in enumerate(TRENDS)
        ]

    def csv(self, context) -> HttpResponse:
        from cooperation.api.renderers import csv_cell

        response = HttpResponse(content_type="text/csv; charset=utf-8")
        kind, key = context["scope"]
        name = f"summary-{context['granularity']}-{context['period']:%Y-%m}-{kind}{key}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerow(
            ["figure", "label", "value", "previous period", "a year earlier", "records"]
        )
        for _, rows in context["sections"]:
            for row in rows:
                writer.writerow(
                    [
                        csv_cell(value)
                        for value in (
                            row.key,
                            row.label,
                            row.value,
                            row.previous,
                            row.year_earlier,
                            self.request.build_absolute_uri(row.link),
                        )
                    ]
                )
        return response
