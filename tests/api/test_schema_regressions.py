"""One test for each bug the schema conformance run (``test_schema_conformance.py``) found:
a server error, or an answer the OpenAPI schema does not describe."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cooperation.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast) -> APIClient:
    _, key = ApiToken.issue(cast.officer)
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def schema(client) -> dict:
    return client.get("/api/v1/schema/", {"format": "json"}).json()


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("key", ["abc", "null,null", "1e5"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_to_a_malformed_key_is_a_404_not_a_server_error(officer, method, key):
    assert_not_found(getattr(officer, method)(f"/api/v1/operations/{key}/", {}, format="json"))


def test_a_missing_row_is_reported_with_the_not_found_code(officer):
    assert_not_found(officer.get("/api/v1/operations/999999999/"))


@pytest.mark.parametrize("query", [{"page": 0}, {"page": 999}, {"cursor": "zz"}, {"format": "x"}])
def test_the_404s_of_a_list_are_documented(officer, schema, cast, query):
    factories.JointOperationFactory()
    assert_not_found(officer.get("/api/v1/operations/", query))
    for method in ("get", "post"):
        assert "404" in schema["paths"]["/api/v1/operations/"][method]["responses"]


@pytest.mark.parametrize(
    "resource, component",
    [("operations", "JointOperation"), ("countries", "Country"), ("substances", "Substance")],
)
@pytest.mark.parametrize("shaping", [{"brief": "1"}, {"fields": "id"}, {"omit": "display"}])
def test_a_shaped_read_still_has_every_field_the_schema_requires(
    officer, schema, cast, resource, component, shaping
):
    factories.JointOperationFactory()
    rows = officer.get(f"/api/v1/{resource}/", shaping).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    required = set(schema["components"]["schemas"][component].get("required", []))
    assert rows
    for row in rows:
        assert required <= set(row)


def test_deleting_an_agreement_an_operation_relies_on_is_refused_with_a_400(officer, cast):
    agreement = factories.AgreementFactory(parties=[cast.colombia])
    factories.LegalBasisFactory(agreement=agreement)
    response = officer.delete(f"/api/v1/agreements/{agreement.pk}/")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["non_field_errors"] == [
        "Other rows still refer to this one (legal bases): change or delete them first."
    ]
    assert officer.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 200


def test_deleting_an_agreement_another_amends_is_refused_with_a_400(officer, cast):
    agreement = factories.AgreementFactory(parties=[cast.colombia])
    factories.AgreementFactory(parties=[cast.colombia], amends=agreement)
    assert officer.delete(f"/api/v1/agreements/{agreement.pk}/").status_code == 400


@pytest.mark.parametrize(
    "path, parameter",
    [("/api/v1/operations/", "updated_since"), ("/api/v1/deleted/", "since")],
)
def test_an_instant_with_an_offset_postgresql_refuses_is_read_in_utc(officer, path, parameter):
    # +16:12 is a valid Python offset, beyond PostgreSQL's ±15:59.
    response = officer.get(path, {parameter: "2024-05-31T20:00:00+16:12", "format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)  # the query runs as the export streams
    assert officer.get(path, {parameter: "2024-05-31T20:00:00+16:12"}).status_code == 200


def test_an_instant_that_leaves_the_calendar_in_utc_is_a_400(officer):
    response = officer.get("/api/v1/operations/", {"updated_since": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]


def test_a_nul_character_in_a_key_is_a_404(officer):
    assert_not_found(officer.get("/api/v1/countries/C%00L/"))


@pytest.mark.parametrize(
    "body",
    [
        {"countries": ["COL\x00"]},
        {"seizures": [{"substance": "cocaine\x00", "quantity": "1", "unit": "kg"}]},
    ],
)
def test_a_nul_character_in_a_body_is_a_400_and_writes_nothing(officer, cast, body):
    operation = factories.JointOperationFactory(participants=[cast.colombia])
    before = officer.get(f"/api/v1/operations/{operation.pk}/").json()
    response = officer.patch(f"/api/v1/operations/{operation.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {
        "non_field_errors": ["Text may not contain NUL characters."]
    }
    assert officer.get(f"/api/v1/operations/{operation.pk}/").json() == before


def test_a_nul_character_in_a_form_is_a_400(officer):
    response = officer.post("/api/v1/impact-reports/", {"country": "CO\x00"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Text may not contain NUL characters."]
    }


@pytest.mark.parametrize("path", ["/api/v1/operations/1.5e-08/", "/api/v1/no-such-thing/"])
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_a_path_the_api_does_not_have_is_a_json_404(officer, method, path):
    assert_not_found(getattr(officer, method)(path))


def test_a_path_without_its_slash_is_still_redirected_to_it(officer):
    response = officer.get("/api/v1/operations")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/operations/"


@pytest.mark.parametrize("ordering", [",,,", ",", "-name,,"])
def test_an_ordering_with_empty_names_is_not_a_server_error(officer, ordering):
    factories.JointOperationFactory()
    response = officer.get("/api/v1/operations/", {"ordering": ordering})
    assert response.status_code == 200, response.content


def test_reads_are_documented_as_open_to_anonymous_clients_and_writes_are_not(client, schema):
    factories.JointOperationFactory(sensitivity="public")
    assert client.get("/api/v1/operations/").status_code == 200
    assert client.post("/api/v1/operations/", {}).status_code == 401
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert ({} in operation["security"]) == (method == "get"), (method, path)


def test_a_seizure_without_kilograms_is_documented_as_null(officer, schema, cast):
    """Plants counted without a mass per unit have no kg-equivalent: null, as documented
    (the long fuzz run, ``make fuzz``, found the schema promising a number)."""
    operation = factories.JointOperationFactory(participants=[cast.colombia])
    seizure = factories.SeizureFactory(
        operation=operation, substance_id="cannabis_herb", quantity=2000, unit="plants"
    )
    row = officer.get(f"/api/v1/seizures/{seizure.pk}/").json()
    assert row["kg_equivalent"] is None
    nested = officer.get(f"/api/v1/operations/{operation.pk}/").json()["seizures"][0]
    assert nested["kg_equivalent"] is None
    components = schema["components"]["schemas"]
    for component in ("Seizure", "SeizureRow"):
        assert components[component]["properties"]["kg_equivalent"]["nullable"]


def test_an_api_path_with_a_newline_is_the_apis_404(officer):
    assert_not_found(officer.get("/api/v1/imports/3%3E%0A/"))


@pytest.mark.parametrize("format", ["csv", "ndjson", "json"])
def test_a_delete_answers_204_without_a_body_in_every_format(officer, cast, format):
    """A 204 carries no body (the fuzz run saw the CSV renderer write one, which gunicorn then
    dropped with a warning)."""
    seizure = factories.SeizureFactory(
        operation=factories.JointOperationFactory(participants=[cast.colombia])
    )
    response = officer.delete(f"/api/v1/seizures/{seizure.pk}/?format={format}")
    assert response.status_code == 204
    assert response.content == b""
