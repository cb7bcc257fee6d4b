"""Partners: one table, three typed faces, and the people who act for them."""

from __future__ import annotations

import pytest

from cooperation.models import Agency, Government, Organization, Partner
from tests import factories


@pytest.mark.django_db
def test_each_typed_face_shows_only_its_kind(cast):
    organization = factories.OrganizationFactory()
    assert set(Government.objects.all()) == {cast.colombia, cast.peru}
    assert list(Agency.objects.all()) == [cast.colombian_navy]
    assert list(Organization.objects.all()) == [organization]
    assert Partner.objects.count() == 4


@pytest.mark.django_db
def test_a_typed_face_saves_its_own_kind():
    chile = Government.objects.create(name="Government of Chile", country_id="CHL")
    assert chile.kind == Partner.Kind.GOVERNMENT
    carabineros = Agency.objects.create(
        name="Carabineros de Chile", parent=chile, country_id="CHL", agency_type="police"
    )
    assert Partner.objects.get(pk=carabineros.pk).kind == Partner.Kind.AGENCY
    assert list(chile.agencies.all()) == [Partner.objects.get(pk=carabineros.pk)]


@pytest.mark.django_db
def test_partners_have_stable_uuids(cast):
    first = cast.colombia.uuid
    cast.colombia.name = "Republic of Colombia"
    cast.colombia.save()
    cast.colombia.refresh_from_db()
    assert cast.colombia.uuid == first
    assert cast.colombia.uuid != cast.peru.uuid


@pytest.mark.django_db
def test_organizations_have_member_governments(cast):
    membership = factories.MembershipFactory(member=cast.colombia)
    assert list(membership.organization.members.all()) == [cast.colombia]
    assert list(cast.colombia.memberships.all()) == [membership.organization]


@pytest.mark.django_db
def test_an_officer_acts_for_their_government_and_its_agencies(cast):
    assert set(Partner.objects.represented_by(cast.officer)) == {
        cast.colombia,
        cast.colombian_navy,
    }
    assert set(Partner.objects.represented_by(cast.outsider)) == {cast.peru}
    assert not Partner.objects.represented_by(cast.analyst).exists()
    assert not Partner.objects.represented_by(cast.anonymous).exists()


@pytest.mark.django_db
def test_an_agency_officer_acts_for_the_agency_alone(cast):
    navy_officer = factories.UserFactory(partners=[cast.colombian_navy])
    assert list(Partner.objects.represented_by(navy_officer)) == [cast.colombian_navy]


@pytest.mark.django_db
def test_a_deactivated_user_acts_for_nobody(cast):
    cast.officer.is_active = False
    cast.officer.save()
    assert not Partner.objects.represented_by(cast.officer).exists()
