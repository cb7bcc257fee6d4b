"""The participation list's parameters: each keeps exactly the rows it names."""

from __future__ import annotations

from operations.filters import ParticipationFilterSet
from operations.models import Participation
from tests import factories
from tests.filters import errors, filtered


def participations(params):
    return set(filtered(ParticipationFilterSet, params))


def test_operation_keeps_the_participations_in_the_operations_named(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    factories.JointOperationFactory(participants=[cast.colombia])

    assert participations({"operation": operation.pk}) == set(operation.participations.all())


def test_partner_keeps_the_participations_of_the_partners_named(cast):
    first = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    second = factories.JointOperationFactory(participants=[cast.colombian_navy])

    assert participations({"partner": [cast.peru.pk, cast.colombian_navy.pk]}) == {
        first.participations.get(partner=cast.peru),
        second.participations.get(partner=cast.colombian_navy),
    }


def test_role_keeps_the_participations_in_the_roles_named(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    funder = factories.ParticipationFactory(
        operation=operation, partner=cast.colombian_navy, role=Participation.Role.FUNDER
    )

    assert participations({"role": "lead,funder"}) == {
        operation.participations.get(partner=cast.colombia),
        funder,
    }


def test_an_unknown_role_is_an_error(db):
    assert "role" in errors(ParticipationFilterSet, {"role": "boss"})
