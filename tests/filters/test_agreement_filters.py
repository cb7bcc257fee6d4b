"""The agreement list's parameters: each keeps exactly the agreements it names, once."""

from __future__ import annotations

import datetime

import pytest

from agreements.filters import AgreementFilterSet
from agreements.models import Agreement, AgreementParty
from tests import factories
from tests.filters import errors, filtered

D = datetime.date


def agreements(params, **kwargs):
    return set(filtered(AgreementFilterSet, params, **kwargs))


def party(agreement, partner, role=AgreementParty.Role.PARTY):
    return factories.AgreementPartyFactory(agreement=agreement, partner=partner, role=role)


def test_q_keeps_agreements_with_every_word_in_title_reference_or_summary(db):
    by_title = factories.AgreementFactory(title="Ship-rider agreement")
    by_short_title = factories.AgreementFactory(title="Memorandum", short_title="Ship rider MoU")
    by_reference = factories.AgreementFactory(title="Letter", reference="SHIP/RIDER/1997")
    by_summary = factories.AgreementFactory(title="Plan", summary="Riders board ships at sea.")
    one_word_only = factories.AgreementFactory(title="Shipping container control")

    kept = agreements({"q": "ship RIDER"})

    assert kept == {by_title, by_short_title, by_reference, by_summary}
    assert one_word_only not in kept


def test_kind_keeps_agreements_of_the_kinds_named(db):
    treaty = factories.AgreementFactory(kind=Agreement.Kind.TREATY)
    mou = factories.AgreementFactory(kind=Agreement.Kind.MOU)
    factories.AgreementFactory(kind=Agreement.Kind.FRAMEWORK)

    assert agreements({"kind": "treaty,mou"}) == {treaty, mou}


def test_an_unknown_kind_is_an_error(db):
    assert "kind" in errors(AgreementFilterSet, {"kind": "pact"})


def test_scope_keeps_bilateral_agreements(cast):
    bilateral = factories.AgreementFactory(
        scope=Agreement.Scope.BILATERAL, parties=[cast.colombia, cast.peru]
    )
    factories.AgreementFactory(scope=Agreement.Scope.MULTILATERAL, parties=[cast.colombia])

    assert agreements({"scope": "bilateral"}) == {bilateral}


def test_status_keeps_agreements_in_the_lifecycle_statuses_named(db):
    in_force = factories.AgreementFactory()
    signed = factories.AgreementFactory(signed_on=D(2015, 3, 1), entry_into_force_on=None)
    expired = factories.AgreementFactory(expires_on=D(2016, 1, 1))
    factories.AgreementFactory(signed_on=None, entry_into_force_on=None)  # negotiating

    assert agreements({"status": ["in_force", "signed"]}) == {in_force, signed}
    assert agreements({"status": "expired"}) == {expired}


def test_status_reuses_a_status_the_view_already_annotated(db):
    in_force_since_2015 = factories.AgreementFactory()
    factories.AgreementFactory(signed_on=D(2015, 3, 1), entry_into_force_on=None)

    back_then = Agreement.objects.with_status(on=D(2015, 4, 1))

    assert agreements({"status": "signed"}, queryset=back_then) == set(Agreement.objects.all())
    assert agreements({"status": "in_force"}) == {in_force_since_2015}


def test_an_unknown_status_is_an_error(db):
    assert "status" in errors(AgreementFilterSet, {"status": "ratified"})


def test_area_keeps_agreements_covering_any_area_named_once_each(db):
    maritime = factories.AgreementFactory()
    maritime.areas.set(["maritime_interdiction", "air_interdiction", "intelligence_sharing"])
    training = factories.AgreementFactory()
    training.areas.set(["joint_training"])
    factories.AgreementFactory().areas.set(["eradication"])

    assert agreements({"area": "maritime_interdiction,air_interdiction,joint_training"}) == {
        maritime,
        training,
    }


def test_an_unknown_area_is_an_error(db):
    assert "area" in errors(AgreementFilterSet, {"area": "maritime_interdiction,piracy"})


def test_partner_keeps_agreements_the_partner_is_listed_in(cast):
    with_colombia = factories.AgreementFactory(parties=[cast.colombia, cast.peru])
    with_navy = factories.AgreementFactory(parties=[cast.colombian_navy])
    factories.AgreementFactory(parties=[cast.peru])

    assert agreements({"partner": [cast.colombia.pk, cast.colombian_navy.pk]}) == {
        with_colombia,
        with_navy,
    }


def test_an_unknown_partner_matches_nothing(cast):
    factories.AgreementFactory(parties=[cast.colombia])

    assert agreements({"partner": 987654321}) == set()


def test_partner_role_with_partner_needs_one_party_row_with_both(cast):
    colombia_funds = factories.AgreementFactory()
    party(colombia_funds, cast.colombia, AgreementParty.Role.FUNDER)
    party(colombia_funds, cast.peru)
    # Colombia is a party and someone else funds: not "Colombia as funder".
    someone_else_funds = factories.AgreementFactory()
    party(someone_else_funds, cast.colombia)
    party(someone_else_funds, cast.peru, AgreementParty.Role.FUNDER)

    assert agreements({"partner": cast.colombia.pk, "partner_role": "funder"}) == {colombia_funds}


def test_partner_role_alone_keeps_agreements_with_anyone_in_that_role(cast):
    observed = factories.AgreementFactory()
    party(observed, cast.colombia, AgreementParty.Role.OBSERVER)
    party(observed, cast.peru, AgreementParty.Role.OBSERVER)
    factories.AgreementFactory(parties=[cast.colombia])

    assert agreements({"partner_role": "observer"}) == {observed}


def test_an_unknown_partner_role_is_an_error(db):
    assert "partner_role" in errors(AgreementFilterSet, {"partner_role": "guarantor"})


def test_country_keeps_agreements_with_a_partner_of_that_country(cast):
    # The government and its navy are both Colombian: the agreement still comes back once.
    colombian = factories.AgreementFactory(parties=[cast.colombia, cast.colombian_navy])
    peruvian = factories.AgreementFactory(parties=[cast.peru])
    mexican = factories.AgreementFactory(
        parties=[factories.GovernmentFactory(country=factories.country("MEX"))]
    )

    assert agreements({"country": "col,PER"}) == {colombian, peruvian}
    assert mexican not in agreements({"country": "COL"})


def test_an_unknown_country_is_an_error(db):
    assert "country" in errors(AgreementFilterSet, {"country": "XXX"})


def test_region_keeps_agreements_with_a_partner_in_that_region(cast):
    south_american = factories.AgreementFactory(parties=[cast.colombia, cast.peru])
    mexican = factories.AgreementFactory(
        parties=[factories.GovernmentFactory(country=factories.country("MEX"))]
    )
    spanish = factories.AgreementFactory(
        parties=[factories.GovernmentFactory(country=factories.country("ESP"))]
    )

    assert agreements({"region": "005"}) == {south_american}
    assert agreements({"region": "419"}) == {south_american, mexican}
    assert spanish not in agreements({"region": "019"})


def test_an_unknown_region_is_an_error(db):
    assert "region" in errors(AgreementFilterSet, {"region": "999"})


def test_sensitivity_keeps_agreements_of_that_sensitivity(db):
    restricted = factories.AgreementFactory(sensitivity="restricted")
    factories.AgreementFactory(sensitivity="public")

    assert agreements({"sensitivity": "restricted"}) == {restricted}


def test_facilitator_keeps_agreements_that_partner_facilitates(cast):
    unodc = factories.OrganizationFactory(name="UNODC")
    facilitated = factories.AgreementFactory(facilitator=unodc)
    factories.AgreementFactory(facilitator=factories.OrganizationFactory())

    assert agreements({"facilitator": unodc.pk}) == {facilitated}


def test_depositary_keeps_agreements_that_partner_keeps(db):
    oas = factories.OrganizationFactory(name="OAS")
    deposited = factories.AgreementFactory(depositary=oas)
    factories.AgreementFactory()

    assert agreements({"depositary": oas.pk}) == {deposited}


def test_amends_keeps_the_amendments_of_an_agreement(db):
    original = factories.AgreementFactory()
    amendment = factories.AgreementFactory(kind=Agreement.Kind.PROTOCOL, amends=original)
    factories.AgreementFactory(kind=Agreement.Kind.PROTOCOL, amends=factories.AgreementFactory())

    assert agreements({"amends": original.pk}) == {amendment}


def test_amends_does_not_confirm_a_link_to_an_agreement_hidden_from_the_requester(cast):
    hidden = factories.AgreementFactory(sensitivity="restricted", parties=[cast.peru])
    amendment = factories.AgreementFactory(amends=hidden)

    assert agreements({"amends": hidden.pk}, user=cast.officer) == set()
    assert agreements({"amends": hidden.pk}, user=cast.outsider) == {amendment}


def test_supersedes_keeps_the_agreements_that_replaced_one(db):
    old = factories.AgreementFactory()
    successor = factories.AgreementFactory(supersedes=old)
    factories.AgreementFactory()

    assert agreements({"supersedes": old.pk}) == {successor}


@pytest.mark.parametrize(
    ("params", "kept"),
    [
        ({"signed_after": "2015-03-01"}, {"2015", "2018"}),
        ({"signed_before": "2015-03-01"}, {"2012", "2015"}),
        ({"signed_after": "2013-01-01", "signed_before": "2016-12-31"}, {"2015"}),
    ],
)
def test_signed_after_and_before_keep_agreements_signed_in_the_range_inclusive(db, params, kept):
    for year, day in (("2012", D(2012, 5, 1)), ("2015", D(2015, 3, 1)), ("2018", D(2018, 9, 9))):
        factories.AgreementFactory(title=year, signed_on=day)
    factories.AgreementFactory(title="unsigned", signed_on=None)

    assert {a.title for a in agreements(params)} == kept


def test_in_force_after_and_before_keep_agreements_by_entry_into_force(db):
    early = factories.AgreementFactory(signed_on=D(2010, 1, 1), entry_into_force_on=D(2010, 6, 1))
    late = factories.AgreementFactory(signed_on=D(2019, 1, 1), entry_into_force_on=D(2020, 2, 1))
    factories.AgreementFactory(signed_on=D(2019, 1, 1), entry_into_force_on=None)

    assert agreements({"in_force_after": "2020-02-01"}) == {late}
    assert agreements({"in_force_before": "2010-06-01"}) == {early}


def test_expires_after_and_before_keep_agreements_by_expiry(db):
    soon = factories.AgreementFactory(expires_on=D(2026, 1, 31))
    later = factories.AgreementFactory(expires_on=D(2030, 12, 31))
    factories.AgreementFactory(expires_on=None)

    assert agreements({"expires_after": "2026-02-01"}) == {later}
    assert agreements({"expires_before": "2026-01-31"}) == {soon}
    assert agreements({"expires_after": "2026-01-01", "expires_before": "2031-01-01"}) == {
        soon,
        later,
    }


@pytest.mark.parametrize(
    "name",
    [
        "signed_after",
        "signed_before",
        "in_force_after",
        "in_force_before",
        "expires_after",
        "expires_before",
    ],
)
@pytest.mark.parametrize("value", ["31/01/2026", "2026-02-30", "yesterday"])
def test_a_date_that_is_not_an_iso_day_is_an_error(db, name, value):
    assert name in errors(AgreementFilterSet, {name: value})


def test_updated_since_keeps_agreements_changed_at_or_after_that_moment(db):
    stale = factories.AgreementFactory()
    fresh = factories.AgreementFactory()
    Agreement.objects.filter(pk=stale.pk).update(
        updated_at=datetime.datetime(2024, 4, 30, 23, 59, tzinfo=datetime.UTC)
    )
    Agreement.objects.filter(pk=fresh.pk).update(
        updated_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    )

    assert agreements({"updated_since": "2024-05-01"}) == {fresh}  # midnight UTC
    assert agreements({"updated_since": "2024-04-30T23:59:00Z"}) == {stale, fresh}
    assert agreements({"updated_since": "2024-04-30T23:59"}) == {stale, fresh}  # naive: UTC
    assert agreements({"updated_since": "2024-05-01T01:59:30+02:00"}) == {fresh}


def test_a_bad_updated_since_is_an_error(db):
    assert "updated_since" in errors(AgreementFilterSet, {"updated_since": "last week"})


def test_ordering_sorts_agreements_by_the_fields_named(db):
    b = factories.AgreementFactory(title="B", signed_on=D(2015, 1, 1))
    a = factories.AgreementFactory(title="A", signed_on=D(2015, 1, 1))
    c = factories.AgreementFactory(title="C", signed_on=D(2019, 1, 1))
    unsigned = factories.AgreementFactory(title="D", signed_on=None)

    assert filtered(AgreementFilterSet, {"ordering": "-signed_on,title"}) == [c, a, b, unsigned]
    assert filtered(AgreementFilterSet, {"ordering": "title"}) == [a, b, c, unsigned]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(AgreementFilterSet, {"ordering": "sensitivity"})


def test_status_on_reads_the_status_on_that_day(db):
    # In force from 2015-06-01 (signed 2015-03-01), expired after 2016-01-01.
    expired_since = factories.AgreementFactory(expires_on=D(2016, 1, 1))
    signed_only = factories.AgreementFactory(signed_on=D(2015, 3, 1), entry_into_force_on=None)

    assert agreements({"status": "in_force", "status_on": "2015-12-31"}) == {expired_since}
    assert agreements({"status": "in_force"}) == set()
    assert agreements({"status": "signed", "status_on": "2015-04-01"}) == {
        expired_since,
        signed_only,
    }
    # Alone, status_on keeps everything.
    assert agreements({"status_on": "2015-04-01"}) == {expired_since, signed_only}
    assert "status_on" in errors(AgreementFilterSet, {"status_on": "2015"})
