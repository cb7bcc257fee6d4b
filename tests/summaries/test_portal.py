"""``/summaries/`` in the portal: a period's figures for one scope as the reader may see them,
linked to their records, compared, and downloadable."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client

from summaries.compute import compute
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
PAGE = "/summaries/"


@pytest.fixture
def summaries(cast):
    operation = factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombia], arrests=4, name="Operation Harbour"
    )
    operation.countries.set(["COL"])
    hidden = factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombia], sensitivity="restricted", arrests=6
    )
    hidden.countries.set(["COL"])
    compute("month", datetime.date(2024, 2, 1))
    compute("month", MARCH)


def page(user, **params):
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client.get(PAGE, {"period": "2024-03-01", **params})


def arrests_cell(response) -> str:
    html = response.content.decode()
    row = html[html.index("Arrests (operations started)") :]
    return row[: row.index("</tr>")]


def test_the_reader_sees_the_figures_they_may_open(cast, summaries):
    public = page(cast.anonymous, scope="country:COL")
    assert public.status_code == 200
    assert "Colombia: Mar 2024" in public.content.decode()
    assert ">4</a>" in arrests_cell(public)
    officer = page(cast.officer, scope="country:col")
    assert ">10</a>" in arrests_cell(officer)
    outsider = page(cast.outsider, scope="country:COL")
    assert ">4</a>" in arrests_cell(outsider)


def test_a_figure_links_to_its_records(cast, summaries):
    html = page(cast.analyst).content.decode()
    cell = html[html.index('<th scope="row">Operations started</th>') :]
    link = cell[cell.index('href="') + 6 : cell.index('" title')].replace("&amp;", "&")
    assert link.startswith("/operations/?")
    listed = Client()
    listed.force_login(cast.analyst)
    assert "Operation Harbour" in listed.get(link).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"scope": "country:XXX"},
        {"scope": "planet:earth"},
        {"granularity": "week"},
        {"granularity": "quarter", "period": "2024-02-01"},
        {"audience": "administrators"},
    ],
)
def test_bad_choices_are_refused_with_a_message(cast, summaries, params):
    response = page(cast.analyst, **params)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_a_period_without_a_summary_says_so(cast, summaries):
    response = page(cast.analyst, period="2019-01-01")
    assert response.status_code == 200
    assert "No summary has been computed" in response.content.decode()


def test_download_as_csv_and_printable_page(cast, summaries):
    response = page(cast.officer, scope="country:COL", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = {row["figure"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["outcomes.arrests"]["value"] == "10"
    assert rows["operations.started"]["previous period"] == "0"
    assert rows["operations.started"]["records"].startswith("http://testserver/operations/?")
    printable = page(cast.officer, scope="country:COL", **{"print": "1"})
    assert printable.status_code == 200
    assert "<nav" not in printable.content.decode()
    assert "Arrests (operations started)" in printable.content.decode()


def test_partner_country_and_region_pages_show_their_latest_month(cast):
    last_month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    operation = factories.JointOperationFactory(
        started_on=last_month, participants=[cast.colombia], arrests=3
    )
    operation.countries.set(["COL"])
    factories.JointOperationFactory(
        started_on=last_month, participants=[cast.colombia], sensitivity="restricted", arrests=5
    )
    compute("month", last_month)
    client = Client()
    for url in (f"/partners/{cast.colombia.pk}/", "/countries/COL/", "/regions/005/"):
        html = client.get(url).content.decode()
        panel = html[html.index('id="summary-h"') :]
        assert "Arrests</dt><dd>3</dd>" in panel, url
        assert f"period={last_month}" in panel
    client.force_login(cast.officer)
    html = client.get(f"/partners/{cast.colombia.pk}/").content.decode()
    assert "Arrests</dt><dd>8</dd>" in html[html.index('id="summary-h"') :]
    html = Client().get(f"/partners/{cast.peru.pk}/").content.decode()
    assert "No monthly summary has been computed here yet." in html


def test_breakdowns_are_named_not_coded(cast, summaries):
    html = page(cast.analyst).content.decode()
    assert "Operations started: Maritime interdiction" in html
    assert "maritime_interdiction</th>" not in html


def test_partnerships_seen_for_the_first_time_have_their_own_section(cast):
    factories.JointOperationFactory(started_on=MARCH, participants=[cast.colombia, cast.peru])
    compute("month", MARCH)
    html = page(cast.anonymous).content.decode()
    strongest = html.index("Strongest partnerships")
    first = html.index("Partnerships seen for the first time")
    assert strongest < first
    section = html[first:]
    assert "Government of Colombia &amp; Government of Peru" in section[: section.index("</table>")]
