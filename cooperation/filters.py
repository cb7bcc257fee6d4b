"""Query parameters of lists: the building blocks every FilterSet uses, and the FilterSets of
countries, regions and partners.

A resource has one FilterSet, shared by its HTML list page and its API list endpoint, so a
parameter means the same in both. The conventions are kept here, once:

- A filter across a to-many relation matches through ``EXISTS`` (:func:`with_any`), never a
  join, so each row comes back once and counts and pages stay right.
- A filter that takes several values reads them repeated (``?country=COL&country=PER``),
  comma-separated (``?country=COL,PER``) or both, and keeps rows matching any of them.
- An unknown code of a vocabulary is an error (the API answers 400); an unknown id matches
  nothing, as an id the requester may not see must not be told apart from one that does not
  exist.
- Dates are ISO 8601 days; ``updated_since`` is an instant, a bare date meaning midnight UTC.
- FilterSets narrow the queryset a view hands them, already cut by ``visible_to``. A filter
  that names *another* sensitive record counts only those the requester may see
  (:func:`visible_records`), so it cannot confirm a link the requester is not shown.
"""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from cooperation.fulltext import CONFIG
from cooperation.models import Country, Deletion, Membership, Partner, Region

# PostgreSQL ``bigint``: a larger id would fail in the database instead of in the form.
LARGEST_ID = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Queries shared by the FilterSets of every app


def with_any(queryset: models.QuerySet, relation: str, **lookups) -> models.QuerySet:
    """Rows of ``queryset`` with at least one row across the to-many ``relation`` matching
    ``lookups`` (written from the related row's side: ``with_any(operations, "countries",
    pk__in=codes)``).

    An ``EXISTS`` subquery rather than a join: a row comes back once however many related rows
    match, so ``count()`` and paging stay right without ``distinct()``.
    """
    field = queryset.model._meta.get_field(relation)
    if field.many_to_many and not field.auto_created:
        # A forward many-to-many: look in its link table, one hop from the related row.
        link = field.remote_field.through
        target = field.m2m_reverse_field_name()
        rows = link._base_manager.filter(
            **{field.m2m_field_name(): OuterRef("pk")},
            **{f"{target}__{lookup}": value for lookup, value in lookups.items()},
        )
    elif field.one_to_many:
        rows = field.related_model._base_manager.filter(
            **{field.field.name: OuterRef("pk")}, **lookups
        )
    else:
        raise ValueError(f"{queryset.model.__name__}.{relation} is not a to-many relation.")
    return queryset.filter(Exists(rows))


def countries_in_regions(m49_codes) -> models.QuerySet:
    """Codes of the countries in any of the M49 groupings given, whatever level each sits at
    (``019`` Americas, ``419`` Latin America and the Caribbean, ``005`` South America)."""
    return Country.objects.filter(
        Q(region__in=m49_codes) | Q(subregion__in=m49_codes) | Q(intermediate_region__in=m49_codes)
    ).values("pk")


def visible_records(model, request) -> models.QuerySet:
    """The records of ``model`` (agreements, operations) the requester may see.

    Without a request nobody is signed in, so only public records count: a FilterSet built
    without one errs on the side of revealing nothing.
    """
    return model.objects.visible_to(getattr(request, "user", None))


# ---------------------------------------------------------------------------------------------
# Fields: how a parameter is read and checked


class MultipleValueWidget(forms.TextInput):
    """Reads every value of a parameter, repeated or comma-separated, as one list (renders it
    back comma-separated in a text box)."""

    def value_from_datadict(self, data, files, name):
        if name not in data:
            return None
        raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if not isinstance(raw, list | tuple):
            raw = [raw]
        values = [part.strip() for item in raw if item is not None for part in str(item).split(",")]
        return list(dict.fromkeys(value for value in values if value))

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def format_value(self, value):
        if isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        return super().format_value(value)


class MultipleValueField(forms.Field):
    """A list of values, each checked by ``item_field``; an empty list means "no filter"."""

    widget = MultipleValueWidget

    def __init__(self, *, item_field: forms.Field, **kwargs):
        self.item_field = item_field
        super().__init__(**kwargs)

    def clean(self, value):
        values = value or []
        if not isinstance(values, list | tuple):
            values = [values]
        if self.required and not values:
            raise ValidationError(self.error_messages["required"], code="required")
        cleaned, errors = [], []
        for item in values:
            try:
                cleaned.append(self.item_field.clean(item))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(cleaned))


class IdsField(MultipleValueField):
    """Record ids. Whether they exist is not checked: an unknown id simply matches nothing."""

    def __init__(self, **kwargs):
        super().__init__(item_field=forms.IntegerField(min_value=1, max_value=LARGEST_ID), **kwargs)


class ChoicesField(MultipleValueField):
    """Values of a ``TextChoices`` vocabulary; any other value is an error."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(item_field=forms.ChoiceField(choices=choices), **kwargs)


class ReferenceCodesField(MultipleValueField):
    """Primary keys of a reference table (countries, regions, substances, ...), checked in one
    query; unknown codes are an error. ``normalize`` puts a code in its stored form."""

    def __init__(self, *, queryset: models.QuerySet, normalize=None, **kwargs):
        self.queryset = queryset
        self.normalize = normalize
        super().__init__(item_field=forms.CharField(max_length=40), **kwargs)

    def clean(self, value):
        codes = super().clean(value)
        if self.normalize:
            codes = list(dict.fromkeys(self.normalize(code) for code in codes))
        if not codes:
            return codes
        known = set(self.queryset.filter(pk__in=codes).values_list("pk", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ValidationError(
                "Unknown %(vocabulary)s: %(codes)s.",
                code="invalid_choice",
                params={
                    "vocabulary": self.queryset.model._meta.verbose_name,
                    "codes": ", ".join(unknown),
                },
            )
        return codes


def m49_code(code: str) -> str:
    """M49 codes have three digits; ``19`` is the Americas too."""
    return code.zfill(3) if code.isdigit() else code


class InstantField(forms.Field):
    """A moment in ISO 8601: a datetime with an offset (without one it is UTC), or a bare date,
    meaning the start of that day in UTC, or its last microsecond with ``end_of_day`` (so that
    an inclusive upper bound keeps the whole day)."""

    widget = forms.DateTimeInput
    default_error_messages = {
        "invalid": "Enter an ISO 8601 date or date and time, e.g. 2024-05-31T14:00:00Z."
    }
    # A "+02:00" offset typed into a URL unescaped arrives as " 02:00".
    lost_plus = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            moment = value
        else:
            text = self.lost_plus.sub(r"\1+\2", str(value).strip())
            try:
                day = datetime.date.fromisoformat(text)
            except ValueError:
                try:
                    moment = datetime.datetime.fromisoformat(text)
                except ValueError:
                    raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            else:
                moment = datetime.datetime.combine(
                    day, datetime.time.max if self.end_of_day else datetime.time.min
                )
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=datetime.UTC)
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which Python accepts.
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class YesNoField(forms.Field):
    """``true`` or ``false`` (also ``1``/``0``, ``yes``/``no``); anything else is an error
    rather than silently no filter."""

    widget = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])
    meanings = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        if value in self.empty_values or value == "unknown":
            return None
        try:
            return self.meanings[str(value).strip().lower()]
        except KeyError:
            raise ValidationError("Enter true or false.", code="invalid") from None


# ---------------------------------------------------------------------------------------------
# Filters: how a parameter narrows the rows


@extend_schema_field(
    {"type": "string", "description": "One value, or several separated by commas."}
)
class AnyOfFilter(django_filters.Filter):
    """Keeps rows whose ``field_name`` is any of the values given."""

    field_class = MultipleValueField

    def filter(self, qs, value):
        if not value:
            return qs
        return self.get_method(qs)(**{f"{self.field_name}__in": value})


@extend_schema_field(
    {"type": "string", "pattern": r"^\d+(,\d+)*$", "description": "Ids, comma-separated."}
)
class IdsFilter(AnyOfFilter):
    """Record ids (a foreign key); unknown ids match nothing."""

    field_class = IdsField


class ChoicesFilter(AnyOfFilter):
    """Values of a ``TextChoices`` field; pass ``choices``."""

    field_class = ChoicesField


class CodesFilter(AnyOfFilter):
    """Codes of a reference table; pass ``queryset`` (and ``normalize`` if codes have one
    stored form)."""

    field_class = ReferenceCodesField


class CountryFilter(CodesFilter):
    """ISO alpha-3 country codes, in either case."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Country.objects.all())
        kwargs.setdefault("normalize", str.upper)
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-3 codes, e.g. COL,PER.")
        super().__init__(*args, **kwargs)


class RegionFilter(CodesFilter):
    """M49 codes of regions, sub-regions or intermediate regions; keeps rows whose country
    (``field_name``) lies in any of them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("normalize", m49_code)
        kwargs.setdefault(
            "help_text",
            "UN M49 codes of a region, sub-region or intermediate region, e.g. 005 "
            "(South America).",
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return self.get_method(qs)(**{f"{self.field_name}__in": countries_in_regions(value)})


class IsoDateFilter(django_filters.DateFilter):
    """A day written the ISO way (``2024-05-31``) and no other, so no locale reads it
    differently."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


class InstantFilter(django_filters.DateTimeFilter):
    """A moment (see :class:`InstantField`); ``end_of_day=True`` for an inclusive upper bound."""

    field_class = InstantField


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


class TextSearchFilter(django_filters.CharFilter):
    """Free text: every word must appear in at least one of ``fields``.

    With a ``document`` (the model's full-text document, :mod:`cooperation.fulltext`, which
    its GIN index is built on), each word matches the beginning of a word of the document,
    stemmed in English (``seiz`` and ``seizures`` find "seizure"), through that index: a
    list of a million operations answers in milliseconds. Without one (small reference
    tables), each word matches anywhere in a field, in any case.
    """

    def __init__(self, *args, fields: tuple[str, ...], document=None, **kwargs):
        self.search_fields = tuple(fields)
        self.document = document
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if self.document is not None:
            words = re.findall(r"\w+", value or "")
            if not words:
                return qs
            query = SearchQuery(
                " & ".join(f"{word}:*" for word in words), search_type="raw", config=CONFIG
            )
            return qs.alias(text_search_document=self.document).filter(text_search_document=query)
        for word in (value or "").split():
            matches = Q()
            for field in self.search_fields:
                matches |= Q(**{f"{field}__icontains": word})
            qs = qs.filter(matches)
        return qs


class UpdatedSinceFilter(InstantFilter):
    """``updated_since``: rows changed at or after a moment, for incremental sync."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", "Updated since")
        kwargs.setdefault("help_text", UPDATED_SINCE_HELP)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting by the ``fields`` given (``?ordering=-signed_on,title``).

    The primary key breaks ties, so that pages never repeat or skip a row; rows without a value
    come last in a descending sort too, as they already do in an ascending one.
    """

    def __init__(self, *args, **kwargs):
        fields = kwargs.get("fields", ())
        names = [name if isinstance(name, str) else name[0] for name in fields]
        kwargs.setdefault("label", "Sort by")
        kwargs.setdefault(
            "help_text",
            f"{', '.join(names[:-1])} or {names[-1]}; a leading - sorts descending."
            if len(names) > 1
            else "A leading - sorts descending.",
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = [param for param in value or () if param]  # "?ordering=,," names no field
        if not value:
            return qs
        ordering = [self.order_expression(self.get_ordering_value(param)) for param in value]
        if not any(str(param).lstrip("-") in ("id", "pk") for param in value):
            ordering.append("pk")
        return qs.order_by(*ordering)

    def order_expression(self, name: str):
        field_name = name.removeprefix("-")
        if not name.startswith("-"):
            return name
        try:
            field = self.model._meta.get_field(field_name)
        except FieldDoesNotExist:
            nullable = True  # an annotation: it may be NULL
        else:
            # A generated column is NULL wherever its expression is, whatever ``null`` says.
            nullable = field.null or isinstance(field, models.GeneratedField)
        return F(field_name).desc(nulls_last=True) if nullable else name


class ParticipantFilterSet(django_filters.FilterSet):
    """Base of the FilterSets of records whose partners are listed in rows with a role
    (agreement parties, operation participations), named by ``participant_relation``.

    ``partner`` and ``partner_role`` describe one such row together: ``?partner=7&
    partner_role=lead`` keeps the operations partner 7 leads, not those it joins while someone
    else leads. Each alone matches any row. Subclasses declare both filters with
    ``method="filter_participant_row"``; :meth:`filter_queryset` applies them at once.
    """

    participant_relation = ""

    def filter_participant_row(self, queryset, name, value):
        """Nothing here: :meth:`filter_queryset` needs ``partner`` and ``partner_role`` at once."""
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        row = {}
        if partners := self.form.cleaned_data.get("partner"):
            row["partner__in"] = partners
        if roles := self.form.cleaned_data.get("partner_role"):
            row["role__in"] = roles
        return with_any(queryset, self.participant_relation, **row) if row else queryset


UPDATED_SINCE_HELP = (
    "Changed at or after this moment (ISO 8601; a bare date means midnight UTC), "
    "for incremental sync."
)


# ---------------------------------------------------------------------------------------------
# FilterSets of this app


class CountryFilterSet(django_filters.FilterSet):
    region = RegionFilter(field_name="pk", label="Region")
    q = TextSearchFilter(
        fields=("name", "official_name", "iso3", "iso2"),
        label="Search",
        help_text="Words in the name, official name or ISO codes.",
    )

    class Meta:
        model = Country
        fields: list[str] = []


class RegionFilterSet(django_filters.FilterSet):
    level = ChoicesFilter(choices=Region.Level.choices, label="Level")
    parent = CodesFilter(
        queryset=Region.objects.all(),
        normalize=m49_code,
        label="Parent region",
        help_text="M49 code of the grouping directly above.",
    )

    class Meta:
        model = Region
        fields: list[str] = []


class PartnerFilterSet(django_filters.FilterSet):
    kind = ChoicesFilter(choices=Partner.Kind.choices, label="Kind")
    country = CountryFilter(
        label="Country",
        help_text="ISO alpha-3 codes of the partner's country (an organization's seat).",
    )
    region = RegionFilter(
        field_name="country",
        label="Region",
        help_text="M49 codes of a region, sub-region or intermediate region of the partner's "
        "country.",
    )
    parent = IdsFilter(label="Government", help_text="Ids of the government an agency belongs to.")
    agency_type = ChoicesFilter(choices=Partner.AgencyType.choices, label="Agency type")
    organization_type = ChoicesFilter(
        choices=Partner.OrganizationType.choices, label="Organization type"
    )
    member_of = IdsFilter(
        method="filter_member_of",
        label="Member of",
        help_text="Ids of organizations: keeps their current member governments.",
    )
    is_active = YesNoFilter(label="Active")
    q = TextSearchFilter(fields=("name", "acronym"), label="Search", help_text="Name or acronym.")
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("name", "kind", "updated_at", "id"),
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def filter_member_of(self, queryset, name, value):
        # Present tense: a government that left, or has yet to join, is not a member.
        today = timezone.localdate()
        memberships = (
            Membership.objects.filter(member=OuterRef("pk"), organization__in=value)
            .exclude(joined_on__gt=today)
            .exclude(left_on__lte=today)
        )
        return queryset.filter(Exists(memberships))


class DeletionFilterSet(django_filters.FilterSet):
    """The deletions feed: what was deleted since a mirror last synchronised."""

    resource = django_filters.CharFilter(
        label="Resource", help_text="API resource name, e.g. operations or seizures."
    )
    since = InstantFilter(
        field_name="deleted_at",
        lookup_expr="gte",
        label="Deleted since",
        help_text="Deleted at or after this moment (ISO 8601; a bare date means midnight UTC).",
    )

    class Meta:
        model = Deletion
        fields = ["resource", "since"]
