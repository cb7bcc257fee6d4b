"""The legal-basis list's parameters: each keeps exactly the rows it names."""

from __future__ import annotations

from operations.filters import LegalBasisFilterSet
from tests import factories
from tests.filters import errors, filtered


def legal_bases(params):
    return set(filtered(LegalBasisFilterSet, params))


def test_operation_keeps_the_legal_bases_of_the_operations_named(db):
    operation = factories.JointOperationFactory()
    first = factories.LegalBasisFactory(operation=operation)
    second = factories.LegalBasisFactory(operation=operation)
    factories.LegalBasisFactory()

    assert legal_bases({"operation": operation.pk}) == {first, second}


def test_agreement_keeps_the_legal_bases_resting_on_the_agreements_named(db):
    treaty = factories.AgreementFactory()
    first = factories.LegalBasisFactory(agreement=treaty)
    second = factories.LegalBasisFactory(agreement=treaty)
    factories.LegalBasisFactory()

    assert legal_bases({"agreement": treaty.pk}) == {first, second}


def test_an_agreement_id_that_is_not_a_number_is_an_error(db):
    assert "agreement" in errors(LegalBasisFilterSet, {"agreement": "treaty-1"})
