"""The dashboard: last month's figures against the month before, two years of trends, what
expires soon and what happened lately — only ever counting what the viewer may see."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperation.figures import Month, add_months
from tests import factories

HIDDEN_NAME = "Operation Nightjar"
HIDDEN_AGREEMENT = "Nightjar memorandum"


def latest_month() -> Month:
    return Month.latest_complete(timezone.localdate())


def figures_of(page) -> dict:
    return {figure.label: figure for figure in page.context["month"].figures}


def as_viewer(client, cast, persona: str):
    client.logout()
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client.get("/")


def month_records(
    cast, month: Month, *, sensitivity="public", participants=None, name="Operation Harbour"
):
    """In ``month``: one operation started (and completed) with 12 arrests and 250 kg + 2 t
    seized, and one agreement signed (``Operation X`` → ``X memorandum``)."""
    operation = factories.JointOperationFactory(
        name=name,
        started_on=month.first,
        ended_on=month.first + datetime.timedelta(days=5),
        status="completed",
        arrests=12,
        sensitivity=sensitivity,
        participants=participants or [],
    )
    factories.SeizureFactory(operation=operation, quantity=Decimal("250"), unit="kg")
    factories.SeizureFactory(
        operation=operation, substance_id="heroin", quantity=Decimal("2"), unit="t"
    )
    factories.AgreementFactory(
        title=f"{name.removeprefix('Operation ')} memorandum",
        signed_on=month.first + datetime.timedelta(days=2),
        sensitivity=sensitivity,
        parties=participants or [],
    )
    return operation


# ---------------------------------------------------------------------------------------------
# What is listed


@pytest.mark.django_db
def test_it_shows_public_records_to_anonymous_visitors_only(client, cast):
    factories.AgreementFactory(title="Open memorandum", sensitivity="public")
    factories.AgreementFactory(title="Partners memorandum", sensitivity="partners")
    factories.JointOperationFactory(name="Operation Lantern", sensitivity="restricted")
    page = client.get("/")
    assert page.status_code == 200
    assert "Open memorandum" in page.text
    assert "Partners memorandum" not in page.text
    assert "Operation Lantern" not in page.text


@pytest.mark.django_db
def test_it_shows_restricted_operations_to_their_participants(client, cast):
    factories.JointOperationFactory(
        name="Operation Lantern", sensitivity="restricted", participants=[cast.colombia]
    )
    client.force_login(cast.officer)
    assert "Operation Lantern" in client.get("/").text
    client.force_login(cast.outsider)
    assert "Operation Lantern" not in client.get("/").text


@pytest.mark.django_db
def test_it_lists_the_latest_signed_agreements_before_unsigned_ones(client, cast):
    factories.AgreementFactory(title="Still negotiating", signed_on=None, entry_into_force_on=None)
    factories.AgreementFactory(title="Signed last year", signed_on=datetime.date(2025, 3, 1))
    text = client.get("/").text
    assert text.index("Signed last year") < text.index("Still negotiating")


@pytest.mark.django_db
def test_it_lists_agreements_in_force_that_expire_within_180_days(client, cast):
    today = timezone.localdate()
    factories.AgreementFactory(title="Expiring soon", expires_on=today + datetime.timedelta(30))
    factories.AgreementFactory(title="Expiring later", expires_on=today + datetime.timedelta(200))
    factories.AgreementFactory(
        title="Expiring unseen",
        expires_on=today + datetime.timedelta(30),
        sensitivity="restricted",
        parties=[cast.colombia],
    )
    section = expiring_section(as_viewer(client, cast, "outsider").text)
    assert "Expiring soon" in section
    assert "Expiring later" not in section
    assert "Expiring unseen" not in section
    assert "Expiring unseen" in expiring_section(as_viewer(client, cast, "officer").text)


def expiring_section(text: str) -> str:
    return text[text.index('id="expiring-h"') : text.index('id="journal-h"')]


@pytest.mark.django_db
def test_it_lists_journal_entries_of_operations_the_viewer_may_see(client, cast):
    shown = factories.JointOperationFactory(name="Operation Open", sensitivity="public")
    hidden = factories.JointOperationFactory(
        name=HIDDEN_NAME, sensitivity="restricted", participants=[cast.colombia]
    )
    factories.JournalEntryFactory(operation=shown, title="Boats sighted", author=cast.officer)
    factories.JournalEntryFactory(operation=hidden, title="Nightjar landed", author=cast.officer)
    outsider = as_viewer(client, cast, "outsider").text
    assert "Boats sighted" in outsider
    assert "Nightjar landed" not in outsider
    assert "Nightjar landed" in as_viewer(client, cast, "officer").text


@pytest.mark.django_db
def test_an_empty_portal_says_so_in_every_section(client, cast):
    text = client.get("/").text
    for message in (
        "No operation you may see started in these months.",
        "No seizure you may see is recorded for this period.",
        "No agreement you may see is in force and expiring",
        "No journal entry of an operation you may see yet.",
        "No joint operations are recorded yet, or none you may see.",
        "No agreements are recorded yet, or none you may see.",
    ):
        assert message in text


# ---------------------------------------------------------------------------------------------
# Figures


@pytest.mark.django_db
def test_it_counts_the_latest_complete_month_against_the_month_before(client, cast):
    month = latest_month()
    month_records(cast, month)
    month_records(cast, month, name="Operation Second")
    month_records(cast, month.previous, name="Operation Earlier")
    factories.JointOperationFactory(name="Operation Ongoing", started_on=month.first, arrests=5)
    figures = figures_of(client.get("/"))
    assert figures["Operations started"].value == 3
    assert figures["Operations started"].previous == 1
    assert figures["Operations started"].trend == "up"
    assert figures["Operations completed"].value == 2
    assert figures["Arrests"].value == 12 + 12 + 5
    assert figures["Arrests"].previous == 12
    assert figures["Seized"].value == Decimal("4500")  # 2 × (250 kg + 2 t)
    assert figures["Seized"].previous == Decimal("2250")
    assert figures["Agreements signed"].value == 2
    assert figures["Agreements signed"].previous == 1


@pytest.mark.django_db
def test_each_figure_links_to_the_records_it_counts(client, cast):
    month = latest_month()
    page = client.get("/")
    first, last = month.first.isoformat(), month.last.isoformat()
    assert f"/operations/?started_after={first}&amp;started_before={last}" in page.text
    assert f"/agreements/?signed_after={first}&amp;signed_before={last}" in page.text
    assert f"ended_after={first}&amp;ended_before={last}" in page.text


@pytest.mark.django_db
def test_the_charts_add_up_to_the_records_of_the_window(client, cast):
    month = latest_month()
    first = add_months(month.first, -23)
    for offset, kg in ((0, 100), (-5, 40), (-23, 7)):
        operation = factories.JointOperationFactory(started_on=add_months(month.first, offset))
        factories.SeizureFactory(operation=operation, quantity=Decimal(kg), unit="kg")
    factories.JointOperationFactory(started_on=add_months(first, -1))  # before the window
    factories.JointOperationFactory(started_on=add_months(month.first, 1))  # after it
    page = client.get("/")
    operations = page.context["operations_chart"]
    seizures = page.context["seizures_chart"]
    assert len(operations.categories) == 24
    assert sum(series.total for series in operations.series) == 3
    assert sum(series.total for series in seizures.series) == Decimal("147")
    assert [series.name for series in seizures.series] == ["Cocaine-type"]


@pytest.mark.django_db
def test_charts_are_inline_svg_with_a_title_a_description_and_their_figures(client, cast):
    operation = factories.JointOperationFactory(started_on=latest_month().first)
    factories.SeizureFactory(operation=operation, quantity=Decimal("3.5"), unit="t")
    text = client.get("/").text
    svg = re.search(r'<svg[^>]*class="pygal-chart".*?</svg>', text, re.S)
    assert svg
    assert 'role="img"' in svg.group(0)
    assert re.search(r'aria-labelledby="[\w-]+-svg-title [\w-]+-svg-desc"', svg.group(0))
    assert "<title" in svg.group(0) and "<desc" in svg.group(0)
    # Nothing a strict Content Security Policy would block, nothing fetched from elsewhere.
    assert "<script" not in svg.group(0) and "<style" not in svg.group(0)
    assert "http" not in svg.group(0).replace("http://www.w3.org/2000/svg", "")
    assert "Figures behind this chart" in text
    assert "3,500" in text  # the kilograms, in the table fallback


# ---------------------------------------------------------------------------------------------
# Visibility


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "analyst", "anonymous"])
def test_restricted_records_are_neither_listed_nor_counted_for_those_not_involved(
    client, cast, persona
):
    month = latest_month()
    month_records(cast, month)
    before = as_viewer(client, cast, persona)
    hidden = month_records(
        cast, month, sensitivity="restricted", participants=[cast.colombia], name=HIDDEN_NAME
    )
    factories.JournalEntryFactory(operation=hidden, title="Nightjar log", author=cast.officer)
    after = as_viewer(client, cast, persona)
    assert HIDDEN_NAME not in after.text
    assert HIDDEN_AGREEMENT not in after.text
    assert "Nightjar log" not in after.text
    for label, figure in figures_of(after).items():
        assert figure.value == figures_of(before)[label].value, label
    for chart in ("operations_chart", "seizures_chart"):
        assert after.context[chart].table_rows() == before.context[chart].table_rows()
    assert after.context["month"].operations == before.context["month"].operations


@pytest.mark.django_db
def test_the_partners_of_a_restricted_record_see_it_listed_and_counted(client, cast):
    month = latest_month()
    month_records(
        cast, month, sensitivity="restricted", participants=[cast.colombia], name=HIDDEN_NAME
    )
    page = as_viewer(client, cast, "officer")
    assert HIDDEN_NAME in page.text
    assert figures_of(page)["Operations started"].value == 1
    assert figures_of(page)["Seized"].value == Decimal("2250")


# ---------------------------------------------------------------------------------------------
# Cost


def populate(cast, count: int) -> None:
    month = latest_month()
    for number in range(count):
        operation = factories.JointOperationFactory(
            name=f"Operation {number}",
            started_on=add_months(month.first, -(number % 20)),
            participants=[cast.colombia],
        )
        factories.SeizureFactory(operation=operation)
        factories.JournalEntryFactory(operation=operation, author=cast.officer)
        factories.AgreementFactory(
            title=f"Agreement {number}",
            expires_on=timezone.localdate() + datetime.timedelta(days=10 + number),
        )


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_it_makes_the_same_few_queries_however_many_records_there_are(client, cast):
    client.force_login(cast.officer)
    populate(cast, 3)
    few = queries_for(client)
    populate(cast, 30)
    assert queries_for(client) == few
    # session, user, the viewer's role and partners (2), three month figures, two trends and
    # their two vocabularies, expiring, latest agreements, operations and journal entries
    assert few == 16
