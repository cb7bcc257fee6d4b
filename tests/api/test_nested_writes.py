"""An operation (or agreement) and its rows written in one request: all of it, or nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agreements.models import Agreement
from operations.models import JointOperation, Participation, Seizure
from tests import factories


@pytest.fixture
def officer(cast):
    client = APIClient()
    client.force_authenticate(cast.officer)
    return client


def new_operation(cast, **changes):
    payload = {
        "name": "Operation Mangrove",
        "kind": "maritime_interdiction",
        "status": "completed",
        "started_on": "2023-06-01",
        "ended_on": "2023-06-20",
        "sensitivity": "restricted",
        "countries": ["COL"],
        "technologies": ["uav", "maritime_patrol"],
        "participants": [
            {"partner": cast.colombian_navy.pk, "role": "lead", "personnel": 300},
            {"partner": cast.peru.pk, "role": "support"},
        ],
        "seizures": [
            {"substance": "cocaine", "quantity": "1.2", "unit": "t", "seized_on": "2023-06-05"},
            {
                "substance": "ecstasy",
                "quantity": "20000",
                "unit": "units",
                "mass_per_unit_kg": "0.0003",
                "seized_on": "2023-06-07",
                "transit_countries": ["PAN"],
            },
        ],
    }
    payload.update(changes)
    return payload


@pytest.mark.django_db
def test_an_operation_is_created_with_its_participants_and_seizures(officer, cast):
    response = officer.post("/api/v1/operations/", new_operation(cast), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [p["role"] for p in body["participants"]] == ["lead", "support"]
    assert [s["kg_equivalent"] for s in body["seizures"]] == [1200, 6]
    assert body["seizures"][1]["transit_countries"] == ["PAN"]
    operation = JointOperation.objects.get(pk=body["id"])
    assert operation.created_by == cast.officer
    assert {s.created_by for s in operation.seizures.all()} == {cast.officer}
    # Restricted, and Colombia's officer acts for the navy that leads it: they still see it.
    assert officer.get(f"/api/v1/operations/{operation.pk}/").status_code == 200


@pytest.mark.django_db
def test_one_bad_seizure_rejects_the_whole_operation_and_says_which(officer, cast):
    payload = new_operation(cast)
    payload["seizures"][1]["seized_on"] = "2024-01-01"  # after the operation ended
    payload["seizures"][0]["quantity"] = "0"
    response = officer.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["seizures"]
    assert "quantity" in errors[0]
    assert "seized_on" in errors[1]
    assert not JointOperation.objects.filter(name="Operation Mangrove").exists()
    assert not Seizure.objects.exists() and not Participation.objects.exists()


@pytest.mark.django_db
def test_two_leads_are_refused_and_nothing_is_written(officer, cast):
    payload = new_operation(cast)
    payload["participants"][1]["role"] = "lead"
    response = officer.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 400
    assert "participants" in response.json()["errors"]
    assert not JointOperation.objects.exists()


@pytest.mark.django_db
def test_an_update_keeps_named_rows_adds_new_ones_and_drops_the_rest(officer, cast):
    created = officer.post("/api/v1/operations/", new_operation(cast), format="json").json()
    kept, dropped = created["seizures"]
    payload = {
        "seizures": [
            {
                "id": kept["id"],
                "substance": "cocaine",
                "quantity": "1.3",
                "unit": "t",
                "seized_on": "2023-06-05",
            },
            {"substance": "heroin", "quantity": "8", "unit": "kg", "seized_on": "2023-06-10"},
        ]
    }
    response = officer.patch(f"/api/v1/operations/{created['id']}/", payload, format="json")
    assert response.status_code == 200, response.content
    seizures = response.json()["seizures"]
    assert seizures[0]["id"] == kept["id"] and seizures[0]["kg_equivalent"] == 1300
    assert not Seizure.objects.filter(pk=dropped["id"]).exists()
    assert len(response.json()["participants"]) == 2  # not named in the PATCH: untouched


@pytest.mark.django_db
def test_a_row_of_another_operation_cannot_be_adopted(officer, cast):
    created = officer.post("/api/v1/operations/", new_operation(cast), format="json").json()
    stranger = factories.SeizureFactory()
    payload = {
        "seizures": [
            {
                "id": stranger.pk,
                "substance": "cocaine",
                "quantity": "1",
                "unit": "kg",
                "seized_on": "2023-06-05",
            }
        ]
    }
    response = officer.patch(f"/api/v1/operations/{created['id']}/", payload, format="json")
    assert response.status_code == 400
    assert "id" in response.json()["errors"]["seizures"][0]
    assert Seizure.objects.filter(operation_id=created["id"]).count() == 2


@pytest.mark.django_db
def test_an_operation_cannot_cite_an_agreement_its_author_cannot_see(officer, cast):
    hidden = factories.AgreementFactory(sensitivity="restricted", parties=[cast.peru])
    payload = new_operation(cast, legal_basis=[{"agreement": hidden.pk, "article": "Art. 1"}])
    response = officer.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 400
    assert "legal_basis" in response.json()["errors"]
    assert not JointOperation.objects.exists()


@pytest.mark.django_db
def test_a_bilateral_agreement_needs_its_two_parties_in_the_request(officer, cast):
    payload = {
        "kind": "mou",
        "scope": "bilateral",
        "title": "One-sided memorandum",
        "sensitivity": "public",
        "parties": [{"partner": cast.colombia.pk, "role": "party"}],
    }
    response = officer.post("/api/v1/agreements/", payload, format="json")
    assert response.status_code == 400
    assert "exactly two parties" in response.json()["errors"]["parties"][0]
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_removing_a_party_of_a_bilateral_agreement_on_its_own_is_refused(officer, cast):
    deal = factories.AgreementFactory(scope="bilateral", parties=[cast.colombia, cast.peru])
    party = deal.parties.get(partner=cast.peru)
    response = officer.delete(f"/api/v1/agreement-parties/{party.pk}/")
    assert response.status_code == 400
    assert deal.parties.count() == 2


@pytest.mark.django_db
def test_a_write_that_would_hide_the_record_from_its_author_is_refused(cast):
    # An officer acting for no partner writes for nobody: the draft would be out of their
    # sight, whatever its sensitivity.
    loner = APIClient()
    loner.force_authenticate(factories.UserFactory(groups=["officer"]))
    payload = new_operation(cast)
    payload["participants"] = [{"partner": cast.peru.pk, "role": "lead"}]
    response = loner.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 400
    assert "sensitivity" in response.json()["errors"]
    assert not JointOperation.objects.exists()
    payload["sensitivity"] = "public"
    assert loner.post("/api/v1/operations/", payload, format="json").status_code == 400
    assert not JointOperation.objects.exists()


@pytest.mark.django_db
def test_the_authors_partner_keeps_seeing_what_it_wrote(officer, cast):
    payload = new_operation(cast)
    payload["participants"] = [{"partner": cast.peru.pk, "role": "lead"}]  # not Colombia
    response = officer.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 201, response.content
    operation = JointOperation.objects.get()
    assert operation.author_partner == cast.colombia and operation.review_state == "draft"
