"""The agreement-party list's parameters: each keeps exactly the rows it names."""

from __future__ import annotations

import datetime

from agreements.filters import AgreementPartyFilterSet
from agreements.models import AgreementParty
from tests import factories
from tests.filters import errors, filtered


def parties(params):
    return set(filtered(AgreementPartyFilterSet, params))


def test_agreement_keeps_the_rows_of_the_agreements_named(cast):
    agreement = factories.AgreementFactory(parties=[cast.colombia, cast.peru])
    factories.AgreementFactory(parties=[cast.colombia])

    assert parties({"agreement": agreement.pk}) == set(agreement.parties.all())


def test_partner_keeps_the_rows_of_the_partners_named(cast):
    factories.AgreementFactory(parties=[cast.colombia, cast.peru])
    factories.AgreementFactory(parties=[cast.colombian_navy])

    kept = parties({"partner": f"{cast.peru.pk},{cast.colombian_navy.pk}"})

    assert {row.partner for row in kept} == {cast.peru, cast.colombian_navy}
    assert len(kept) == 2


def test_a_partner_id_that_is_not_a_number_is_an_error(db):
    assert "partner" in errors(AgreementPartyFilterSet, {"partner": "colombia"})


def test_role_keeps_the_rows_in_the_roles_named(cast):
    agreement = factories.AgreementFactory()
    funder = factories.AgreementPartyFactory(
        agreement=agreement, partner=cast.colombia, role=AgreementParty.Role.FUNDER
    )
    observer = factories.AgreementPartyFactory(
        agreement=agreement, partner=cast.peru, role=AgreementParty.Role.OBSERVER
    )
    factories.AgreementPartyFactory(agreement=agreement, partner=cast.colombian_navy)

    assert parties({"role": ["funder", "observer"]}) == {funder, observer}


def test_an_unknown_role_is_an_error(db):
    assert "role" in errors(AgreementPartyFilterSet, {"role": "guarantor"})


def test_consent_type_keeps_the_rows_bound_that_way(cast):
    agreement = factories.AgreementFactory()
    ratified = factories.AgreementPartyFactory(
        agreement=agreement,
        partner=cast.colombia,
        consent_type=AgreementParty.Consent.RATIFICATION,
        consent_on=datetime.date(2016, 1, 1),
    )
    factories.AgreementPartyFactory(
        agreement=agreement,
        partner=cast.peru,
        consent_type=AgreementParty.Consent.ACCESSION,
        consent_on=datetime.date(2017, 1, 1),
    )
    factories.AgreementPartyFactory(agreement=agreement, partner=cast.colombian_navy)

    assert parties({"consent_type": "ratification"}) == {ratified}


def test_an_unknown_consent_type_is_an_error(db):
    assert "consent_type" in errors(AgreementPartyFilterSet, {"consent_type": "handshake"})
