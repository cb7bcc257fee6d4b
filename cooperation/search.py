"""The search page: one box across agreements, operations, partners and journal entries.

PostgreSQL full-text search over each model's document (:mod:`cooperation.fulltext`, which
its GIN index is built on), with web-search syntax (``"exact phrase"``, ``or``, ``-word``),
ranked, grouped by type with counts. Every type starts from the records the viewer may see
(``visible_to``), so neither a hit nor a count tells of a record they may not open.

Work per type is bounded whatever the words: matches are counted up to :data:`LOOKED_AT`
and ranked among the first :data:`LOOKED_AT` found, so a word found in every one of a million
records costs about as much as a rare one; the page says so when that happens.

Highlights come from ``ts_headline``, which copies the record's text as it is: it is marked
with control characters that no HTML contains, escaped whole, and only then are the markers
turned into ``<mark>`` (:func:`highlighted`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import QuerySet
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from agreements.models import Agreement
from cooperation import fulltext
from cooperation.models import Partner
from cooperation.visibility import forget_viewer, remember_viewer
from operations.models import JointOperation, JournalEntry

# Matches of one type counted up to, and ranked among.
LOOKED_AT = 1000
# Hits per type on the page of all types, and per page of one type.
PREVIEW = 5
PER_PAGE = 20
MAX_LENGTH = 200

START, STOP = "\x02", "\x03"
MARKERS = re.compile(f"([{START}{STOP}])")


def highlighted(headline: str) -> SafeString:
    """``ts_headline`` output as HTML: the text escaped, the marked words in ``<mark>``.

    A stray marker (a control character typed into a record) is dropped, and marks are
    always balanced, so the result is well-formed whatever the record holds."""
    parts, open_mark = [], False
    for piece in MARKERS.split(headline or ""):
        if piece == START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - all text escaped above # nosec


def snippet(marked: str, text: str) -> SafeString:
    """The passages of the text around the words found, or else its opening words."""
    if START in (marked or ""):
        return highlighted(marked)
    return escape(Truncator(text or "").words(30))


class ResultType:
    """One type of record the box searches. Subclasses say where its records come from,
    which fields give the hit's title and snippet, and how a hit is described."""

    key = ""
    label = ""
    document = None
    title_field = ""
    text_field = ""
    list_url_name: str | None = None

    def records(self, user) -> QuerySet:
        """The records ``user`` may see."""
        raise NotImplementedError

    def with_related(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` with what :meth:`describe` reads loaded."""
        return queryset

    def url(self, record) -> str:
        return record.get_absolute_url()

    def describe(self, record) -> list[str]:
        """Facts shown under the title."""
        return []

    def sensitivity(self, record) -> tuple[str, str] | None:
        return record.sensitivity, record.get_sensitivity_display()


class AgreementResults(ResultType):
    key = "agreements"
    label = "Agreements"
    document = fulltext.AGREEMENT
    title_field = "title"
    text_field = "summary"
    list_url_name = "agreements:list"

    def records(self, user):
        return Agreement.objects.visible_to(user)

    def describe(self, record):
        signed = f"signed {record.signed_on:%Y-%m-%d}" if record.signed_on else "not signed"
        return [
            fact
            for fact in (record.get_kind_display(), record.short_title, record.reference, signed)
            if fact
        ]


class OperationResults(ResultType):
    key = "operations"
    label = "Operations"
    document = fulltext.OPERATION
    title_field = "name"
    text_field = "summary"
    list_url_name = "operations:list"

    def records(self, user):
        return JointOperation.objects.visible_to(user)

    def with_related(self, queryset):
        return queryset.select_related("kind")

    def describe(self, record):
        return [
            str(record.kind),
            record.get_status_display(),
            f"started {record.started_on:%Y-%m-%d}",
        ]


class PartnerResults(ResultType):
    key = "partners"
    label = "Partners"
    document = fulltext.PARTNER
    title_field = "name"
    text_field = "description"
    list_url_name = "partners:list"

    def records(self, user):
        # Partners are reference data: everyone may see every partner.
        return Partner.objects.all()

    def with_related(self, queryset):
        return queryset.select_related("country")

    def describe(self, record):
        kind = record.get_agency_type_display() or record.get_organization_type_display()
        country = record.country.name if record.country_id else ""
        return [fact for fact in (record.get_kind_display(), kind, record.acronym, country) if fact]

    def sensitivity(self, record):
        return None


class JournalEntryResults(ResultType):
    key = "journal"
    label = "Journal entries"
    document = fulltext.JOURNAL_ENTRY
    title_field = "title"
    text_field = "body"

    def records(self, user):
        return JournalEntry.objects.visible_to(user)

    def with_related(self, queryset):
        return queryset.select_related("operation")

    def url(self, record):
        # Entries are read in their operation's page.
        return f"{record.operation.get_absolute_url()}#journal-{record.pk}"

    def describe(self, record):
        return [
            record.get_kind_display(),
            f"{record.occurred_at:%Y-%m-%d}",
            f"in {record.operation.name}",
        ]

    def sensitivity(self, record):
        operation = record.operation
        return operation.sensitivity, operation.get_sensitivity_display()


RESULT_TYPES = (AgreementResults(), OperationResults(), PartnerResults(), JournalEntryResults())
BY_KEY = {result_type.key: result_type for result_type in RESULT_TYPES}


@dataclass
class Hit:
    url: str
    title: SafeString
    snippet: SafeString
    facts: list[str]
    sensitivity: tuple[str, str] | None


@dataclass
class Group:
    type: ResultType
    count: int  # up to LOOKED_AT + 1
    hits: list[Hit] = field(default_factory=list)
    list_url: str = ""
    more_url: str = ""

    @property
    def more_than_looked_at(self) -> bool:
        return self.count > LOOKED_AT

    @property
    def shown_count(self) -> int:
        return min(self.count, LOOKED_AT)


def query_for(words: str) -> SearchQuery:
    return SearchQuery(words, search_type="websearch", config=fulltext.CONFIG)


def has_lexemes(words: str) -> bool:
    """Whether the words leave anything to look for (``the of`` leaves nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT numnode(websearch_to_tsquery(%s::regconfig, %s))", [fulltext.CONFIG, words]
        )
        return cursor.fetchone()[0] > 0


def search_type(result_type: ResultType, user, words: str, *, offset: int, limit: int) -> Group:
    """Hits ``offset`` to ``offset + limit`` of one type, best first, and how many match."""
    query = query_for(words)
    visible = result_type.records(user)
    # Unordered: the first matches found are enough to count to LOOKED_AT and rank among.
    matches = visible.annotate(document=result_type.document).filter(document=query).order_by()
    count = matches.values("pk")[: LOOKED_AT + 1].count()
    group = Group(type=result_type, count=count)
    if not count or offset >= min(count, LOOKED_AT):
        return group
    looked_at = matches.values("pk")[:LOOKED_AT]
    ranked = list(
        visible.filter(pk__in=looked_at)
        .annotate(rank=SearchRank(result_type.document, query))
        .order_by("-rank", "-pk")
        .values_list("pk", flat=True)[offset : offset + limit]
    )
    headline = {"query": query, "config": fulltext.CONFIG, "start_sel": START, "stop_sel": STOP}
    records = result_type.with_related(visible.filter(pk__in=ranked)).annotate(
        title_marked=SearchHeadline(result_type.title_field, highlight_all=True, **headline),
        text_marked=SearchHeadline(
            result_type.text_field,
            max_fragments=2,
            max_words=30,
            min_words=12,
            fragment_delimiter=" … ",
            **headline,
        ),
    )
    by_pk = {record.pk: record for record in records}
    group.hits = [
        Hit(
            url=result_type.url(record),
            title=highlighted(record.title_marked),
            snippet=snippet(record.text_marked, getattr(record, result_type.text_field)),
            facts=result_type.describe(record),
            sensitivity=result_type.sensitivity(record),
        )
        for pk in ranked
        if (record := by_pk.get(pk)) is not None
    ]
    return group


class SearchInput(forms.TextInput):
    input_type = "search"

    def format_value(self, value):
        # Show back what was typed, less what no page can hold.
        return super().format_value(value.replace("\x00", "") if value else value)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search records",
        max_length=MAX_LENGTH,
        required=False,
        widget=SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "max_length": (
                "Use at most %(limit_value)d characters (this search has %(show_value)d)."
            ),
            "null_characters_not_allowed": "The search contains a NUL character: remove it.",
        },
        help_text='Words, "an exact phrase", either or other, -excluded.',
    )


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), LOOKED_AT))
    except ValueError:
        return 1


def search(request):
    """``/search/?q=``: every type, a few hits each; ``&type=operations`` one type, paged."""
    form = SearchForm(request.GET)
    words = form.cleaned_data["q"] if form.is_valid() else ""
    chosen = BY_KEY.get(request.GET.get("type", ""))
    context = {
        "form": form,
        "words": words,
        "result_types": RESULT_TYPES,
        "chosen": chosen,
        "state": "empty",
        "breadcrumbs": [("Search", request.path)],
    }
    if not form.is_valid():
        context["state"] = "invalid"
    elif words and not has_lexemes(words):
        context["state"] = "no_words"
    elif words:
        context.update(results(request, words, chosen))
    return render(request, "cooperation/search.html", context)


def results(request, words: str, chosen: ResultType | None) -> dict:
    user = request.user
    remember_viewer(user)
    try:
        if chosen:
            page = page_number(request.GET.get("page"))
            offset = (page - 1) * PER_PAGE
            groups = [search_type(chosen, user, words, offset=offset, limit=PER_PAGE)]
        else:
            page, offset = 1, 0
            groups = [
                search_type(result_type, user, words, offset=0, limit=PREVIEW)
                for result_type in RESULT_TYPES
            ]
    finally:
        forget_viewer(user)
    for group in groups:
        key = group.type.key
        group.more_url = "?" + urlencode({"q": words, "type": key})
        if group.type.list_url_name:
            group.list_url = reverse(group.type.list_url_name) + "?" + urlencode({"q": words})
    context = {
        "state": "results" if any(group.count for group in groups) else "no_matches",
        "groups": groups,
        "list_groups": [group for group in groups if group.list_url],
        "preview": PREVIEW,
        "looked_at": LOOKED_AT,
    }
    if chosen:
        group = groups[0]
        pages = max(1, math.ceil(group.shown_count / PER_PAGE))
        context.update(
            page=page,
            pages=pages,
            first_shown=offset + 1,
            last_shown=offset + len(group.hits),
            previous_url=(
                "?" + urlencode({"q": words, "type": chosen.key, "page": page - 1})
                if page > 1
                else ""
            ),
            next_url=(
                "?" + urlencode({"q": words, "type": chosen.key, "page": page + 1})
                if page < pages
                else ""
            ),
            all_types_url="?" + urlencode({"q": words}),
        )
    return context
