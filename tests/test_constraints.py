"""Every invariant of the domain, broken twice: once straight at the database (a write that
skips validation must still fail, and leave nothing behind) and once through ``full_clean()``
(which must explain the problem in words).

Each case builds an unsaved, invalid row; the table names the database constraint (or
trigger) that must stop it and a phrase of the message ``full_clean()`` must give.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from agreements.models import Agreement, AgreementParty
from cooperation.models import Membership, Partner
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)
from tests import factories

D = datetime.date


@dataclass
class Case:
    constraint: str
    message: str
    build: Callable  # (world) -> unsaved model instance


@pytest.fixture
def world(cast):
    """A government with an agency, an organization, an agreement and an operation."""
    cast.organization = factories.OrganizationFactory(name="Maritime Analysis Centre")
    cast.agreement = factories.AgreementFactory()
    cast.operation = factories.JointOperationFactory(started_on=D(2020, 5, 1))
    return cast


def agreement(**fields):
    values = {
        "kind": "mou",
        "scope": "multilateral",
        "title": "Draft memorandum",
        "sensitivity": "public",
    }
    return Agreement(**{**values, **fields})


def party(w, **fields):
    return AgreementParty(**{"agreement": w.agreement, "partner": w.peru, **fields})


def operation(**fields):
    values = {
        "name": "Operation Breakwater",
        "kind_id": "raid",
        "started_on": D(2021, 1, 10),
        "sensitivity": "public",
    }
    return JointOperation(**{**values, **fields})


def seizure(w, **fields):
    values = {
        "operation": w.operation,
        "substance_id": "cocaine",
        "quantity": Decimal("10"),
        "unit": "kg",
        "seized_on": w.operation.started_on,
    }
    return Seizure(**{**values, **fields})


CASES = {
    # Partners
    "a government needs a country": Case(
        "government_has_country_and_no_parent",
        "A government needs a country",
        lambda w: Partner(kind="government", name="Government of Nowhere"),
    ),
    "one government per country": Case(
        "one_government_per_country",
        "already has a government",
        lambda w: Partner(kind="government", name="Second Colombia", country=w.colombia.country),
    ),
    "an agency needs a parent": Case(
        "agency_has_parent_and_country",
        "An agency needs a parent government",
        lambda w: Partner(
            kind="agency", name="Orphan Police", agency_type="police", country=w.colombia.country
        ),
    ),
    "an agency's parent is a government": Case(
        "agency_parent_is_government",
        "parent must be a government",
        lambda w: Partner(
            kind="agency",
            name="Centre Unit",
            agency_type="police",
            parent=w.organization,
            country=w.colombia.country,
        ),
    ),
    "an agency has its government's country": Case(
        "agency_country_is_parents",
        "country of its parent government",
        lambda w: Partner(
            kind="agency",
            name="Border Unit",
            agency_type="customs",
            parent=w.colombia,
            country=w.peru.country,
        ),
    ),
    "an organization has no parent": Case(
        "organization_has_no_parent",
        "An organization has no parent",
        lambda w: Partner(
            kind="organization", name="Sub Office", organization_type="ngo", parent=w.colombia
        ),
    ),
    "only agencies have an agency type": Case(
        "partner_type_matches_kind",
        "Only agencies have an agency type",
        lambda w: Partner(
            kind="government",
            name="Government of Chile",
            country=factories.country("CHL"),
            agency_type="police",
        ),
    ),
    "partner names are unique per kind": Case(
        "partner_name_unique_per_kind",
        "already exists",
        lambda w: Partner(
            kind="organization", name="Maritime Analysis Centre", organization_type="regional"
        ),
    ),
    "members are governments": Case(
        "membership_kinds",
        "Members of an organization are governments",
        lambda w: Membership(organization=w.organization, member=w.colombian_navy),
    ),
    "only organizations have members": Case(
        "membership_kinds",
        "Only organizations have members",
        lambda w: Membership(organization=w.colombia, member=w.peru),
    ),
    "a member joins once": Case(
        "membership_unique",
        "already a member",
        lambda w: (
            Membership.objects.create(organization=w.organization, member=w.peru),
            Membership(organization=w.organization, member=w.peru),
        )[1],
    ),
    "a member leaves after joining": Case(
        "membership_dates_in_order",
        "cannot leave before it joined",
        lambda w: Membership(
            organization=w.organization,
            member=w.peru,
            joined_on=D(2010, 1, 1),
            left_on=D(2009, 1, 1),
        ),
    ),
    # Agreements
    "signature follows adoption": Case(
        "agreement_signed_after_adoption",
        "cannot be signed before it was adopted",
        lambda w: agreement(adopted_on=D(2010, 5, 1), signed_on=D(2010, 4, 1)),
    ),
    "entry into force needs a signature": Case(
        "agreement_in_force_after_signature",
        "enters into force on or after its signature",
        lambda w: agreement(entry_into_force_on=D(2010, 5, 1)),
    ),
    "entry into force follows signature": Case(
        "agreement_in_force_after_signature",
        "enters into force on or after its signature",
        lambda w: agreement(signed_on=D(2010, 5, 1), entry_into_force_on=D(2010, 4, 1)),
    ),
    "expiry follows signature": Case(
        "agreement_expires_after_signature",
        "expires after it was signed",
        lambda w: agreement(signed_on=D(2010, 5, 1), expires_on=D(2010, 5, 1)),
    ),
    "expiry follows entry into force": Case(
        "agreement_expires_after_entry_into_force",
        "expires after it entered into force",
        lambda w: agreement(
            signed_on=D(2010, 1, 1), entry_into_force_on=D(2011, 1, 1), expires_on=D(2010, 6, 1)
        ),
    ),
    "only an agreement in force is suspended": Case(
        "agreement_suspended_while_in_force",
        "Only an agreement in force can be suspended",
        lambda w: agreement(signed_on=D(2010, 1, 1), suspended_on=D(2012, 1, 1)),
    ),
    "termination follows signature": Case(
        "agreement_terminated_after_signature",
        "Only a signed agreement can be terminated",
        lambda w: agreement(signed_on=D(2010, 1, 1), terminated_on=D(2009, 1, 1)),
    ),
    "agreement kinds come from the vocabulary": Case(
        "agreement_kind_valid", "is not a valid choice", lambda w: agreement(kind="pact")
    ),
    "sensitivity comes from the vocabulary": Case(
        "agreements_agreement_sensitivity_valid",
        "is not a valid choice",
        lambda w: agreement(sensitivity="secret"),
    ),
    "a partner joins an agreement once": Case(
        "agreement_party_unique",
        "already in the agreement",
        lambda w: (
            AgreementParty.objects.create(agreement=w.agreement, partner=w.peru),
            party(w, role="observer"),
        )[1],
    ),
    "consent has a kind and a date": Case(
        "agreement_party_consent_has_type_and_date",
        "needs both its kind and its date",
        lambda w: party(w, consent_type="ratification"),
    ),
    "only parties consent to be bound": Case(
        "agreement_party_consent_only_for_parties",
        "Only parties and signatories consent",
        lambda w: party(w, role="observer", consent_type="accession", consent_on=D(2016, 1, 1)),
    ),
    "consent follows signature": Case(
        "agreement_party_consent_after_signature",
        "comes on or after signature",
        lambda w: party(
            w, signed_on=D(2016, 1, 1), consent_type="ratification", consent_on=D(2015, 1, 1)
        ),
    ),
    "a definitive signature binds that day": Case(
        "agreement_party_definitive_signature_same_day",
        "binds on the day of signature",
        lambda w: party(
            w,
            signed_on=D(2016, 1, 1),
            consent_type="definitive_signature",
            consent_on=D(2016, 2, 1),
        ),
    ),
    "entry into force for a party follows its consent": Case(
        "agreement_party_in_force_after_consent",
        "on or after its consent",
        lambda w: party(
            w,
            consent_type="accession",
            consent_on=D(2016, 1, 1),
            entry_into_force_on=D(2015, 12, 1),
        ),
    ),
    "withdrawal follows joining": Case(
        "agreement_party_withdrawal_after_joining",
        "withdraws after it signed or consented",
        lambda w: party(w, withdrew_on=D(2016, 1, 1)),
    ),
    # Operations
    "an operation ends after it starts": Case(
        "operation_ends_after_start",
        "cannot end before it started",
        lambda w: operation(started_on=D(2021, 1, 10), ended_on=D(2021, 1, 9)),
    ),
    "a completed operation has an end date": Case(
        "operation_completed_has_end",
        "completed operation needs an end date",
        lambda w: operation(status="completed"),
    ),
    "hectares are not negative": Case(
        "operation_outcomes_not_negative",
        "cannot be negative",
        lambda w: operation(hectares_eradicated=Decimal("-1")),
    ),
    "arrests are not negative": Case(
        "operations_jointoperation_arrests_check",
        "greater than or equal to 0",
        lambda w: operation(arrests=-3),
    ),
    "operation status comes from the vocabulary": Case(
        "operation_status_valid", "is not a valid choice", lambda w: operation(status="paused")
    ),
    "a partner takes part once": Case(
        "participation_unique",
        "already takes part",
        lambda w: (
            Participation.objects.create(operation=w.operation, partner=w.peru),
            Participation(operation=w.operation, partner=w.peru, role="observer"),
        )[1],
    ),
    "an operation has one lead": Case(
        "participation_one_lead",
        "one lead partner",
        lambda w: (
            Participation.objects.create(operation=w.operation, partner=w.peru, role="lead"),
            Participation(operation=w.operation, partner=w.colombia, role="lead"),
        )[1],
    ),
    "a seized quantity is positive": Case(
        "seizure_quantity_positive",
        "greater than zero",
        lambda w: seizure(w, quantity=Decimal("0")),
    ),
    "a seizure unit comes from the vocabulary": Case(
        "seizure_unit_valid", "is not a valid choice", lambda w: seizure(w, unit="lb")
    ),
    "a mass per unit is positive": Case(
        "seizure_mass_per_unit_positive",
        "must be greater than zero",
        lambda w: seizure(w, unit="units", mass_per_unit_kg=Decimal("-0.1")),
    ),
    "a mass per unit applies to counted seizures only": Case(
        "seizure_mass_per_unit_only_for_counts",
        "applies only to seizures counted",
        lambda w: seizure(w, unit="kg", mass_per_unit_kg=Decimal("0.2")),
    ),
    "a report follows what it reports": Case(
        "impact_reported_after_occurrence",
        "cannot precede what it reports",
        lambda w: CommunityImpactReport(
            operation=w.operation,
            kind="displacement",
            severity="high",
            occurred_on=D(2020, 5, 3),
            reported_on=D(2020, 5, 2),
            description="Families left two villages.",
        ),
    ),
    "an agreement is cited once per operation": Case(
        "legal_basis_unique",
        "already a legal basis",
        lambda w: (
            LegalBasis.objects.create(operation=w.operation, agreement=w.agreement),
            LegalBasis(operation=w.operation, agreement=w.agreement, article="Art. 2"),
        )[1],
    ),
    "a journal entry has a text": Case(
        "journal_body_not_blank",
        "This field cannot be blank",
        lambda w: JournalEntry(
            operation=w.operation, kind="outcome_note", title="Result", body="", author=w.officer
        ),
    ),
}


def constraint_name(error: IntegrityError) -> str | None:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_database_refuses_it_and_keeps_nothing(world, case):
    row = case.build(world)
    model = type(row)
    before = model.objects.count()
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        row.save()
    assert constraint_name(raised.value) == case.constraint
    assert model.objects.count() == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_full_clean_explains_it(world, case):
    row = case.build(world)
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    assert any(case.message in message for message in raised.value.messages), raised.value.messages


def test_an_agreement_cannot_amend_or_supersede_itself(world):
    target = world.agreement
    for field, constraint in (
        ("amends", "agreement_does_not_amend_itself"),
        ("supersedes", "agreement_does_not_supersede_itself"),
    ):
        with pytest.raises(IntegrityError) as raised, transaction.atomic():
            Agreement.objects.filter(pk=target.pk).update(**{field: target.pk})
        assert constraint_name(raised.value) == constraint
        setattr(target, field, target)
        with pytest.raises(ValidationError, match="itself"):
            target.full_clean()
        setattr(target, field, None)


def test_a_government_with_agencies_stays_a_government(world):
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Partner.objects.filter(pk=world.colombia.pk).update(
            kind="organization", organization_type="regional", country=None
        )
    assert constraint_name(raised.value) == "agency_parent_is_government"
    world.colombia.kind = "organization"
    world.colombia.organization_type = "regional"
    with pytest.raises(ValidationError, match="must stay a government"):
        world.colombia.full_clean()


def test_a_seizure_falls_within_its_operation(world):
    world.operation.ended_on = D(2020, 6, 1)
    late = seizure(world, seized_on=D(2020, 7, 1))
    with pytest.raises(ValidationError, match="outside the operation's dates"):
        late.full_clean()


def bilateral(w, partners):
    deal = factories.AgreementFactory(scope="bilateral", title="Bilateral memorandum")
    for partner in partners:
        AgreementParty.objects.create(agreement=deal, partner=partner)
    return deal


def test_a_bilateral_agreement_with_three_parties_fails_at_commit(world):
    chile = factories.GovernmentFactory(country=factories.country("CHL"))
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        bilateral(world, [world.colombia, world.peru, chile])
        with connection.cursor() as cursor:  # what COMMIT does to deferred constraints
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert constraint_name(raised.value) == "agreement_bilateral_two_parties"
    assert not Agreement.objects.filter(title="Bilateral memorandum").exists()


def test_a_bilateral_agreement_with_one_party_fails_at_commit(world):
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        bilateral(world, [world.colombia])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert constraint_name(raised.value) == "agreement_bilateral_two_parties"


def test_removing_a_party_of_a_bilateral_agreement_fails_at_commit(world):
    deal = bilateral(world, [world.colombia, world.peru])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError), transaction.atomic():
        deal.parties.filter(partner=world.peru).delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert deal.parties.count() == 2


def test_a_bilateral_agreement_with_two_parties_and_a_facilitator_is_fine(world):
    deal = bilateral(world, [world.colombia, world.peru])
    AgreementParty.objects.create(agreement=deal, partner=world.organization, role="facilitator")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    deal.full_clean()


def test_full_clean_explains_the_bilateral_rule(world):
    deal = bilateral(world, [world.colombia])
    with pytest.raises(ValidationError, match="exactly two parties; this one has 1"):
        deal.full_clean()
    AgreementParty.objects.create(agreement=deal, partner=world.peru)
    third = AgreementParty(agreement=deal, partner=world.organization, role="party")
    with pytest.raises(ValidationError, match="already has its two parties"):
        third.full_clean()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_bilateral_commit_writes_nothing(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        deal = factories.AgreementFactory(scope="bilateral", title="Never stored")
        AgreementParty.objects.create(agreement=deal, partner=cast.colombia)
    assert not Agreement.objects.filter(title="Never stored").exists()
    assert not AgreementParty.objects.exists()
