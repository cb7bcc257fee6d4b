"""Who sees what: every sensitivity × how a user relates to a record × role, for agreements,
operations and the rows that hang off them.

The expectation is written here from the design brief, independently of ``visible_to``:
public records are for everyone; *partners* records for any active signed-in user;
*restricted* records for users who act for a partner that takes part in the record (or that it
is shared with) — a government's people act for its agencies too — and for administrators.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from agreements.models import Agreement, AgreementParty
from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)
from tests import factories

SENSITIVITIES = ("public", "partners", "restricted")
# How a record relates to the cast: which partner takes part, or which it is shared with.
RELATIONS = (
    "colombia takes part",
    "the colombian navy takes part",
    "peru takes part",
    "only chile takes part",
    "shared with colombia",
    "shared with the colombian navy",
    "colombia facilitates",  # agreements only: the facilitator field
)
# Whom each persona acts for (None: not signed in or not active).
ACTS_FOR = {
    "anonymous": None,
    "inactive officer of colombia": None,
    "signed-in user without role": set(),
    "analyst": set(),
    "analyst of colombia": {"colombia", "colombian navy"},
    "officer of colombia": {"colombia", "colombian navy"},
    "officer of the colombian navy": {"colombian navy"},
    "officer of peru": {"peru"},
    "administrator": "all",
    "superuser": "all",
}


def involved(relation: str) -> set[str]:
    return {
        "colombia takes part": {"colombia"},
        "the colombian navy takes part": {"colombian navy"},
        "peru takes part": {"peru"},
        "only chile takes part": set(),
        "shared with colombia": {"colombia"},
        "shared with the colombian navy": {"colombian navy"},
        "colombia facilitates": {"colombia"},
    }[relation]


def expected_visible(persona: str, sensitivity: str, relation: str) -> bool:
    acts_for = ACTS_FOR[persona]
    if acts_for == "all":
        return True
    if sensitivity == "public":
        return True
    if acts_for is None:
        return False
    if sensitivity == "partners":
        return True
    return bool(acts_for & involved(relation))


@pytest.fixture
def records(cast):
    """One agreement and one operation per sensitivity × relation, each with child rows."""
    chile = factories.GovernmentFactory(country=factories.country("CHL"))
    partners = {
        "colombia": cast.colombia,
        "colombian navy": cast.colombian_navy,
        "peru": cast.peru,
        "chile": chile,
    }
    author = factories.UserFactory()
    agreements, operations = {}, {}
    for sensitivity, relation in itertools.product(SENSITIVITIES, RELATIONS):
        takes_part = [chile]
        shared, facilitator = [], None
        if relation.endswith("takes part") and not relation.startswith("only"):
            name = relation.removesuffix(" takes part").removeprefix("the ")
            takes_part.append(partners[name])
        elif relation.startswith("shared with"):
            shared = [partners[relation.removeprefix("shared with ").removeprefix("the ")]]
        elif relation == "colombia facilitates":
            facilitator = cast.colombia
        agreement = factories.AgreementFactory(
            sensitivity=sensitivity,
            parties=takes_part,
            shared_with=shared,
            facilitator=facilitator,
        )
        agreements[sensitivity, relation] = agreement
        if relation == "colombia facilitates":
            continue
        operation = factories.JointOperationFactory(
            sensitivity=sensitivity, participants=takes_part, shared_with=shared
        )
        factories.SeizureFactory(operation=operation)
        factories.ImpactReportFactory(operation=operation)
        factories.JournalEntryFactory(operation=operation, author=author)
        factories.LegalBasisFactory(operation=operation, agreement=agreement)
        operations[sensitivity, relation] = operation
    return agreements, operations


@pytest.fixture
def personas(cast):
    navy_officer = factories.UserFactory(groups=[OFFICER_GROUP], partners=[cast.colombian_navy])
    inactive = factories.UserFactory(
        groups=[OFFICER_GROUP], partners=[cast.colombia], is_active=False
    )
    return {
        "anonymous": cast.anonymous,
        "inactive officer of colombia": inactive,
        "signed-in user without role": factories.UserFactory(),
        "analyst": cast.analyst,
        "analyst of colombia": factories.UserFactory(
            groups=[ANALYST_GROUP], partners=[cast.colombia]
        ),
        "officer of colombia": cast.officer,
        "officer of the colombian navy": navy_officer,
        "officer of peru": cast.outsider,
        "administrator": cast.administrator,
        "superuser": factories.UserFactory(is_superuser=True),
    }


def ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("persona", ACTS_FOR)
def test_agreements_and_operations_show_exactly_what_the_rule_allows(records, personas, persona):
    agreements, operations = records
    user = personas[persona]
    for model, table in ((Agreement, agreements), (JointOperation, operations)):
        expected = {
            record.pk
            for (sensitivity, relation), record in table.items()
            if expected_visible(persona, sensitivity, relation)
        }
        visible = ids(model.objects.visible_to(user))
        assert len(visible) == len(set(visible)), "a record is listed twice"
        assert set(visible) == expected, model.__name__
        assert model.objects.visible_to(user).count() == len(expected)


@pytest.mark.parametrize("persona", ACTS_FOR)
def test_child_rows_follow_their_record(records, personas, persona):
    agreements, operations = records
    user = personas[persona]
    visible_operations = {
        op.pk for key, op in operations.items() if expected_visible(persona, *key)
    }
    visible_agreements = {a.pk for key, a in agreements.items() if expected_visible(persona, *key)}
    for model in (Seizure, Participation, CommunityImpactReport, JournalEntry):
        rows = model.objects.visible_to(user)
        assert {row.operation_id for row in rows} == visible_operations, model.__name__
        hidden = model.objects.exclude(pk__in=rows.values("pk"))
        assert not hidden.filter(operation__in=visible_operations).exists(), model.__name__
    parties = AgreementParty.objects.visible_to(user)
    assert {row.agreement_id for row in parties} == visible_agreements
    # A legal basis needs both ends visible: the operation and the agreement it cites.
    bases = LegalBasis.objects.visible_to(user)
    assert {(b.operation_id, b.agreement_id) for b in bases} == {
        (op.pk, agreements[key].pk)
        for key, op in operations.items()
        if op.pk in visible_operations and agreements[key].pk in visible_agreements
    }


def test_the_table_covers_every_combination(records):
    agreements, operations = records
    assert len(agreements) == len(SENSITIVITIES) * len(RELATIONS)
    assert len(operations) == len(SENSITIVITIES) * (len(RELATIONS) - 1)
    assert set(ACTS_FOR) >= {"anonymous", "analyst", "officer of colombia", "administrator"}


def test_administrator_group_membership_is_what_grants_everything(cast, records):
    restricted = Agreement.objects.filter(sensitivity="restricted")
    assert not restricted.visible_to(cast.analyst).exists()
    cast.analyst.groups.add(*Group.objects.filter(name=ADMINISTRATOR_GROUP))
    assert restricted.visible_to(cast.analyst).count() == len(RELATIONS)


@pytest.mark.django_db
def test_the_viewer_statement_compiled_once_reads_what_its_query_reads(cast):
    """Who a user is (administrator? which partners, affiliations first?) is read at the start
    of every request by a statement compiled once from ``viewer_query``; for every kind of
    user it answers as the query itself does."""
    from cooperation.visibility import _read_viewer, viewer_query

    navy_officer = factories.UserFactory(
        groups=[OFFICER_GROUP], partners=[cast.colombian_navy, cast.peru]
    )
    superuser = factories.UserFactory(is_superuser=True)
    users = [cast.officer, cast.outsider, cast.analyst, cast.administrator, navy_officer, superuser]
    for user in users:
        administers, partners = viewer_query(user).get()
        assert _read_viewer(user) == (user.is_superuser or administers, partners)
    assert _read_viewer(cast.officer)[1][0] == cast.colombia.pk  # affiliation first
    assert cast.colombian_navy.pk in _read_viewer(cast.officer)[1]  # then its agencies
    assert _read_viewer(cast.administrator)[0] and not _read_viewer(cast.officer)[0]
    assert _read_viewer(superuser) == (True, [])
