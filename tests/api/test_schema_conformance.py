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
import datetime
import os

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

from cooperation.models import ApiToken, ImportJob
from summaries.compute import compute
from tests import factories

SCHEMA_URL = "/api/v1/schema/?format=json"
# What the schema promises about responses. Not among them: the checks of what the API accepts
# (positive_data_acceptance, negative_data_rejection), since rules across fields and rows
# (an end after its start, two parties of a bilateral agreement) are beyond what a schema
# says, and unknown query parameters are ignored by design; nor response times.
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
    # A deleted row, so that the deletions feed has a tombstone to show.
    factories.JointOperationFactory(sensitivity="public", participants=[cast.colombia]).delete()
    # Summaries of the month the operations started in.
    compute("month", datetime.date(2020, 5, 1))
    # Import jobs: one the officer may confirm, one of another officer.
    for user in (cast.officer, cast.outsider):
        ImportJob.objects.create(
            kind="operations", filename="seizures.csv", content=b"operation_ref\n", user=user,
            state=ImportJob.State.CHECKED, summary={"records": 1}, progress=100,
        )  # fmt: skip


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


KNOWN_KEYS: dict[str, list] = {}


def known_keys(path: str) -> list:
    """Keys of a few rows behind a detail path (``/api/v1/operations/{pk}/``) as the test
    began: read once, so that the examples drawn do not change when a test deletes one."""
    if path not in KNOWN_KEYS:
        view = resolve(path.replace("{pk}", "1")).func.cls
        if not hasattr(view, "serializer_class"):  # keyed by UUID (imports)
            view = resolve(path.replace("{pk}", "00000000-0000-0000-0000-000000000000")).func.cls
        model = view.serializer_class.Meta.model
        key = getattr(view, "lookup_field", "pk")
        KNOWN_KEYS[path] = list(model.objects.order_by("pk").values_list(key, flat=True)[:6])
    return KNOWN_KEYS[path]


@pytest.fixture(autouse=True)
def one_connection():
    KNOWN_KEYS.clear()
    with connections_kept_open():
        yield


@pytest.fixture
def records(cast) -> None:
    seed(cast)


@pytest.fixture
def officer_headers(cast) -> dict:
    _, key = ApiToken.issue(cast.officer, name="schemathesis")
    return {"Authorization": f"Token {key}"}


# The coverage phase walks every boundary of every parameter and body property, in each of
# the three request media types: about 1,000 requests per write operation, three and a half
# minutes for the whole API. The suite runs the fuzzing phase (a few examples per operation,
# under a fixed seed); API_FUZZ_COVERAGE=1 adds the coverage phase for a deeper run by hand.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240531,
        "phases": {"coverage": {"enabled": os.environ.get("API_FUZZ_COVERAGE") == "1"}},
    }
)
# Serving the schema needs no database (no token, no query), so it is loaded when the module
# is collected; each operation then is a test of its own, with its own transaction and data.
# (schemathesis.pytest.from_fixture would defer it, but its loader does not run on pytest 9.2.)
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler(), config=CONFIG)


@schema.hook("before_generate_path_parameters")
def existing_rows_too(context, strategy):
    """Generated keys rarely name a row: try rows that exist too (read when drawn, inside
    the test's transaction)."""
    path = context.operation.path
    if "{pk}" not in path:
        return strategy
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
def test_every_operation_answers_as_its_schema_says(case, records, officer_headers):
    case.call_and_validate(headers=officer_headers, checks=CHECKS)
