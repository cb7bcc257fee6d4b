"""The landing page lists what the visitor may see, and nothing else."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.mark.django_db
def test_it_shows_public_records_to_anonymous_visitors_only(client, cast):
    factories.AgreementFactory(title="Open memorandum", sensitivity="public")
    factories.AgreementFactory(title="Partners memorandum", sensitivity="partners")
    factories.JointOperationFactory(name="Operation Lantern", sensitivity="restricted")
    page = client.get("/")
    assert page.status_code == 200
    assert "Open memorandum" in page.text
    assert "Partners memorandum" not in page.text
    assert "Operation Lantern" not in page.text


@pytest.mark.django_db
def test_it_shows_restricted_operations_to_their_participants(client, cast):
    factories.JointOperationFactory(
        name="Operation Lantern", sensitivity="restricted", participants=[cast.colombia]
    )
    client.force_login(cast.officer)
    assert "Operation Lantern" in client.get("/").text
    client.force_login(cast.outsider)
    assert "Operation Lantern" not in client.get("/").text


@pytest.mark.django_db
def test_it_makes_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    for number in range(15):
        factories.AgreementFactory(title=f"Agreement {number}")
        factories.JointOperationFactory(name=f"Operation {number}")
    client.force_login(cast.officer)
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_lists_the_latest_signed_agreements_before_unsigned_ones(client, cast):
    import datetime

    factories.AgreementFactory(title="Still negotiating", signed_on=None, entry_into_force_on=None)
    factories.AgreementFactory(title="Signed last year", signed_on=datetime.date(2025, 3, 1))
    text = client.get("/").text
    assert text.index("Signed last year") < text.index("Still negotiating")
