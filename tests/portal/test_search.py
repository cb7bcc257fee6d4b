"""The search page: one box over agreements, operations, partners and journal entries."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from cooperation import search
from tests import factories

pytestmark = pytest.mark.django_db


def hits(page, key: str) -> list[str]:
    """Titles of the hits of one type, in the order shown, as plain text."""
    section = re.search(
        rf'<section class="search-group" id="results-{key}".*?</section>', page.text, re.S
    )
    if not section:  # the page of one type
        section = re.search(r'<ol class="search-hits">.*?</ol>', page.text, re.S)
    if not section:
        return []
    titles = re.findall(r"<h3><a [^>]*>(.*?)</a>", section.group(0), re.S)
    return [re.sub(r"</?mark>", "", title) for title in titles]


def counts(page) -> dict[str, str]:
    summary = re.search(r'<nav class="search-summary".*?</nav>', page.text, re.S)
    if not summary:
        return {}
    found = re.findall(r'<li>(?:<a [^>]*>)?([\w ]+?) <span class="n">([\d,+]+)</span>', summary[0])
    return dict(found)


def test_it_explains_what_can_be_searched_when_the_box_is_empty(client):
    page = client.get("/search/")
    assert page.status_code == 200
    assert "finds records with both words" in page.text
    assert 'class="search-summary"' not in page.text


def test_it_finds_each_type_of_record_and_counts_them_by_type(client, cast):
    factories.AgreementFactory(title="Lantern memorandum")
    factories.JointOperationFactory(name="Operation Lantern")
    factories.JointOperationFactory(name="Tidewater", summary="Lantern patrols at dawn.")
    factories.OrganizationFactory(name="Lantern Institute")
    factories.JournalEntryFactory(title="Lanterns sighted", body="Two boats.")
    factories.JointOperationFactory(name="Operation Driftwood")

    page = client.get("/search/", {"q": "lantern"})

    assert counts(page) == {
        "Agreements": "1",
        "Operations": "2",
        "Partners": "1",
        "Journal entries": "1",
    }
    assert hits(page, "operations") == ["Operation Lantern", "Tidewater"]
    assert hits(page, "journal") == ["Lanterns sighted"]


def test_it_ranks_a_word_in_the_title_above_the_same_word_in_the_summary(client):
    factories.JointOperationFactory(name="Harbour watch", summary="A cormorant nested nearby.")
    factories.JointOperationFactory(name="Cormorant", summary="Coastal patrol.")
    factories.JointOperationFactory(
        name="Cormorant cormorant", summary="The cormorant route, cormorant again."
    )

    assert hits(client.get("/search/", {"q": "cormorant"}), "operations") == [
        "Cormorant cormorant",
        "Cormorant",
        "Harbour watch",
    ]


def test_it_understands_phrases_alternatives_and_exclusions(client):
    factories.JointOperationFactory(name="Ship rider patrol")
    factories.JointOperationFactory(name="Rider on a ship")
    factories.JointOperationFactory(name="Heroin corridor")

    assert hits(client.get("/search/", {"q": '"ship rider"'}), "operations") == [
        "Ship rider patrol"
    ]
    assert set(hits(client.get("/search/", {"q": "heroin or rider"}), "operations")) == {
        "Ship rider patrol",
        "Rider on a ship",
        "Heroin corridor",
    }
    assert hits(client.get("/search/", {"q": "rider -patrol"}), "operations") == ["Rider on a ship"]


def test_it_finds_the_parts_of_a_reference(client):
    factories.AgreementFactory(title="Letter of agreement", reference="SHIP/RIDER/1997")

    assert hits(client.get("/search/", {"q": "rider 1997"}), "agreements") == [
        "Letter of agreement"
    ]


def test_it_highlights_the_words_found_and_escapes_the_record_text(client):
    factories.JointOperationFactory(
        name="<script>alert('x')</script> Lantern <b>bold</b>",
        summary="Patrol & <img src=x onerror=alert(1)> lantern light.",
    )

    page = client.get("/search/", {"q": "lantern"})

    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "<b>bold</b>" not in page.text
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>Lantern</mark> "
        "&lt;b&gt;bold&lt;/b&gt;" in page.text
    )
    assert "<mark>lantern</mark>" in page.text
    assert "&amp;" in page.text


def test_a_marker_typed_into_a_record_cannot_unbalance_the_highlights():
    assert search.highlighted("a \x03b\x02 <c> \x02d") == "a b<mark> &lt;c&gt; d</mark>"


@pytest.mark.parametrize("persona", ["anonymous", "analyst", "outsider"])
def test_a_restricted_record_is_never_found_by_those_who_may_not_see_it(client, cast, persona):
    factories.JointOperationFactory(name="Operation Lantern", sensitivity="public")
    secret = factories.JointOperationFactory(
        name="Operation Quokka Lantern",
        summary="Quokka quokka.",
        sensitivity="restricted",
        participants=[cast.colombia],
    )
    factories.JournalEntryFactory(operation=secret, title="Quokka seen", body="Lantern lit.")
    factories.AgreementFactory(
        title="Quokka lantern accord", sensitivity="restricted", parties=[cast.colombia]
    )
    user = getattr(cast, persona)
    if persona != "anonymous":
        client.force_login(user)

    for words in ("quokka", "lantern", "quokka or lantern"):
        page = client.get("/search/", {"q": words})
        assert page.status_code == 200
        # Everything shown but the words themselves (in the box, the title and the links).
        shown = re.sub(r'(href|value)="[^"]*"|<title>.*?</title>', "", page.text, flags=re.S)
        assert "quokka" not in shown.replace(f"“{words}”", "").lower()
    page = client.get("/search/", {"q": "lantern"})
    assert counts(page) == {
        "Agreements": "0",
        "Operations": "1",
        "Partners": "0",
        "Journal entries": "0",
    }
    page = client.get("/search/", {"q": "lantern", "type": "operations"})
    assert hits(page, "operations") == ["Operation Lantern"]
    assert "1–1 of <strong>1</strong> operations" in page.text


@pytest.mark.parametrize("persona", ["officer", "administrator"])
def test_a_restricted_record_is_found_by_those_who_may_see_it(client, cast, persona):
    secret = factories.JointOperationFactory(
        name="Operation Quokka", sensitivity="restricted", participants=[cast.colombia]
    )
    factories.JournalEntryFactory(operation=secret, title="Quokka seen", body="Two boats.")
    client.force_login(getattr(cast, persona))

    page = client.get("/search/", {"q": "quokka"})

    assert hits(page, "operations") == ["Operation Quokka"]
    assert hits(page, "journal") == ["Quokka seen"]
    assert f"/operations/{secret.pk}/#journal-" in page.text


def test_it_shows_a_few_hits_per_type_and_pages_through_one_type(client):
    for number in range(search.PREVIEW + search.PER_PAGE):
        factories.JointOperationFactory(name=f"Operation Heron {number}")

    page = client.get("/search/", {"q": "heron"})
    assert len(hits(page, "operations")) == search.PREVIEW
    assert "?q=heron&amp;type=operations" in page.text
    assert "/operations/?q=heron" in page.text

    first = client.get("/search/", {"q": "heron", "type": "operations"})
    second = client.get("/search/", {"q": "heron", "type": "operations", "page": 2})
    assert "1–20 of <strong>25</strong>" in first.text
    assert "21–25 of <strong>25</strong>" in second.text
    shown = re.findall(r"Operation <mark>Heron</mark> (\d+)", first.text + second.text)
    assert sorted(map(int, shown)) == list(range(25))


def test_it_counts_up_to_a_bound_and_says_so(client, monkeypatch):
    monkeypatch.setattr(search, "LOOKED_AT", 3)
    monkeypatch.setattr(search, "PREVIEW", 2)
    for number in range(5):
        factories.JointOperationFactory(name=f"Operation Heron {number}")

    page = client.get("/search/", {"q": "heron"})

    assert counts(page)["Operations"] == "3+"
    assert "The best 3 matching operations" in page.text
    page = client.get("/search/", {"q": "heron", "type": "operations"})
    assert "more than 3 operations" in page.text
    assert len(hits(page, "operations")) == 3


def test_it_makes_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    for number in range(12):
        operation = factories.JointOperationFactory(name=f"Operation Heron {number}")
        factories.JournalEntryFactory(operation=operation, title=f"Heron {number}")
        factories.AgreementFactory(title=f"Heron accord {number}")
        factories.OrganizationFactory(name=f"Heron centre {number}")
    client.force_login(cast.officer)
    # Session, user, viewer (2), the words, then count, rank and read for each of 4 types.
    with django_assert_max_num_queries(18):
        assert client.get("/search/", {"q": "heron"}).status_code == 200


def test_it_says_when_nothing_matches_and_suggests_what_to_try(client):
    factories.JointOperationFactory(name="Operation Lantern")

    page = client.get("/search/", {"q": "lant"})

    assert page.status_code == 200
    assert "No record you may see matches “lant”" in page.text
    assert "/operations/?q=lant" in page.text


def test_it_says_when_every_word_is_too_common_to_search_by(client):
    page = client.get("/search/", {"q": "the of and"})

    assert page.status_code == 200
    assert "only words too common to search by" in page.text


def test_a_very_long_search_is_refused_with_a_clear_message(client):
    page = client.get("/search/", {"q": "lantern " * 500})

    assert page.status_code == 200
    assert "Use at most 200 characters (this search has 3999)." in page.text
    assert 'value="lantern lantern' in page.text  # what was typed stays in the box


def test_a_nul_character_is_refused_with_a_clear_message(client):
    page = client.get("/search/", {"q": "lan\x00tern"})

    assert page.status_code == 200
    assert "The search contains a NUL character" in page.text
    assert 'value="lantern"' in page.text
    assert "\x00" not in page.text


@pytest.mark.parametrize(
    "words",
    ['"unclosed', "a & b | !c", "(((", "-", "or", "\\", "'; drop table x; --", "x" * 200, "ü:*"],
)
def test_odd_words_never_fail(client, words):
    factories.JointOperationFactory(name="Operation Lantern")
    assert client.get("/search/", {"q": words}).status_code == 200


def test_an_unknown_type_or_page_falls_back_to_something_sensible(client):
    factories.JointOperationFactory(name="Operation Lantern")
    assert client.get("/search/", {"q": "lantern", "type": "nope"}).status_code == 200
    page = client.get("/search/", {"q": "lantern", "type": "operations", "page": "x"})
    assert hits(page, "operations") == ["Operation Lantern"]
    page = client.get("/search/", {"q": "lantern", "type": "operations", "page": "99"})
    assert page.status_code == 200


def test_the_queries_use_the_search_indexes(db):
    """The index expressions and the queries' documents must be the same expression, in the
    same configuration, or PostgreSQL falls back to reading every row."""
    from operations.models import JointOperation

    query = search.query_for("lantern")
    matches = (
        JointOperation.objects.annotate(document=search.fulltext.OPERATION)
        .filter(document=query)
        .values("pk")
    )
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        # Neither a sequential scan nor a plain index scan (on the ordering's index, say): only
        # a bitmap scan is left, and only an index on the document can serve its condition.
        # Not SET LOCAL: that is a no-op when the connection is outside a transaction block.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
    assert "operation_search" in plan
