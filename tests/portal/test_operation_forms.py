"""Logging and correcting operations in the portal, and adding journal entries and impact
reports: who may, what is saved, and that bad input saves nothing and is shown where it is."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)
from tests import factories

pytestmark = pytest.mark.django_db

ROWS = {"participations": Participation, "seizures": Seizure, "legal_bases": LegalBasis}


def form_data(operation=None, *, version="", rows=None, **fields) -> dict:
    """What the operation form sends: its fields, then each formset's management form and
    rows (``rows={"participations": [{...}, ...]}``)."""
    data = {
        "name": "Operation Tidewater",
        "kind": "maritime_interdiction",
        "status": "active",
        "started_on": "2024-03-01",
        "ended_on": "",
        "summary": "",
        "countries": ["COL", "PER"],
        "technologies": ["uav"],
        "arrests": "3",
        "labs_dismantled": "0",
        "hectares_eradicated": "0",
        "assets_seized_usd": "0",
        "sensitivity": "restricted",
        "version": version,
        **fields,
    }
    rows = rows or {}
    for prefix in ROWS:
        given = rows.get(prefix, [])
        initial = sum(1 for row in given if row.get("id"))
        data[f"{prefix}-TOTAL_FORMS"] = str(len(given))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial)
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for number, row in enumerate(given):
            for name, value in row.items():
                data[f"{prefix}-{number}-{name}"] = value
    return {key: value for key, value in data.items() if value is not None}


def two_participants_and_two_seizures(cast) -> dict:
    return {
        "participations": [
            {"partner": cast.colombia.pk, "role": "lead", "personnel": "120"},
            {"partner": cast.peru.pk, "role": "partner", "contribution": "Two patrol boats"},
        ],
        "seizures": [
            {
                "substance": "cocaine",
                "quantity": "1200",
                "unit": "kg",
                "seized_on": "2024-03-02",
                "country": "COL",
                "forensic_status": "confirmed",
            },
            {
                "substance": "ecstasy",
                "quantity": "5000",
                "unit": "units",
                "mass_per_unit_kg": "0.0003",
                "seized_on": "2024-03-03",
                "transit_countries": ["PAN", "CRI"],
                "forensic_status": "not_tested",
            },
        ],
    }


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (JointOperation, Participation, Seizure, LegalBasis)
    }


def error_beside(page, field_id: str) -> str:
    """The error list rendered right under the field whose input has ``field_id``."""
    found = re.search(
        rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', page.text, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


# -- creating ---------------------------------------------------------------------------------


def test_an_officer_logs_an_operation_with_its_participants_and_seizures(client, cast):
    client.force_login(cast.officer)
    agreement = factories.AgreementFactory()
    rows = two_participants_and_two_seizures(cast)
    rows["legal_bases"] = [{"agreement": agreement.pk, "article": "Art. 9"}]
    page = client.post("/operations/new/", form_data(rows=rows))

    operation = JointOperation.objects.get(name="Operation Tidewater")
    assert page.status_code == 302
    assert page.url == operation.get_absolute_url()
    assert operation.created_by == cast.officer and operation.updated_by == cast.officer
    assert sorted(operation.countries.values_list("pk", flat=True)) == ["COL", "PER"]
    participations = operation.participations.order_by("id")
    assert [(p.partner, p.role, p.personnel) for p in participations] == [
        (cast.colombia, "lead", 120),
        (cast.peru, "partner", None),
    ]
    seizures = operation.seizures.order_by("seized_on")
    assert [s.kg_equivalent for s in seizures] == [Decimal("1200"), Decimal("1.5")]
    assert sorted(seizures[1].transit_countries.values_list("pk", flat=True)) == ["CRI", "PAN"]
    assert operation.legal_bases.get().article == "Art. 9"
    for row in [*participations, *seizures, *operation.legal_bases.all()]:
        assert row.created_by == cast.officer and row.updated_by == cast.officer
    assert "Operation Tidewater was logged." in client.get(page.url).text


def test_the_new_operation_form_offers_one_participant_row_and_templates_for_more(client, cast):
    client.force_login(cast.officer)
    text = client.get("/operations/new/").text
    assert 'name="participations-TOTAL_FORMS" value="1"' in text
    assert 'name="seizures-TOTAL_FORMS" value="0"' in text
    # Each formset carries its empty row for the script to copy.
    assert text.count("<template data-formset-empty>") == 3
    assert 'id="id_participations-__prefix__-partner"' in text
    # No inline script anywhere: behaviour comes from static files.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None


BAD_INPUT = {
    "a missing name": (
        {"name": ""},
        None,
        "id_name",
        "This field is required.",
    ),
    "an end before the start": (
        {"started_on": "2024-03-10", "ended_on": "2024-03-01"},
        None,
        "id_ended_on",
        "An operation cannot end before it started.",
    ),
    "a negative quantity": (
        {},
        lambda rows: rows["seizures"][0].update(quantity="-5"),
        "id_seizures-0-quantity",
        "A seized quantity must be greater than zero.",
    ),
    "a mass per unit for a unit that has none": (
        {},
        lambda rows: rows["seizures"][0].update(mass_per_unit_kg="0.5"),
        "id_seizures-0-mass_per_unit_kg",
        "A mass per unit applies only to seizures counted in units or plants.",
    ),
    "a partner taking part twice": (
        {},
        lambda rows: rows["participations"][1].update(partner=rows["participations"][0]["partner"]),
        "id_participations-1-partner",
        "This partner already takes part in the operation.",
    ),
    "two leads": (
        {},
        lambda rows: rows["participations"][1].update(role="lead"),
        "id_participations-1-role",
        "An operation has one lead partner.",
    ),
    "a seizure before the operation started": (
        {},
        lambda rows: rows["seizures"][1].update(seized_on="2024-02-01"),
        "id_seizures-1-seized_on",
        "The seizure date falls outside the operation's dates.",
    ),
    "a missing partner": (
        {},
        lambda rows: rows["participations"][1].update(partner=""),
        "id_participations-1-partner",
        "This field is required.",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(client, cast, case):
    fields, change_rows, field_id, message = BAD_INPUT[case]
    rows = two_participants_and_two_seizures(cast)
    if change_rows:
        change_rows(rows)
    client.force_login(cast.officer)
    before = counts()
    page = client.post("/operations/new/", form_data(rows=rows, **fields))
    assert page.status_code == 200
    assert message in error_beside(page, field_id)
    assert "The operation was not saved" in page.text
    assert counts() == before


def test_a_refused_form_keeps_what_was_typed(client, cast):
    rows = two_participants_and_two_seizures(cast)
    rows["seizures"][0]["quantity"] = "-5"
    client.force_login(cast.officer)
    page = client.post(
        "/operations/new/", form_data(rows=rows, name="Operation Keepsake", summary="Typed text")
    )
    text = page.text
    assert 'value="Operation Keepsake"' in text
    assert "Typed text</textarea>" in text
    assert 'name="seizures-0-quantity" value="-5"' in text
    # Chosen records come back by name, with their keys.
    assert "Government of Peru" in text
    assert f'name="participations-1-partner" value="{cast.peru.pk}"' in text
    assert 'name="countries" value="PER"' in text


def test_a_row_refused_by_the_database_check_after_full_clean_saves_nothing(client, cast):
    """A seizure's date is checked against the operation it belongs to once that exists:
    the operation is then rolled back with it."""
    rows = two_participants_and_two_seizures(cast)
    rows["seizures"][1]["seized_on"] = "2025-01-01"
    client.force_login(cast.officer)
    before = counts()
    page = client.post("/operations/new/", form_data(rows=rows, ended_on="2024-06-30"))
    assert "falls outside the operation" in error_beside(page, "id_seizures-1-seized_on")
    assert counts() == before
    # The form is still the form of a new operation (the rolled-back key is forgotten).
    assert 'action="/operations/new/"' in page.text


def test_an_operation_its_author_could_not_see_is_refused(client, cast):
    rows = {"participations": [{"partner": cast.peru.pk, "role": "lead"}]}
    client.force_login(factories.UserFactory(groups=["officer"]))  # acting for no partner
    before = counts()
    page = client.post("/operations/new/", form_data(rows=rows, sensitivity="restricted"))
    assert "You could not see this record after saving it" in error_beside(page, "id_sensitivity")
    assert counts() == before


def test_an_agreement_the_officer_may_not_see_cannot_be_cited(client, cast):
    hidden = factories.AgreementFactory(sensitivity="restricted", parties=[cast.peru])
    rows = two_participants_and_two_seizures(cast)
    rows["legal_bases"] = [{"agreement": hidden.pk}]
    client.force_login(cast.officer)
    before = counts()
    page = client.post("/operations/new/", form_data(rows=rows))
    assert "there is none you may see" in error_beside(page, "id_legal_bases-0-agreement")
    assert hidden.title not in page.text
    assert counts() == before


# -- editing ----------------------------------------------------------------------------------


@pytest.fixture
def logged(client, cast):
    """An operation the officer logged through the form."""
    client.force_login(cast.officer)
    client.post("/operations/new/", form_data(rows=two_participants_and_two_seizures(cast)))
    return JointOperation.objects.get(name="Operation Tidewater")


def opened_version(client, operation) -> str:
    """The version the edit page gives its form when ``client`` opens it."""
    page = client.get(f"/operations/{operation.pk}/edit/").text
    return re.search(r'name="version" value="([^"]*)"', page).group(1)


def edit_data(client, operation, **fields) -> dict:
    """The edit form as ``client`` opens it: the operation's rows, unchanged, and the version
    the page gave."""
    version = opened_version(client, operation)
    participations = [
        {"id": p.pk, "partner": p.partner_id, "role": p.role, "personnel": p.personnel or ""}
        for p in operation.participations.order_by("id")
    ]
    seizures = [
        {
            "id": s.pk,
            "substance": s.substance_id,
            "quantity": str(s.quantity),
            "unit": s.unit,
            "mass_per_unit_kg": str(s.mass_per_unit_kg or ""),
            "seized_on": s.seized_on.isoformat(),
            "country": s.country_id or "",
            "forensic_status": s.forensic_status,
        }
        for s in operation.seizures.order_by("id")
    ]
    legal = [
        {"id": b.pk, "agreement": b.agreement_id, "article": b.article}
        for b in operation.legal_bases.order_by("id")
    ]
    rows = {"participations": participations, "seizures": seizures, "legal_bases": legal}
    return form_data(rows=rows, version=version, **fields)


def test_the_edit_form_shows_the_operation_as_stored(client, cast, logged):
    text = client.get(f"/operations/{logged.pk}/edit/").text
    assert 'value="Operation Tidewater"' in text
    assert f'name="version" value="{logged.version_for(cast.officer)}"' in text
    assert 'name="participations-TOTAL_FORMS" value="2"' in text
    assert "Government of Colombia" in text


def test_an_officer_corrects_an_operation_and_its_rows(client, cast, logged):
    data = edit_data(client, logged, name="Operation Tidewater II")
    # Peru becomes the lead, Colombia a partner; a seizure is removed; the navy joins.
    data["participations-0-role"] = "partner"
    data["participations-1-role"] = "lead"
    data["seizures-1-DELETE"] = "on"
    data["participations-TOTAL_FORMS"] = "3"
    data["participations-2-partner"] = cast.colombian_navy.pk
    data["participations-2-role"] = "support"
    other = factories.UserFactory(groups=["officer"], partners=[cast.colombia])
    client.force_login(other)
    page = client.post(f"/operations/{logged.pk}/edit/", data)
    assert page.status_code == 302
    logged.refresh_from_db()
    assert logged.name == "Operation Tidewater II"
    assert logged.created_by == cast.officer and logged.updated_by == other
    assert logged.lead == cast.peru
    assert logged.participations.count() == 3
    assert logged.participations.get(partner=cast.colombian_navy).created_by == other
    assert logged.seizures.count() == 1


def test_an_edit_of_a_version_someone_replaced_meanwhile_is_refused(client, cast, logged):
    opened = edit_data(client, logged, name="My version")
    opened["participations-0-personnel"] = "999"
    # Someone else saves first.
    meanwhile = edit_data(client, logged, name="Their version")
    client.force_login(cast.administrator)
    assert client.post(f"/operations/{logged.pk}/edit/", meanwhile).status_code == 302

    client.force_login(cast.officer)
    before = counts()
    page = client.post(f"/operations/{logged.pk}/edit/", opened)
    assert page.status_code == 200
    assert "Someone changed this operation" in page.text
    assert "last saved by administrator" in page.text
    assert "your changes were not saved" in page.text
    assert 'value="My version"' in page.text  # what the user typed is still there
    logged.refresh_from_db()
    assert logged.name == "Their version"
    assert logged.participations.get(partner=cast.colombia).personnel == 120
    assert counts() == before


API_WRITES = {
    "a seizure corrected": lambda op: (
        "patch",
        f"/api/v1/seizures/{first(op.seizures)}/",
        {"quantity": "7"},
    ),
    "a participant removed": lambda op: (
        "delete",
        f"/api/v1/participations/{op.participations.get(role='partner').pk}/",
        "",
    ),
    "a legal basis added": lambda op: (
        "post",
        "/api/v1/legal-bases/",
        {"operation": op.pk, "agreement": Agreement.objects.get(title="Lima Accord").pk},
    ),
}


def first(rows) -> int:
    return rows.order_by("id").first().pk


@pytest.mark.parametrize("write", API_WRITES)
def test_a_row_changed_through_the_api_meanwhile_refuses_the_edit(client, cast, logged, write):
    """The version covers the rows edited with the operation, whatever path changed them:
    the API writes a row without saving the operation itself."""
    factories.AgreementFactory(title="Lima Accord", sensitivity="public", parties=[cast.peru])
    opened = edit_data(client, logged, name="My version")
    method, url, body = API_WRITES[write](logged)
    api = Client()
    api.force_login(cast.administrator)
    answer = getattr(api, method)(url, body, content_type="application/json")
    assert answer.status_code in (200, 201, 204), answer.content
    before = counts()
    page = client.post(f"/operations/{logged.pk}/edit/", opened)
    assert page.status_code == 200
    assert "your changes were not saved" in page.text
    logged.refresh_from_db()
    assert logged.name == "Operation Tidewater"
    assert counts() == before


def test_an_edit_opened_again_after_the_api_change_is_saved(client, cast, logged):
    api = Client()
    api.force_login(cast.administrator)
    url = f"/api/v1/seizures/{first(logged.seizures)}/"
    assert api.patch(url, {"quantity": "7"}, content_type="application/json").status_code == 200
    page = client.post(f"/operations/{logged.pk}/edit/", edit_data(client, logged, name="Mine"))
    assert page.status_code == 302
    logged.refresh_from_db()
    assert logged.name == "Mine"
    assert logged.seizures.order_by("id").first().quantity == 7


def test_an_edit_leaves_rows_citing_agreements_the_officer_may_not_see_alone(client, cast, logged):
    hidden = factories.AgreementFactory(
        title="Peruvian Secret Protocol", sensitivity="restricted", parties=[cast.peru]
    )
    factories.LegalBasisFactory(operation=logged, agreement=hidden)
    logged.refresh_from_db()
    page = client.get(f"/operations/{logged.pk}/edit/")
    assert "Peruvian Secret Protocol" not in page.text
    assert 'name="legal_bases-TOTAL_FORMS" value="0"' in page.text
    data = edit_data(client, logged)
    data["legal_bases-TOTAL_FORMS"] = data["legal_bases-INITIAL_FORMS"] = "0"
    for key in [key for key in data if key.startswith("legal_bases-0-")]:
        del data[key]
    assert client.post(f"/operations/{logged.pk}/edit/", data).status_code == 302
    assert logged.legal_bases.get().agreement == hidden


def test_an_edit_leaves_the_operation_with_the_partner_that_wrote_it(client, cast, logged):
    data = edit_data(client, logged)
    data["participations-0-DELETE"] = "on"  # Colombia leaves: only Peru takes part
    page = client.post(f"/operations/{logged.pk}/edit/", data)
    assert page.status_code == 302
    assert not logged.participations.filter(partner=cast.colombia).exists()
    # Colombia wrote it: its officers still see it.
    assert client.get(logged.get_absolute_url()).status_code == 200


# -- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/operations/new/", "edit", "journal", "impact"])
def test_an_analyst_gets_403_and_saves_nothing(client, cast, path):
    operation = factories.JointOperationFactory()
    path = {
        "edit": f"/operations/{operation.pk}/edit/",
        "journal": f"/operations/{operation.pk}/journal/new/",
        "impact": f"/operations/{operation.pk}/impact/new/",
    }.get(path, path)
    client.force_login(cast.analyst)
    page = client.get(path)
    assert page.status_code == 403
    assert "You cannot do this here" in page.text
    before = counts()
    assert client.post(path, form_data()).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("path", ["/operations/new/", "edit", "journal", "impact"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, cast, path):
    operation = factories.JointOperationFactory()
    path = {
        "edit": f"/operations/{operation.pk}/edit/",
        "journal": f"/operations/{operation.pk}/journal/new/",
        "impact": f"/operations/{operation.pk}/impact/new/",
    }.get(path, path)
    page = client.get(path)
    assert page.status_code == 302
    assert page.url == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("action", ["edit", "journal/new", "impact/new"])
def test_an_officer_gets_404_for_a_restricted_operation_of_others(client, cast, action):
    operation = factories.JointOperationFactory(
        sensitivity="restricted", participants=[cast.colombia]
    )
    client.force_login(cast.outsider)
    before = counts()
    assert client.get(f"/operations/{operation.pk}/{action}/").status_code == 404
    assert client.post(f"/operations/{operation.pk}/{action}/", form_data()).status_code == 404
    assert counts() == before


def test_an_officer_may_edit_an_operation_of_others_they_may_see(client, cast):
    operation = factories.JointOperationFactory(sensitivity="public", participants=[cast.peru])
    client.force_login(cast.officer)
    assert client.get(f"/operations/{operation.pk}/edit/").status_code == 200


# -- suggestions ------------------------------------------------------------------------------


def suggested(client, resource: str, q: str) -> str:
    page = client.get(f"/autocomplete/{resource}/", {"q": q})
    assert page.status_code == 200
    return page.text


def test_agreement_suggestions_are_the_agreements_the_user_may_see(client, cast):
    factories.AgreementFactory(title="Andean Memorandum Public")
    factories.AgreementFactory(title="Andean Memorandum Partners", sensitivity="partners")
    factories.AgreementFactory(
        title="Andean Memorandum Peru", sensitivity="restricted", parties=[cast.peru]
    )
    shown = {persona: suggested(client, "agreements", "andean") for persona in ("anonymous",)}
    client.force_login(cast.officer)
    shown["officer"] = suggested(client, "agreements", "andean")
    client.force_login(cast.outsider)
    shown["outsider"] = suggested(client, "agreements", "andean")
    assert "Public" in shown["anonymous"] and "Partners" not in shown["anonymous"]
    assert "Andean Memorandum Partners" in shown["officer"]
    assert "Andean Memorandum Peru" not in shown["officer"]
    assert "Andean Memorandum Peru" in shown["outsider"]
    assert Agreement.objects.count() == 3


def test_partner_and_country_suggestions_match_what_was_typed(client, cast):
    client.force_login(cast.officer)
    partners = suggested(client, "partners", "colombia")
    assert f'data-value="{cast.colombia.pk}"' in partners
    assert "Government of Peru" not in partners
    countries = suggested(client, "countries", "per")
    assert 'data-value="PER"' in countries
    assert 'role="option"' in countries
    assert "Nothing you may see matches" in suggested(client, "countries", "zzzz")


# -- journal entries and impact reports -------------------------------------------------------


@pytest.fixture
def operation(cast):
    return factories.JointOperationFactory(
        sensitivity="restricted",
        participants=[cast.colombia],
        started_on=datetime.date(2024, 3, 1),
    )


def test_an_officer_adds_a_journal_entry_shown_on_the_operations_page(client, cast, operation):
    client.force_login(cast.officer)
    form = client.get(f"/operations/{operation.pk}/journal/new/")
    assert f'<option value="{cast.colombia.pk}" selected>' in form.text
    page = client.post(
        f"/operations/{operation.pk}/journal/new/",
        {
            "kind": "situation_report",
            "occurred_at": "2024-03-02T06:30",
            "title": "Boats at sea",
            "body": "Three patrol boats left Tumaco.",
            "author_partner": cast.colombia.pk,
        },
    )
    assert page.status_code == 302
    assert page.url == f"{operation.get_absolute_url()}#journal"
    entry = JournalEntry.objects.get()
    assert (entry.author, entry.author_partner, entry.created_by) == (
        cast.officer,
        cast.colombia,
        cast.officer,
    )
    assert "Boats at sea" in client.get(page.url).text


def test_a_journal_entry_without_a_title_is_refused_beside_the_title(client, cast, operation):
    client.force_login(cast.officer)
    page = client.post(
        f"/operations/{operation.pk}/journal/new/",
        {"kind": "outcome_note", "occurred_at": "2024-03-02T06:30", "body": "Kept text"},
    )
    assert "This field is required." in error_beside(page, "id_title")
    assert "Kept text</textarea>" in page.text
    assert not JournalEntry.objects.exists()


def test_a_journal_entry_may_be_written_only_for_a_partner_one_acts_for(client, cast, operation):
    client.force_login(cast.officer)
    page = client.post(
        f"/operations/{operation.pk}/journal/new/",
        {
            "kind": "outcome_note",
            "occurred_at": "2024-03-02T06:30",
            "title": "Claimed for Peru",
            "body": "Text",
            "author_partner": cast.peru.pk,
        },
    )
    assert "Select a valid choice" in error_beside(page, "id_author_partner")
    assert not JournalEntry.objects.exists()


def test_an_officer_adds_an_impact_report(client, cast, operation):
    client.force_login(cast.officer)
    page = client.post(
        f"/operations/{operation.pk}/impact/new/",
        {
            "kind": "displacement",
            "severity": "moderate",
            "occurred_on": "2024-03-02",
            "reported_on": "2024-03-05",
            "country": "COL",
            "people_affected": "40",
            "description": "Families left the riverbank during the raid.",
            "follow_up_status": "open",
        },
    )
    assert page.status_code == 302
    assert page.url == f"{operation.get_absolute_url()}#impact"
    report = CommunityImpactReport.objects.get()
    assert (report.operation, report.country_id, report.created_by) == (
        operation,
        "COL",
        cast.officer,
    )
    assert "Families left the riverbank" in client.get(page.url).text


def test_an_impact_report_made_before_what_it_reports_is_refused(client, cast, operation):
    client.force_login(cast.officer)
    page = client.post(
        f"/operations/{operation.pk}/impact/new/",
        {
            "kind": "displacement",
            "severity": "moderate",
            "occurred_on": "2024-03-05",
            "reported_on": "2024-03-02",
            "description": "Kept description",
            "follow_up_status": "open",
        },
    )
    assert "A report cannot precede what it reports." in error_beside(page, "id_reported_on")
    assert "Kept description" in page.text
    assert not CommunityImpactReport.objects.exists()


def test_the_edit_page_reads_a_fixed_number_of_queries_whatever_its_rows(client, cast, logged):
    """Each row's choices and chosen records are read once for all rows, not once a row."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/operations/{logged.pk}/edit/").status_code == 200
        return len(captured)

    def cite():
        agreement = factories.AgreementFactory(sensitivity="public", parties=[cast.peru])
        factories.LegalBasisFactory(operation=logged, agreement=agreement)

    cite()  # two participants, two seizures, one legal basis
    queries()  # the first page after signing in also saves the session
    few = queries()
    for _number in range(6):
        factories.SeizureFactory(operation=logged, country=factories.country("PER"))
        cite()
    factories.ParticipationFactory(operation=logged, partner=cast.colombian_navy)
    assert queries() == few
