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
