"""The API keeps the promises its OpenAPI schema makes, checked by schemathesis.

Every operation of ``/api/v1/schema/`` is called with generated requests (valid and invalid,
from the schema's own description) by an officer of Colombia's government holding an API
token, against a little seeded data. Each response must not be a server error, and its status
code, content type and body must be ones the schema documents for that operation.

The run is bounded and reproducible: a few examples per operation, derandomized, no example
database. A failure here is a bug in the API or in its description; each one found so far has
its own test in ``test_schema_regressions.py``.
"""

from __future__ import annotations

import contextlib

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.urls import resolve
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cooperation.models import ApiToken
from tests import factories

SCHEMA_URL = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def seed(cast) -> None:
    """A few records of every sensitivity, some Colombia's officer may see and some not."""
    for sensitivity in ("public", "partners", "restricted"):
        ours = factories.AgreementFactory(sensitivity=sensitivity, parties=[cast.colombia])
        theirs = factories.AgreementFactory(sensitivity=sensitivity, parties=[cast.peru])
        for agreement, participants in ((ours, [cast.colombia]), (theirs, [cast.peru])):
            operation = factories.JointOperationFactory(
                sensitivity=sensitivity, participants=participants
            )
            operation.countries.set([factories.country("COL"), factories.country("PER")])
            factories.SeizureFactory(operation=operation)
            factories.SeizureFactory(operation=operation, substance_id="heroin", unit="g")
            factories.LegalBasisFactory(operation=operation, agreement=agreement)
            factories.ImpactReportFactory(operation=operation)
            factories.JournalEntryFactory(operation=operation, author=cast.officer)


@contextlib.contextmanager
def connections_kept_open():
    """The WSGI handler closes the database connection after each request, as a server
    should; here that connection holds the test's transaction, so it must stay open (Django's
    test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def known_keys(path: str) -> list:
    """Keys of a few existing rows behind a detail path (``/api/v1/operations/{pk}/``)."""
    view = resolve(path.replace("{pk}", "1")).func.cls
    model = view.serializer_class.Meta.model
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:6])


@pytest.fixture(autouse=True)
def one_connection():
    with connections_kept_open():
        yield


@pytest.fixture
def officer_headers(cast) -> dict:
    seed(cast)
    _, key = ApiToken.issue(cast.officer, name="schemathesis")
    return {"Authorization": f"Token {key}"}


# Serving the schema needs no database, so it is loaded when the module is collected.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())


@schema.hook("before_generate_path_parameters")
def existing_rows_too(context, strategy):
    """Generated keys rarely name a row: try rows that exist too (read when drawn, inside
    the test's transaction)."""
    path = context.operation.path
    existing = st.deferred(lambda: st.sampled_from(known_keys(path)))
    return st.one_of(strategy, existing.map(lambda pk: {"pk": pk}))


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, officer_headers):
    case.call_and_validate(headers=officer_headers, checks=CHECKS)
