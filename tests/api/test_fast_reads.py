"""List pages and exports are represented by compiled functions (``cooperation.api.fast``);
details by the DRF serializer itself. The two must agree on every field of every resource."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.api.resources import RESOURCES


@pytest.fixture
def rich_rows(cast):
    """Rows that fill every kind of field: nested lists, many-to-many, nulls, decimals."""
    agreement = factories.AgreementFactory(
        sensitivity="partners",
        parties=[cast.colombia, cast.peru],
        shared_with=[cast.colombian_navy],
        facilitator=factories.OrganizationFactory(),
        expires_on=datetime.date(2030, 1, 1),
    )
    agreement.areas.set(["maritime_interdiction", "joint_training"])
    operation = factories.JointOperationFactory(
        sensitivity="partners",
        status="completed",
        ended_on=datetime.date(2020, 6, 1),
        participants=[cast.colombian_navy, cast.peru],
        shared_with=[cast.colombia],
        hectares_eradicated=Decimal("12.50"),
    )
    operation.countries.set(["COL", "PER"])
    operation.technologies.set(["uav"])
    seizure = factories.SeizureFactory(
        operation=operation,
        unit="units",
        quantity=Decimal("1000"),
        mass_per_unit_kg=Decimal("0.000250"),
        country_id="COL",
        origin_country_id="PER",
    )
    seizure.transit_countries.set(["PAN", "ECU"])
    factories.SeizureFactory(operation=operation, unit="plants", quantity=Decimal("40"))
    factories.LegalBasisFactory(operation=operation, agreement=agreement, article="Art. 9")
    factories.ImpactReportFactory(operation=operation, people_affected=None)
    factories.JournalEntryFactory(operation=operation, author=cast.officer)
    factories.MembershipFactory(member=cast.peru)
    for resource in RESOURCES:
        resource.make(cast, "public")


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
@pytest.mark.parametrize("shaping", [{}, {"omit": "display"}, {"brief": "1"}])
def test_list_rows_equal_their_detail(cast, rich_rows, resource, shaping):
    client = APIClient()
    client.force_authenticate(cast.officer)
    listing = client.get(f"/api/v1/{resource.name}/", {"page_size": 300, **shaping}).json()
    assert listing["results"]
    for row in listing["results"][:40]:
        detail = client.get(f"/api/v1/{resource.name}/{row['id']}/", shaping).json()
        assert row == detail


@pytest.mark.django_db
def test_readers_who_see_different_rows_never_share_a_page_statement(cast):
    """A page's rows are read by a statement kept per reader's visibility: a legal basis
    citing a restricted agreement shows to its party's officer, and never to another reader
    asking right after (or before) them."""
    secret = factories.AgreementFactory(sensitivity="restricted", parties=[cast.colombia])
    operation = factories.JointOperationFactory(sensitivity="public", participants=[cast.peru])
    factories.LegalBasisFactory(operation=operation, agreement=secret, article="Art. 4")

    def cited(user) -> list:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        body = client.get("/api/v1/operations/", {"cursor": "", "page_size": 10}).json()
        return [row["article"] for op in body["results"] for row in op["legal_basis"]]

    for _ in range(2):
        assert cited(cast.officer) == ["Art. 4"]
        assert cited(cast.outsider) == []
        assert cited(None) == []
        assert cited(cast.administrator) == ["Art. 4"]


def _page(client, **params) -> tuple[dict, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/operations/", {"cursor": "", **params})
    assert response.status_code == 200, response.content[:300]
    return response.json(), [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_a_streamed_page_equals_the_page_read_in_one_go(cast, rich_rows, monkeypatch):
    """A large page's rows are taken apart while PostgreSQL is still sending them; what
    comes out, and the queries made (the streamed one logged as any other), are the same as
    when they are read in one go."""
    from cooperation.api import fast

    for _ in range(6):
        operation = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
        factories.SeizureFactory(operation=operation)
        factories.LegalBasisFactory(operation=operation)
    client = APIClient()
    client.force_authenticate(cast.officer)
    monkeypatch.setattr(fast, "STREAM_FROM", 10**9)
    whole, whole_queries = _page(client, page_size=20)
    monkeypatch.setattr(fast, "STREAM_FROM", 2)
    monkeypatch.setattr(fast, "STREAM_CHUNK", 3)  # several chunks, the last one short
    streamed, streamed_queries = _page(client, page_size=20)
    assert len(whole["results"]) > 2 * 3
    assert streamed == whole
    assert [row["participants"] for row in streamed["results"]] != [[]] * len(whole["results"])
    assert len(streamed_queries) == len(whole_queries)
    assert streamed_queries[-1] == whole_queries[-1]  # the page's rows, logged


@pytest.mark.django_db
def test_a_query_while_rows_stream_waits_for_the_rest_of_them(cast, monkeypatch):
    """While a page's rows arrive the connection is busy: a query made then (by a getter
    reading a relation nothing loaded, say) first takes in every row still to come, then
    runs — it is neither stuck on the connection's lock nor mixed up with the stream."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cooperation.api import fast
    from operations.models import JointOperation

    monkeypatch.setattr(fast, "STREAM_FROM", 2)
    monkeypatch.setattr(fast, "STREAM_CHUNK", 2)
    keys = [factories.JointOperationFactory(name=f"Op {i}").pk for i in range(7)]
    counted = []

    def querying(chunk):
        counted.append((len(chunk), JointOperation.objects.filter(pk__in=keys).count()))

    with CaptureQueriesContext(connection) as captured:
        found = fast.rows_by_keys(JointOperation.objects.all, keys, ("streaming",), querying)
    assert sorted(obj.pk for obj in found) == sorted(keys)
    assert sorted(obj.name for obj in found) == [f"Op {i}" for i in range(7)]
    assert counted == [(2, 7), (2, 7), (2, 7), (1, 7)]
    assert len(captured.captured_queries) == 1 + 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_a_failure_while_rows_stream_cancels_the_read(cast, monkeypatch):
    """The rest of the read is cancelled (in a transaction, which then rolls back to its
    savepoint) and the connection serves the next query."""
    from django.db import connection, transaction

    from cooperation.api import fast
    from operations.models import JointOperation

    monkeypatch.setattr(fast, "STREAM_FROM", 2)
    monkeypatch.setattr(fast, "STREAM_CHUNK", 2)
    keys = [factories.JointOperationFactory().pk for _ in range(7)]

    def failing(chunk):
        raise ValueError("taken apart wrongly")

    with pytest.raises(ValueError, match="wrongly"), transaction.atomic():
        fast.rows_by_keys(JointOperation.objects.all, keys, ("streaming",), failing)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM operations_jointoperation WHERE id = ANY(%s)", [keys])
        assert cursor.fetchone() == (7,)
