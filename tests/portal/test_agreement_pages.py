"""The agreements list and detail pages: the API's filters in a panel, sortable columns, paging,
a count, an export of exactly what is shown, and only what the viewer may see."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db


def titles_in(page) -> list[str]:
    """Agreement titles in table order (each row's first cell links to the record)."""
    return re.findall(r'<th scope="row">\s*<a href="/agreements/\d+/">([^<]+)</a>', page.text)


def exported(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def three(cast):
    return [
        factories.AgreementFactory(
            title="Andean maritime memorandum",
            signed_on=datetime.date(2019, 5, 1),
            parties=[cast.colombia, cast.peru],
        ),
        factories.AgreementFactory(
            title="Caribbean air treaty",
            kind="treaty",
            signed_on=datetime.date(2012, 1, 10),
            parties=[cast.colombia],
        ),
        factories.AgreementFactory(
            title="Pacific precursor plan", kind="action_plan", signed_on=None, parties=[cast.peru]
        ),
    ]


def test_it_lists_agreements_newest_first_with_a_count(client, three):
    page = client.get("/agreements/")
    assert page.status_code == 200
    assert titles_in(page) == [
        "Andean maritime memorandum",
        "Caribbean air treaty",
        "Pacific precursor plan",
    ]
    assert "<strong>3</strong> results" in page.text


def test_the_panel_filters_with_the_api_parameters(client, three):
    page = client.get("/agreements/?kind=treaty,action_plan")
    assert titles_in(page) == ["Caribbean air treaty", "Pacific precursor plan"]
    assert "<strong>2</strong> results for these filters" in page.text
    # Repeated parameters mean the same as comma-separated ones, as in the API.
    assert titles_in(client.get("/agreements/?kind=treaty&kind=action_plan")) == titles_in(page)
    assert titles_in(client.get("/agreements/?country=PER")) == [
        "Andean maritime memorandum",
        "Pacific precursor plan",
    ]
    assert titles_in(client.get("/agreements/?q=caribbean")) == ["Caribbean air treaty"]


def test_the_panel_shows_the_chosen_filters_checked(client, three):
    page = client.get("/agreements/?kind=treaty")
    assert 'type="checkbox" name="kind" value="treaty"' in page.text
    assert 'value="treaty" id="id_kind_0" checked' in page.text


def test_a_bad_filter_is_shown_beside_its_field_and_lists_nothing(client, three):
    page = client.get("/agreements/?kind=sonnet&signed_after=yesterday")
    assert page.status_code == 200
    assert "Some filters could not be read" in page.text
    assert "Select a valid choice. sonnet is not one of the available choices." in page.text
    assert 'id="id_signed_after_errors"' in page.text
    assert titles_in(page) == []


def test_column_headers_sort_through_the_ordering_parameter(client, three):
    page = client.get("/agreements/?ordering=title")
    assert titles_in(page) == sorted(titles_in(page))
    assert 'aria-sort="ascending"' in page.text
    # The header of the sorted column now offers the other direction.
    assert "?ordering=-title" in page.text
    descending = client.get("/agreements/?ordering=-title")
    assert titles_in(descending) == sorted(titles_in(page), reverse=True)


def test_it_pages_fifty_at_a_time_and_keeps_the_filters(client, cast):
    for number in range(55):
        factories.AgreementFactory(title=f"Memorandum {number:02d}", kind="treaty")
    first = client.get("/agreements/?kind=treaty&ordering=title")
    assert len(titles_in(first)) == 50
    assert "Page 1 of 2" in first.text
    assert "?kind=treaty&amp;ordering=title&amp;page=2" in first.text
    second = client.get("/agreements/?kind=treaty&ordering=title&page=2")
    assert titles_in(second) == [f"Memorandum {n}" for n in range(50, 55)]


def test_htmx_gets_the_results_alone(client, three):
    page = client.get(
        "/agreements/?kind=treaty", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in page.text
    assert titles_in(page) == ["Caribbean air treaty"]
    assert "<strong>1</strong> result for these filters" in page.text


def test_the_export_holds_exactly_the_rows_and_columns_shown(client, three):
    response = client.get("/agreements/?kind=treaty,action_plan&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="agreements.csv"' in response["Content-Disposition"]
    rows = exported(response)
    page = client.get("/agreements/?kind=treaty,action_plan")
    assert rows[0][0] == "Agreement"
    assert [row[0] for row in rows[1:]] == titles_in(page)
    assert rows[1][1:4] == ["Treaty / convention", "Multilateral", "In force"]


def test_the_export_neutralises_spreadsheet_formulas(client, cast):
    factories.AgreementFactory(title='=HYPERLINK("http://evil")')
    rows = exported(client.get("/agreements/?export=csv"))
    assert rows[1][0].startswith("'=")


@pytest.mark.parametrize("sensitivity", ["public", "partners", "restricted"])
@pytest.mark.parametrize(
    "persona,sees",
    [
        ("anonymous", {"public"}),
        ("analyst", {"public", "partners"}),
        ("officer", {"public", "partners", "restricted"}),  # Colombia is a party
        ("outsider", {"public", "partners"}),
        ("administrator", {"public", "partners", "restricted"}),
    ],
)
def test_lists_details_counts_and_exports_follow_visibility(
    client, cast, sensitivity, persona, sees
):
    agreement = factories.AgreementFactory(
        title="Quiet Harbour accord", sensitivity=sensitivity, parties=[cast.colombia]
    )
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    visible = sensitivity in sees
    listing = client.get("/agreements/")
    assert ("Quiet Harbour accord" in listing.text) is visible
    assert f"<strong>{int(visible)}</strong>" in listing.text
    export = b"".join(client.get("/agreements/?export=csv").streaming_content).decode()
    assert ("Quiet Harbour accord" in export) is visible
    assert client.get(agreement.get_absolute_url()).status_code == (200 if visible else 404)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_makes_the_same_queries_for_few_or_many_rows(client, cast):
    client.force_login(cast.officer)
    url = "/agreements/?country=COL&status=in_force&area=joint_training"
    factories.AgreementFactory(parties=[cast.colombia, cast.peru]).areas.set(["joint_training"])
    few = queries_for(client, url)
    for _ in range(30):
        agreement = factories.AgreementFactory(parties=[cast.colombia, cast.peru])
        agreement.areas.set(["joint_training"])
    assert queries_for(client, url) == few
    assert few == 12  # session, user, viewer, 2 permissions; 3 vocabularies; 2 checks; count, page


def test_the_detail_page_shows_parties_lifecycle_areas_and_amendments(client, cast):
    base = factories.AgreementFactory(
        title="Framework on drug control",
        signed_on=datetime.date(2010, 6, 1),
        entry_into_force_on=datetime.date(2011, 1, 1),
        parties=[cast.colombia, cast.peru],
    )
    base.areas.set(["intelligence_sharing"])
    factories.AgreementFactory(title="First protocol", kind="protocol", amends=base)
    factories.AgreementFactory(
        title="Secret annex", kind="protocol", amends=base, sensitivity="restricted"
    )
    operation = factories.JointOperationFactory(name="Operation Tide", participants=[cast.peru])
    factories.LegalBasisFactory(operation=operation, agreement=base)
    page = client.get(base.get_absolute_url())
    text = page.text
    assert "Government of Colombia" in text and "Government of Peru" in text
    assert '<time datetime="2010-06-01">1 Jun 2010</time> Signed' in text
    assert '<time datetime="2011-01-01">1 Jan 2011</time> Entered into force' in text
    assert "Intelligence sharing" in text
    assert "Amended by <a" in text and "First protocol" in text
    assert "Secret annex" not in text  # restricted, and the visitor is anonymous
    assert "Operation Tide" in text
    assert '<li aria-current="page">Framework on drug control</li>' in text


def test_an_unknown_agreement_is_a_404_in_the_portal_style(client, cast):
    page = client.get("/agreements/999999/")
    assert page.status_code == 404
