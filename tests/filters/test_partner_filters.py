"""The partner list's parameters: each keeps exactly the partners it names, once."""

from __future__ import annotations

import datetime

from cooperation.filters import PartnerFilterSet
from cooperation.models import Partner
from tests import factories
from tests.filters import errors, filtered

D = datetime.date


def partners(params):
    return set(filtered(PartnerFilterSet, params))


def government(iso3):
    return factories.GovernmentFactory(country=factories.country(iso3))


def test_kind_keeps_partners_of_the_kinds_named(cast):
    unodc = factories.OrganizationFactory(name="UNODC")

    assert partners({"kind": "government"}) == {cast.colombia, cast.peru}
    assert partners({"kind": ["agency", "organization"]}) == {cast.colombian_navy, unodc}


def test_an_unknown_kind_is_an_error(db):
    assert "kind" in errors(PartnerFilterSet, {"kind": "company"})


def test_country_keeps_partners_of_the_countries_named(cast):
    mexico = government("MEX")

    assert partners({"country": "COL"}) == {cast.colombia, cast.colombian_navy}
    assert partners({"country": ["per", "MEX"]}) == {cast.peru, mexico}


def test_an_unknown_country_is_an_error(db):
    assert "country" in errors(PartnerFilterSet, {"country": "COL,XYZ"})


def test_region_keeps_partners_of_a_country_in_that_region(cast):
    mexico = government("MEX")
    government("ESP")
    factories.OrganizationFactory()  # no seat: in no region

    assert partners({"region": "005"}) == {cast.colombia, cast.colombian_navy, cast.peru}
    assert partners({"region": "013"}) == {mexico}
    assert partners({"region": "19"}) == {cast.colombia, cast.colombian_navy, cast.peru, mexico}


def test_an_unknown_region_is_an_error(db):
    assert "region" in errors(PartnerFilterSet, {"region": "Andes"})


def test_parent_keeps_the_agencies_of_the_governments_named(cast):
    factories.AgencyFactory(parent=cast.peru)

    assert partners({"parent": cast.colombia.pk}) == {cast.colombian_navy}


def test_agency_type_keeps_agencies_of_the_types_named(cast):
    police = factories.AgencyFactory(parent=cast.colombia, agency_type="police")

    assert partners({"agency_type": "navy_coast_guard"}) == {cast.colombian_navy}
    assert partners({"agency_type": "police,customs"}) == {police}


def test_an_unknown_agency_type_is_an_error(db):
    assert "agency_type" in errors(PartnerFilterSet, {"agency_type": "army"})


def test_organization_type_keeps_organizations_of_the_types_named(db):
    un_body = factories.OrganizationFactory(organization_type="un_body")
    factories.OrganizationFactory(organization_type="ngo")

    assert partners({"organization_type": "un_body"}) == {un_body}


def test_an_unknown_organization_type_is_an_error(db):
    assert "organization_type" in errors(PartnerFilterSet, {"organization_type": "club"})


def test_member_of_keeps_the_current_member_governments_of_an_organization(cast):
    oas = factories.OrganizationFactory(name="OAS")
    other = factories.OrganizationFactory()
    mexico, spain, brazil = government("MEX"), government("ESP"), government("BRA")
    factories.MembershipFactory(organization=oas, member=cast.colombia)
    factories.MembershipFactory(organization=oas, member=mexico, joined_on=D(1948, 4, 30))
    factories.MembershipFactory(  # left: no longer a member
        organization=oas, member=spain, joined_on=D(1990, 1, 1), left_on=D(2000, 1, 1)
    )
    factories.MembershipFactory(organization=oas, member=brazil, joined_on=D(2999, 1, 1))
    # A member of two organizations named still comes back once.
    factories.MembershipFactory(organization=other, member=cast.colombia)
    factories.MembershipFactory(organization=other, member=cast.peru)

    assert partners({"member_of": oas.pk}) == {cast.colombia, mexico}
    assert partners({"member_of": [oas.pk, other.pk]}) == {cast.colombia, cast.peru, mexico}


def test_is_active_keeps_active_or_inactive_partners(cast):
    dissolved = factories.OrganizationFactory(is_active=False)

    assert partners({"is_active": "false"}) == {dissolved}
    assert dissolved not in partners({"is_active": "true"})
    assert partners({"is_active": "true"}) == {cast.colombia, cast.colombian_navy, cast.peru}


def test_an_is_active_that_is_not_true_or_false_is_an_error(db):
    assert "is_active" in errors(PartnerFilterSet, {"is_active": "maybe"})


def test_q_keeps_partners_by_name_or_acronym(cast):
    dea = factories.OrganizationFactory(name="Drug Enforcement Administration", acronym="DEA")
    factories.OrganizationFactory(name="Interpol", acronym="ICPO")

    assert partners({"q": "dea"}) == {dea}
    assert partners({"q": "government colombia"}) == {cast.colombia}


def test_updated_since_keeps_partners_changed_at_or_after_that_moment(cast):
    Partner.objects.update(updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    Partner.objects.filter(pk=cast.peru.pk).update(
        updated_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
    )

    assert partners({"updated_since": "2024-05-31T22:00:00-02:00"}) == {cast.peru}


def test_a_bad_updated_since_is_an_error(db):
    assert "updated_since" in errors(PartnerFilterSet, {"updated_since": "2024-06-01T25:00"})


def test_ordering_sorts_partners_by_the_fields_named(cast):
    assert filtered(PartnerFilterSet, {"ordering": "-name"}) == [
        cast.peru,
        cast.colombia,
        cast.colombian_navy,
    ]
    assert filtered(PartnerFilterSet, {"ordering": "kind,name"}) == [
        cast.colombian_navy,
        cast.colombia,
        cast.peru,
    ]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(PartnerFilterSet, {"ordering": "country"})
