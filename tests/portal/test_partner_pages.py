"""A partner's profile: who it is, whom it belongs to, the agreements and operations it takes
part in, whom it works with most and what was seized — only what the viewer may see."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation.models import Partner
from tests import factories

HIDDEN_OPERATION = "Operation Nightjar"
HIDDEN_AGREEMENT = "Nightjar memorandum"
HIDDEN_PARTNER = "Nightjar Task Unit"


def page_for(client, cast, persona: str, partner):
    client.logout()
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client.get(f"/partners/{partner.pk}/")


def operation(cast, *, started_on, participants, sensitivity="public", name=None, kg=None):
    made = factories.JointOperationFactory(
        started_on=started_on,
        participants=participants,
        sensitivity=sensitivity,
        arrests=3,
        **({"name": name} if name else {}),
    )
    if kg is not None:
        factories.SeizureFactory(operation=made, quantity=Decimal(kg), unit="kg")
    return made


# ---------------------------------------------------------------------------------------------
# Who the partner is


@pytest.mark.django_db
def test_a_government_shows_its_country_agencies_and_memberships(client, cast):
    organization = factories.OrganizationFactory(name="Andean Community")
    factories.MembershipFactory(
        organization=organization, member=cast.colombia, joined_on=datetime.date(1969, 5, 26)
    )
    page = client.get(f"/partners/{cast.colombia.pk}/")
    assert page.status_code == 200
    assert "Government of Colombia" in page.text
    assert "National government of" in page.text
    assert "/countries/COL/" in page.text
    assert "Colombian Navy" in page.text
    assert "Navy / coast guard" in page.text
    assert "Andean Community" in page.text
    assert "1969-05-26" in page.text


@pytest.mark.django_db
def test_an_agency_links_to_its_government_in_text_and_breadcrumbs(client, cast):
    page = client.get(f"/partners/{cast.colombian_navy.pk}/")
    assert page.context["breadcrumbs"][1] == (
        "Government of Colombia",
        f"/partners/{cast.colombia.pk}/",
    )
    assert "Navy / coast guard of" in page.text


@pytest.mark.django_db
def test_an_organization_lists_its_members_with_their_dates(client, cast):
    organization = factories.OrganizationFactory(name="Andean Community")
    factories.MembershipFactory(
        organization=organization, member=cast.colombia, joined_on=datetime.date(1969, 5, 26)
    )
    factories.MembershipFactory(
        organization=organization,
        member=cast.peru,
        joined_on=datetime.date(1969, 5, 26),
        left_on=datetime.date(2000, 1, 1),
    )
    page = client.get(f"/partners/{organization.pk}/")
    members = page.text[page.text.index('id="members-h"') :]
    assert "Government of Colombia" in members
    assert "Government of Peru" in members
    assert "2000-01-01" in members
    assert "Former" in members and "Current" in members


@pytest.mark.django_db
def test_an_unknown_partner_is_a_404(client, cast):
    assert client.get("/partners/999999/").status_code == 404


# ---------------------------------------------------------------------------------------------
# What it takes part in


@pytest.mark.django_db
def test_it_lists_its_agreements_and_operations_with_its_role(client, cast):
    agreement = factories.AgreementFactory(title="Pacific patrol memorandum")
    factories.AgreementPartyFactory(agreement=agreement, partner=cast.colombia, role="observer")
    operation(cast, started_on=datetime.date(2021, 3, 1), participants=[cast.peru, cast.colombia])
    page = client.get(f"/partners/{cast.colombia.pk}/")
    agreements = page.text[page.text.index('id="agreements-h"') :]
    operations = page.text[
        page.text.index('id="operations-h"') : page.text.index('id="agreements-h"')
    ]
    assert "Pacific patrol memorandum" in agreements and "Observer" in agreements
    assert "Operation Tidewater" in operations and "Partner" in operations
    assert f"/operations/?partner={cast.colombia.pk}" in page.text
    assert f"/agreements/?partner={cast.colombia.pk}" in page.text


@pytest.mark.django_db
def test_it_names_the_partners_it_works_with_most_and_since_when(client, cast):
    chile = factories.GovernmentFactory(country=factories.country("CHL"))
    for year in (2019, 2015, 2022):
        operation(
            cast, started_on=datetime.date(year, 1, 1), participants=[cast.colombia, cast.peru]
        )
    operation(cast, started_on=datetime.date(2010, 1, 1), participants=[cast.colombia, chile])
    operation(cast, started_on=datetime.date(2005, 1, 1), participants=[cast.peru, chile])
    co_partners = list(client.get(f"/partners/{cast.colombia.pk}/").context["co_partners"])
    assert [(row["name"], row["shared"], row["since"]) for row in co_partners] == [
        ("Government of Peru", 3, datetime.date(2015, 1, 1)),
        (chile.name, 1, datetime.date(2010, 1, 1)),
    ]


@pytest.mark.django_db
def test_its_figures_and_seizure_chart_add_up(client, cast):
    operation(cast, started_on=datetime.date(2020, 5, 1), participants=[cast.colombia], kg="250")
    operation(cast, started_on=datetime.date(2020, 9, 1), participants=[cast.colombia], kg="100")
    operation(cast, started_on=datetime.date(2023, 1, 1), participants=[cast.colombia], kg="40")
    operation(cast, started_on=datetime.date(2023, 1, 1), participants=[cast.peru], kg="999")
    page = client.get(f"/partners/{cast.colombia.pk}/")
    chart = page.context["seizures_chart"]
    assert chart.categories == ["2020", "2021", "2022", "2023"]
    assert [series.values for series in chart.series] == [[Decimal("350"), 0, 0, Decimal("40")]]
    assert page.context["kg_seized"] == Decimal("390")
    assert page.context["totals"] == {"operations": 3, "arrests": 9}


@pytest.mark.django_db
def test_a_government_counts_what_each_of_its_agencies_takes_part_in(client, cast):
    operation(cast, started_on=datetime.date(2020, 1, 1), participants=[cast.colombian_navy])
    operation(cast, started_on=datetime.date(2021, 1, 1), participants=[cast.colombian_navy])
    operation(
        cast,
        started_on=datetime.date(2021, 1, 1),
        participants=[cast.colombian_navy],
        sensitivity="restricted",
    )
    agencies = {a.name: a for a in client.get(f"/partners/{cast.colombia.pk}/").context["agencies"]}
    assert agencies["Colombian Navy"].operations == 2
    assert agencies["Colombian Navy"].agreements == 0


@pytest.mark.django_db
def test_a_partner_with_nothing_recorded_explains_each_empty_section(client, cast):
    text = client.get(f"/partners/{cast.peru.pk}/").text
    assert "takes part in no operation you may see" in text
    assert "is party to no agreement you may see" in text
    assert "No other partner shares an operation you may see" in text
    assert "No seizure is recorded in the operations you may see it take part in." in text
    assert "No agency of this government is recorded." in text


# ---------------------------------------------------------------------------------------------
# Visibility


def plant_hidden_records(cast):
    """A restricted operation and agreement of Colombia's, with a partner seen nowhere else."""
    stranger = factories.OrganizationFactory(name=HIDDEN_PARTNER)
    operation(
        cast,
        started_on=datetime.date(2022, 6, 1),
        participants=[cast.colombia, stranger, cast.peru],
        sensitivity="restricted",
        name=HIDDEN_OPERATION,
        kg="5000",
    )
    factories.AgreementFactory(
        title=HIDDEN_AGREEMENT, sensitivity="restricted", parties=[cast.colombia, cast.peru]
    )
    return stranger


def visible_records(cast):
    operation(cast, started_on=datetime.date(2019, 1, 1), participants=[cast.colombia], kg="10")
    operation(cast, started_on=datetime.date(2021, 1, 1), participants=[cast.colombia, cast.peru])
    factories.AgreementFactory(title="Open memorandum", parties=[cast.colombia])


def profile_figures(page) -> dict:
    context = page.context
    return {
        "totals": context["totals"],
        "agreements": context["agreement_count"],
        "kg": context["kg_seized"],
        "co_partners": [(r["name"], r["shared"]) for r in context["co_partners"]],
        "chart": context["seizures_chart"].table_rows(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["analyst", "anonymous"])
@pytest.mark.parametrize("profile", ["colombia", "peru"])
def test_restricted_records_are_neither_listed_nor_counted_for_those_not_involved(
    client, cast, persona, profile
):
    visible_records(cast)
    partner = getattr(cast, profile)
    before = page_for(client, cast, persona, partner)
    plant_hidden_records(cast)
    after = page_for(client, cast, persona, partner)
    for name in (HIDDEN_OPERATION, HIDDEN_AGREEMENT, HIDDEN_PARTNER):
        assert name not in after.text
    assert profile_figures(after) == profile_figures(before)


@pytest.mark.django_db
def test_the_outsider_sees_nothing_of_colombias_restricted_records(client, cast):
    """Peru's officer, when Peru takes no part in them."""
    visible_records(cast)
    before = page_for(client, cast, "outsider", cast.colombia)
    stranger = factories.OrganizationFactory(name=HIDDEN_PARTNER)
    operation(
        cast,
        started_on=datetime.date(2022, 6, 1),
        participants=[cast.colombia, stranger],
        sensitivity="restricted",
        name=HIDDEN_OPERATION,
        kg="5000",
    )
    factories.AgreementFactory(
        title=HIDDEN_AGREEMENT, sensitivity="restricted", parties=[cast.colombia]
    )
    after = page_for(client, cast, "outsider", cast.colombia)
    for name in (HIDDEN_OPERATION, HIDDEN_AGREEMENT, HIDDEN_PARTNER):
        assert name not in after.text
    assert profile_figures(after) == profile_figures(before)
    # The stranger's own profile opens (partners are not secret) but shows none of it.
    text = page_for(client, cast, "outsider", stranger).text
    assert HIDDEN_OPERATION not in text
    assert "Government of Colombia" not in text


@pytest.mark.django_db
def test_the_partners_involved_see_and_count_their_restricted_records(client, cast):
    visible_records(cast)
    plant_hidden_records(cast)
    page = page_for(client, cast, "officer", cast.colombia)
    assert HIDDEN_OPERATION in page.text
    assert HIDDEN_AGREEMENT in page.text
    assert HIDDEN_PARTNER in page.text
    assert page.context["kg_seized"] == Decimal("5010")


# ---------------------------------------------------------------------------------------------
# Cost


def queries_for(client, partner) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/partners/{partner.pk}/").status_code == 200
    return len(captured.captured_queries)


def populate(cast, count: int) -> None:
    for number in range(count):
        agency = factories.AgencyFactory(parent=cast.colombia, name=f"Unit {number}-{count}")
        organization = factories.OrganizationFactory()
        factories.MembershipFactory(organization=organization, member=cast.colombia)
        made = operation(
            cast,
            started_on=datetime.date(2000 + number % 20, 1, 1),
            participants=[cast.colombia, agency, organization],
            kg="5",
        )
        factories.SeizureFactory(operation=made, substance_id="heroin")
        factories.AgreementFactory(parties=[cast.colombia, organization])


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Partner.Kind.GOVERNMENT, Partner.Kind.AGENCY])
def test_a_profile_makes_the_same_few_queries_however_much_is_recorded(client, cast, kind):
    client.force_login(cast.officer)
    partner = cast.colombia if kind == Partner.Kind.GOVERNMENT else cast.colombian_navy
    populate(cast, 2)
    few = queries_for(client, partner)
    populate(cast, 25)
    assert queries_for(client, partner) == few
    # session, user, role and partners (2), the partner, agreement count and rows, operation
    # rows, totals, seizures by year and the groups' names, co-partners; for a government its
    # agencies and memberships too; its latest monthly summary; its history
    assert few == (17 if kind == Partner.Kind.GOVERNMENT else 15)


@pytest.mark.django_db
def test_an_organizations_profile_makes_the_same_few_queries_however_many_members(client, cast):
    organization = factories.OrganizationFactory()
    for iso3 in ("CHL", "ECU"):
        factories.MembershipFactory(
            organization=organization,
            member=factories.GovernmentFactory(country=factories.country(iso3)),
        )
    few = queries_for(client, organization)
    for iso3 in ("BRA", "ARG", "URY", "PRY", "BOL"):
        factories.MembershipFactory(
            organization=organization,
            member=factories.GovernmentFactory(country=factories.country(iso3)),
        )
    assert queries_for(client, organization) == few
