"""The operations pages: what an operation's page shows, to whom, and what the list page costs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from operations.models import JournalEntry
from tests import factories

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "analyst", "officer", "outsider", "administrator")
# Whom an operation Colombia takes part in is shown to, by sensitivity (from the design brief:
# public for everyone, partners for the signed-in, restricted for participants and admins).
SEES = {
    "public": set(PERSONAS),
    "partners": set(PERSONAS) - {"anonymous"},
    "restricted": {"officer", "administrator"},
}


def sign_in(client, cast, persona: str):
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client


@pytest.fixture
def operation(cast):
    """An operation with something in every section of its page."""
    operation = factories.JointOperationFactory(
        name="Operation Lantern",
        status="completed",
        started_on=datetime.date(2021, 5, 1),
        ended_on=datetime.date(2021, 6, 30),
        summary="Joint patrols along the Pacific coast.",
        arrests=42,
        labs_dismantled=7,
        hectares_eradicated=Decimal("12.50"),
        assets_seized_usd=Decimal("2500000"),
    )
    factories.ParticipationFactory(
        operation=operation, partner=cast.colombian_navy, role="lead", personnel=5200
    )
    factories.ParticipationFactory(operation=operation, partner=cast.peru, role="support")
    operation.countries.set([factories.country("COL"), factories.country("PER")])
    operation.technologies.set(["uav", "maritime_patrol"])
    agreement = factories.AgreementFactory(title="Pacific Maritime Memorandum")
    factories.LegalBasisFactory(operation=operation, agreement=agreement, article="Art. 17")
    factories.SeizureFactory(
        operation=operation,
        substance_id="cocaine",
        quantity=Decimal("1.5"),
        unit="t",
        seized_on=datetime.date(2021, 5, 3),
        country=factories.country("COL"),
    )
    factories.SeizureFactory(
        operation=operation,
        substance_id="ecstasy",
        quantity=Decimal("10000"),
        unit="units",
        mass_per_unit_kg=Decimal("0.0003"),
        seized_on=datetime.date(2021, 5, 4),
    )
    factories.ImpactReportFactory(
        operation=operation,
        kind="property_damage",
        severity="high",
        follow_up="Compensation claims under review.",
        follow_up_status="in_progress",
        description="Fishing boats damaged during a pursuit.",
    )
    factories.JournalEntryFactory(
        operation=operation,
        title="Units in position",
        occurred_at=datetime.datetime(2021, 5, 1, 8, tzinfo=datetime.UTC),
        author=cast.officer,
    )
    factories.JournalEntryFactory(
        operation=operation,
        title="Results consolidated",
        kind=JournalEntry.Kind.OUTCOME_NOTE,
        occurred_at=datetime.datetime(2021, 7, 1, 9, tzinfo=datetime.UTC),
        author=cast.outsider,
        author_partner=cast.peru,
    )
    return operation


def test_the_page_shows_every_section_of_the_operation(client, cast, operation):
    page = client.get(operation.get_absolute_url())
    assert page.status_code == 200
    text = page.text
    # Participants with roles and personnel, linked to their partners' pages.
    assert f'href="{cast.colombian_navy.get_absolute_url()}"' in text
    assert f'href="{cast.peru.get_absolute_url()}"' in text
    assert "5,200" in text
    assert "Support" in text
    # Legal basis, linked; countries and technologies.
    agreement = operation.legal_bases.get().agreement
    assert f'href="{agreement.get_absolute_url()}"' in text
    assert "Art. 17" in text
    assert "Peru" in text and "Colombia" in text
    assert "Unmanned aerial vehicle" in text and "Maritime patrol" in text
    # Seizures with quantity and unit, kg-equivalents and their total (1,500 + 3).
    assert "1.5 t" in text
    assert "10,000 units" in text
    assert "1,503 kg" in text
    # Outcome counters.
    for figure in ("42", "7", "12.5", "2,500,000"):
        assert f'<dd class="value">{figure}</dd>' in text
    # Community impact with its severity and follow-up.
    assert "Property damage" in text and "High" in text
    assert "Compensation claims under review." in text
    # The journal, newest first, with its authors.
    assert text.index("Results consolidated") < text.index("Units in position")
    assert "partner-officer, for Government of Peru" in text


def test_a_seizure_counted_without_a_mass_is_left_out_of_the_total_and_said_so(
    client, cast, operation
):
    factories.SeizureFactory(
        operation=operation, substance_id="cannabis_herb", quantity=500, unit="plants"
    )
    text = client.get(operation.get_absolute_url()).text
    assert "not converted" in text
    assert "1 seizure counted in units or plants without a mass per unit is not included" in text
    assert "1,503 kg" in text


def test_an_operation_with_nothing_recorded_says_so_in_each_section(client, cast):
    operation = factories.JointOperationFactory(name="Operation Quiet")
    text = client.get(operation.get_absolute_url()).text
    for empty in (
        "No participant is recorded.",
        "No agreement you may see is cited as its legal basis.",
        "No technology is recorded.",
        "No seizure is recorded.",
        "No community impact is reported.",
        "The journal is empty.",
    ):
        assert empty in text


def test_the_breadcrumbs_lead_back_to_the_list(client, cast, operation):
    text = client.get(operation.get_absolute_url()).text
    assert '<a href="/operations/">Operations</a>' in text
    assert '<li aria-current="page">Operation Lantern</li>' in text


@pytest.mark.parametrize("sensitivity", sorted(SEES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_is_shown_only_to_those_who_may_see_the_operation(
    client, cast, sensitivity, persona
):
    operation = factories.JointOperationFactory(
        sensitivity=sensitivity, participants=[cast.colombia]
    )
    sign_in(client, cast, persona)
    page = client.get(operation.get_absolute_url())
    assert page.status_code == (200 if persona in SEES[sensitivity] else 404)


def test_an_agreement_the_viewer_may_not_see_is_not_named_as_legal_basis(client, cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    open_agreement = factories.AgreementFactory(title="Open Memorandum")
    hidden = factories.AgreementFactory(
        title="Peruvian Secret Protocol", sensitivity="restricted", parties=[cast.peru]
    )
    factories.LegalBasisFactory(operation=operation, agreement=open_agreement)
    factories.LegalBasisFactory(operation=operation, agreement=hidden)

    text = sign_in(client, cast, "officer").get(operation.get_absolute_url()).text
    assert "Open Memorandum" in text
    assert "Peruvian Secret Protocol" not in text
    assert hidden.get_absolute_url() not in text

    text = sign_in(client, cast, "outsider").get(operation.get_absolute_url()).text
    assert "Peruvian Secret Protocol" in text


def test_officers_see_the_actions_and_others_do_not(client, cast, operation):
    edit = f'href="/operations/{operation.pk}/edit/"'
    journal = f'href="/operations/{operation.pk}/journal/new/"'
    impact = f'href="/operations/{operation.pk}/impact/new/"'
    for persona in ("anonymous", "analyst"):
        text = sign_in(client, cast, persona).get(operation.get_absolute_url()).text
        assert edit not in text and journal not in text and impact not in text
    text = sign_in(client, cast, "officer").get(operation.get_absolute_url()).text
    assert edit in text and journal in text and impact in text


def test_officers_find_log_an_operation_in_the_navigation_and_analysts_do_not(client, cast):
    assert "Log an operation" not in sign_in(client, cast, "analyst").get("/operations/").text
    text = sign_in(client, cast, "officer").get("/operations/").text
    assert '<a class="action" href="/operations/new/">Log an operation</a>' in text


def test_the_page_reads_a_fixed_number_of_queries(
    client, cast, operation, django_assert_max_num_queries
):
    for _ in range(10):
        factories.SeizureFactory(operation=operation)
        factories.JournalEntryFactory(operation=operation, author=cast.officer)
    client.force_login(cast.officer)
    with django_assert_max_num_queries(22):
        assert client.get(operation.get_absolute_url()).status_code == 200


def add_operations(cast, count: int) -> None:
    for number in range(count):
        operation = factories.JointOperationFactory(
            name=f"Operation {number}", participants=[cast.colombia, cast.peru]
        )
        operation.countries.set([factories.country("COL")])


# Session and user (2), role and partners (1), the panel's vocabularies (6), the count, the
# user's permissions for the navigation (2), then the page of operations, their countries and
# their participants (3).
LIST_PAGE_QUERIES = 15


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_page_costs_the_same_queries_for_thirty_operations_as_for_three(
    client, cast, count, django_assert_num_queries
):
    add_operations(cast, count)
    client.force_login(cast.officer)
    with django_assert_num_queries(LIST_PAGE_QUERIES):
        page = client.get("/operations/")
    assert page.text.count('<th scope="row">') == count
