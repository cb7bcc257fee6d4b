"""A client generated from the OpenAPI schema by openapi-python-client works against the
running API: an integrating engineer's first hour, with an officer of Colombia's government
holding a token. What it lists, filters, pages through and reads is what the database holds
for that officer."""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from agreements.models import Agreement
from cooperation.models import ApiToken
from operations.models import JointOperation
from tests import factories

# The live server runs in another thread with its own connection: the data must be committed,
# and the reference data the migrations load must be put back after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "portal_client"
STATUSES = ["planned", "active", "completed"]
COUNTRIES = ["COL", "PER", "ECU"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package generated from ``/api/v1/schema/``, imported."""
    directory = tmp_path_factory.mktemp("generated_client")
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = directory / "schema.json"
    schema.write_bytes(response.content)
    config = directory / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    command = [GENERATOR, "generate", "--path", schema, "--output-path", directory / PACKAGE]
    result = subprocess.run(
        [*command, "--meta", "none", "--config", config, "--fail-on-warning"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def api(generated, live_server, cast):
    """The generated client, signed in as Colombia's officer with an API token."""
    _, key = ApiToken.issue(cast.officer, name="generated client")
    client = generated.AuthenticatedClient(
        base_url=live_server.url, token=key, prefix="Token", raise_on_unexpected_status=True
    )
    # Closing the kept-alive connection ends the server thread (and database session) behind it.
    with client:
        yield client


def endpoint(name: str):
    return importlib.import_module(f"{PACKAGE}.api.operations.operations_{name}")


@pytest.fixture
def operations(cast):
    """Fourteen operations: every sensitivity, three countries, three states; two of them are
    restricted to Peru, so the officer may not see them."""
    for number in range(12):
        operation = factories.JointOperationFactory(
            sensitivity=["public", "partners", "restricted"][number % 3],
            status=STATUSES[number % 3],
            ended_on=datetime.date(2020, 6, 1) if STATUSES[number % 3] == "completed" else None,
            participants=[cast.colombia, cast.peru] if number % 2 else [cast.colombia],
            arrests=number,
        )
        operation.countries.set(
            [factories.country(COUNTRIES[number % 3]), factories.country(COUNTRIES[number % 2])]
        )
    for _ in range(2):
        hidden = factories.JointOperationFactory(
            sensitivity="restricted", status="active", participants=[cast.peru]
        )
        hidden.countries.set([factories.country("COL")])


def visible(cast):
    return JointOperation.objects.visible_to(cast.officer).order_by("id")


def ids(page) -> list[int]:
    return [row.id for row in page.results]


def test_it_lists_exactly_the_operations_the_officer_may_see(api, cast, operations):
    response = endpoint("list").sync_detailed(client=api, page_size=100)
    assert response.status_code == 200
    page = response.parsed
    expected = list(visible(cast).values_list("id", flat=True))
    assert ids(page) == expected
    assert page.count == len(expected) == 12
    assert JointOperation.objects.count() == 14


@pytest.mark.parametrize(
    "countries, statuses", [("COL", "active"), ("PER,ECU", "planned,completed"), ("ECU", "")]
)
def test_it_filters_by_country_and_status(api, cast, operations, countries, statuses):
    page = endpoint("list").sync(client=api, country=countries, status=statuses, page_size=100)
    expected = visible(cast).filter(countries__in=countries.split(",")).distinct()
    if statuses:
        expected = expected.filter(status__in=statuses.split(","))
    assert ids(page) == list(expected.values_list("id", flat=True))
    assert page.count == expected.count() > 0
    allowed = statuses.split(",") if statuses else STATUSES
    assert {row.status.value for row in page.results} <= set(allowed)


def test_it_pages_through_every_visible_operation_by_page_number(api, cast, operations):
    seen, number = [], 1
    while True:
        page = endpoint("list").sync(client=api, page=number, page_size=5)
        assert page.count == 12
        seen.extend(ids(page))
        if not page.next_:
            break
        number += 1
    assert number == 3
    assert seen == list(visible(cast).values_list("id", flat=True))


def test_it_pages_through_every_visible_operation_by_cursor(api, cast, operations, generated):
    seen, cursor, pages = [], "", 0
    while True:
        page = endpoint("list").sync(client=api, cursor=cursor, page_size=5)
        assert isinstance(page.count, generated.types.Unset)  # no COUNT(*) when paging by cursor
        seen.extend(ids(page))
        pages += 1
        if not page.next_:
            break
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
    assert pages == 3
    assert seen == list(visible(cast).values_list("id", flat=True))


def test_it_reads_one_operation_as_the_database_holds_it_for_the_officer(api, cast):
    shown = factories.AgreementFactory(parties=[cast.colombia], sensitivity="partners")
    hidden = factories.AgreementFactory(parties=[cast.peru], sensitivity="restricted")
    operation = factories.JointOperationFactory(
        sensitivity="restricted",
        status="completed",
        ended_on=datetime.date(2020, 5, 20),
        participants=[cast.colombian_navy, cast.peru],
        arrests=7,
        hectares_eradicated=Decimal("12.5"),
    )
    operation.countries.set([factories.country("COL"), factories.country("PER")])
    factories.SeizureFactory(operation=operation, quantity=Decimal("850"), unit="kg")
    factories.SeizureFactory(operation=operation, substance_id="heroin", quantity=2, unit="t")
    factories.LegalBasisFactory(operation=operation, agreement=shown, article="Art. 4")
    factories.LegalBasisFactory(operation=operation, agreement=hidden)

    response = endpoint("retrieve").sync_detailed(operation.pk, client=api)
    assert response.status_code == 200
    read = response.parsed
    row = JointOperation.objects.get(pk=operation.pk)
    assert (read.id, read.uuid, read.name, read.kind) == (row.pk, row.uuid, row.name, row.kind_id)
    assert (read.status.value, read.sensitivity.value) == (row.status, row.sensitivity)
    assert (read.started_on, read.ended_on) == (row.started_on, row.ended_on)
    assert read.arrests == row.arrests
    assert read.hectares_eradicated == float(row.hectares_eradicated)
    assert sorted(read.countries) == sorted(row.countries.values_list("pk", flat=True))
    assert sorted((p.partner, p.role.value) for p in read.participants) == sorted(
        row.participations.values_list("partner", "role")
    )
    assert [(s.substance, s.quantity, s.unit.value, s.kg_equivalent) for s in read.seizures] == [
        (s.substance_id, float(s.quantity), s.unit, float(s.kg_equivalent))
        for s in row.seizures.order_by("seized_on", "id")
    ]
    # The legal basis the officer may see: not the agreement restricted to Peru.
    seen = row.legal_bases.filter(agreement__in=Agreement.objects.visible_to(cast.officer))
    assert [(b.agreement, b.article) for b in read.legal_basis] == list(
        seen.values_list("agreement", "article")
    )
    assert [b.agreement for b in read.legal_basis] == [shown.pk]


def test_an_operation_the_officer_may_not_see_reads_as_a_404_error(api, cast, generated):
    hidden = factories.JointOperationFactory(sensitivity="restricted", participants=[cast.peru])
    response = endpoint("retrieve").sync_detailed(hidden.pk, client=api)
    assert response.status_code == 404
    assert isinstance(response.parsed, generated.models.Error)
    assert (response.parsed.status, response.parsed.error) == (404, "not_found")
