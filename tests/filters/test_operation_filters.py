"""The joint-operation list's parameters: each keeps exactly the operations it names, once."""

from __future__ import annotations

import datetime

import pytest

from operations.filters import JointOperationFilterSet
from operations.models import JointOperation, Participation
from tests import factories
from tests.filters import errors, filtered

D = datetime.date


def operations(params, **kwargs):
    return set(filtered(JointOperationFilterSet, params, **kwargs))


def operation_in(*iso3, **kwargs):
    operation = factories.JointOperationFactory(**kwargs)
    operation.countries.set(iso3)
    return operation


def test_q_keeps_operations_with_every_word_in_name_or_summary(db):
    by_name = factories.JointOperationFactory(name="Orion Pacific")
    by_summary = factories.JointOperationFactory(name="Tidewater", summary="Orion's Pacific leg.")
    factories.JointOperationFactory(name="Orion Caribbean")

    assert operations({"q": "orion pacific"}) == {by_name, by_summary}


def test_kind_keeps_operations_of_the_kinds_named(db):
    maritime = factories.JointOperationFactory(kind_id="maritime_interdiction")
    raid = factories.JointOperationFactory(kind_id="raid")
    factories.JointOperationFactory(kind_id="eradication")

    assert operations({"kind": ["maritime_interdiction", "raid"]}) == {maritime, raid}


def test_an_unknown_kind_is_an_error(db):
    assert "kind" in errors(JointOperationFilterSet, {"kind": "raid,blockade"})


def test_status_keeps_operations_in_the_statuses_named(db):
    active = factories.JointOperationFactory(status="active")
    planned = factories.JointOperationFactory(status="planned")
    factories.JointOperationFactory(status="completed", ended_on=D(2020, 6, 1))

    assert operations({"status": "active,planned"}) == {active, planned}


def test_an_unknown_status_is_an_error(db):
    assert "status" in errors(JointOperationFilterSet, {"status": "finished"})


def test_country_keeps_operations_that_took_place_there(db):
    # Two of its countries match: the operation still comes back once.
    andean = operation_in("COL", "PER", "ECU")
    mexican = operation_in("MEX")
    operation_in("ESP")

    assert operations({"country": ["COL", "PER"]}) == {andean}
    assert operations({"country": "col,mex"}) == {andean, mexican}


def test_an_unknown_country_is_an_error(db):
    assert "country" in errors(JointOperationFilterSet, {"country": "COL,ZZZ"})


def test_region_keeps_operations_in_a_country_of_that_region(db):
    andean = operation_in("COL", "PER")
    mexican = operation_in("MEX")
    spanish = operation_in("ESP")

    assert operations({"region": "005"}) == {andean}
    assert operations({"region": "013"}) == {mexican}
    assert operations({"region": "019"}) == {andean, mexican}
    assert spanish not in operations({"region": "419"})


def test_partner_keeps_operations_the_partner_takes_part_in(cast):
    colombian = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    naval = factories.JointOperationFactory(participants=[cast.colombian_navy])
    factories.JointOperationFactory(participants=[cast.peru])

    assert operations({"partner": [cast.colombia.pk, cast.colombian_navy.pk]}) == {
        colombian,
        naval,
    }


def test_partner_role_with_partner_needs_one_participation_with_both(cast):
    colombia_leads = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    peru_leads = factories.JointOperationFactory(participants=[cast.peru, cast.colombia])

    assert operations({"partner": cast.colombia.pk, "partner_role": "lead"}) == {colombia_leads}
    assert operations({"partner": cast.colombia.pk, "partner_role": "partner"}) == {peru_leads}


def test_partner_role_alone_keeps_operations_with_anyone_in_that_role(cast):
    funded = factories.JointOperationFactory(participants=[cast.colombia])
    factories.ParticipationFactory(
        operation=funded, partner=cast.peru, role=Participation.Role.FUNDER
    )
    factories.JointOperationFactory(participants=[cast.colombia, cast.peru])

    assert operations({"partner_role": "funder"}) == {funded}


def test_an_unknown_partner_role_is_an_error(db):
    assert "partner_role" in errors(JointOperationFilterSet, {"partner_role": "sponsor"})


def test_agreement_keeps_operations_relying_on_that_agreement(db):
    treaty = factories.AgreementFactory()
    under_treaty = factories.JointOperationFactory()
    factories.LegalBasisFactory(operation=under_treaty, agreement=treaty)
    factories.LegalBasisFactory(operation=under_treaty)
    factories.LegalBasisFactory()

    assert operations({"agreement": treaty.pk}) == {under_treaty}


def test_agreement_does_not_confirm_a_legal_basis_hidden_from_the_requester(cast):
    hidden = factories.AgreementFactory(sensitivity="restricted", parties=[cast.peru])
    operation = factories.JointOperationFactory()
    factories.LegalBasisFactory(operation=operation, agreement=hidden)

    assert operations({"agreement": hidden.pk}, user=cast.officer) == set()
    assert operations({"agreement": hidden.pk}, user=cast.outsider) == {operation}
    assert operations({"agreement": hidden.pk}, user=cast.administrator) == {operation}


def test_substance_keeps_operations_that_seized_it(db):
    cocaine_twice = factories.JointOperationFactory()
    factories.SeizureFactory(operation=cocaine_twice, substance_id="cocaine")
    factories.SeizureFactory(operation=cocaine_twice, substance_id="cocaine")
    heroin = factories.SeizureFactory(substance_id="heroin").operation
    factories.SeizureFactory(substance_id="cannabis_herb")

    assert operations({"substance": "cocaine,heroin"}) == {cocaine_twice, heroin}


def test_an_unknown_substance_is_an_error(db):
    assert "substance" in errors(JointOperationFilterSet, {"substance": "kryptonite"})


def test_substance_group_keeps_operations_that_seized_a_substance_of_the_group(db):
    cocaine_type = factories.JointOperationFactory()
    factories.SeizureFactory(operation=cocaine_type, substance_id="cocaine")
    factories.SeizureFactory(operation=cocaine_type, substance_id="coca_leaf")
    factories.SeizureFactory(substance_id="heroin")

    assert operations({"substance_group": "cocaine_type"}) == {cocaine_type}


def test_an_unknown_substance_group_is_an_error(db):
    assert "substance_group" in errors(JointOperationFilterSet, {"substance_group": "cocaine"})


def test_technology_keeps_operations_that_used_it(db):
    watched = factories.JointOperationFactory()
    watched.technologies.set(["uav", "satellite_imagery"])
    patrolled = factories.JointOperationFactory()
    patrolled.technologies.set(["maritime_patrol"])
    factories.JointOperationFactory()

    assert operations({"technology": ["uav", "satellite_imagery"]}) == {watched}


def test_an_unknown_technology_is_an_error(db):
    assert "technology" in errors(JointOperationFilterSet, {"technology": "radar"})


def test_sensitivity_keeps_operations_of_that_sensitivity(db):
    partners_only = factories.JointOperationFactory(sensitivity="partners")
    factories.JointOperationFactory(sensitivity="public")

    assert operations({"sensitivity": "partners"}) == {partners_only}


def test_started_after_and_before_keep_operations_started_in_the_range_inclusive(db):
    may = factories.JointOperationFactory(started_on=D(2020, 5, 1))
    june = factories.JointOperationFactory(started_on=D(2020, 6, 1))
    factories.JointOperationFactory(started_on=D(2020, 7, 1))

    assert operations({"started_after": "2020-05-01", "started_before": "2020-06-01"}) == {
        may,
        june,
    }


def test_ended_after_and_before_keep_operations_ended_in_the_range_inclusive(db):
    ended_june = factories.JointOperationFactory(ended_on=D(2020, 6, 30))
    ended_august = factories.JointOperationFactory(ended_on=D(2020, 8, 31))
    factories.JointOperationFactory(ended_on=None)

    assert operations({"ended_after": "2020-07-01"}) == {ended_august}
    assert operations({"ended_before": "2020-06-30"}) == {ended_june}


@pytest.mark.parametrize("name", ["started_after", "started_before", "ended_after", "ended_before"])
def test_a_date_that_is_not_an_iso_day_is_an_error(db, name):
    assert name in errors(JointOperationFilterSet, {name: "05/01/2020"})


def test_updated_since_keeps_operations_changed_at_or_after_that_moment(db):
    stale = factories.JointOperationFactory()
    fresh = factories.JointOperationFactory()
    JointOperation.objects.filter(pk=stale.pk).update(
        updated_at=datetime.datetime(2024, 1, 1, 11, 59, 59, tzinfo=datetime.UTC)
    )
    JointOperation.objects.filter(pk=fresh.pk).update(
        updated_at=datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)
    )

    assert operations({"updated_since": "2024-01-01T12:00:00Z"}) == {fresh}


def test_a_bad_updated_since_is_an_error(db):
    assert "updated_since" in errors(JointOperationFilterSet, {"updated_since": "2024-13-01"})


def test_ordering_sorts_operations_by_the_fields_named(db):
    few = factories.JointOperationFactory(name="A", arrests=3)
    many = factories.JointOperationFactory(name="B", arrests=40)
    tied = factories.JointOperationFactory(name="C", arrests=3)

    assert filtered(JointOperationFilterSet, {"ordering": "-arrests"}) == [many, few, tied]
    assert filtered(JointOperationFilterSet, {"ordering": "-name"}) == [tied, many, few]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(JointOperationFilterSet, {"ordering": "kind"})


def test_q_matches_the_beginnings_of_words_stemmed_and_ignores_punctuation(db):
    seizure = factories.JointOperationFactory(name="Harbour watch", summary="Seizures at port.")
    factories.JointOperationFactory(name="Reseize drill")  # "seiz" inside a word: no match

    assert operations({"q": "seiz"}) == {seizure}
    assert operations({"q": "seizure harb"}) == {seizure}
    assert operations({"q": "'seizures' & (port)"}) == {seizure}
    assert operations({"q": "!!"}) == set(JointOperation.objects.all())  # no word: no filter


def test_ongoing_after_keeps_operations_without_an_end_or_ending_on_or_after(db):
    open_ended = factories.JointOperationFactory(status="active", started_on=D(2020, 1, 1))
    ends_that_day = factories.JointOperationFactory(
        status="completed", started_on=D(2020, 1, 1), ended_on=D(2020, 3, 1)
    )
    factories.JointOperationFactory(
        status="completed", started_on=D(2020, 1, 1), ended_on=D(2020, 2, 29)
    )

    assert operations({"ongoing_after": "2020-03-01"}) == {open_ended, ends_that_day}
    assert "ongoing_after" in errors(JointOperationFilterSet, {"ongoing_after": "March"})
