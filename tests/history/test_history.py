"""The history of the records: every write path leaves events with the right actor, reason,
request and field-by-field changes; the history cannot be changed through any interface;
it outlives the record and is seen only by those who may see the record."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django.urls import reverse
from rest_framework.test import APIClient

from agreements.models import Agreement
from cooperation.history import change_sets, changes, timeline
from cooperation.models import Affiliation
from operations.models import JointOperation, Seizure
from tests import factories
from tests.api.test_nested_writes import new_operation
from tests.portal.test_operation_forms import (
    edit_data,
    form_data,
    two_participants_and_two_seizures,
)

pytestmark = pytest.mark.django_db

# What the database raises when a trigger refuses a write.
REFUSED = (InternalError, ProgrammingError)
EVENT_TABLES = [
    model._meta.db_table
    for model in (
        JointOperation.pgh_event_model,
        Seizure.pgh_event_model,
        Agreement.pgh_event_model,
        Affiliation.pgh_event_model,
    )
]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def by_part(entries, part: str, action: str | None = None):
    return [e for e in entries if e.part == part and (action is None or e.action == action)]


def changed(entry) -> dict:
    return {c.field: (c.old, c.new) for c in entry.changes}


def test_an_api_write_records_its_user_reason_request_and_rows(cast):
    officer = api(cast.officer)
    created = officer.post(
        "/api/v1/operations/",
        new_operation(cast),
        format="json",
        HTTP_X_CHANGE_REASON="Logged from the navy's report",
        HTTP_X_REQUEST_ID="req-42",
    )
    assert created.status_code == 201, created.content
    assert created["X-Request-ID"] == "req-42"
    operation = JointOperation.objects.get(pk=created.json()["id"])
    entries = timeline(operation, cast.officer)
    # The operation, its two participants, two seizures and its country and technology links
    # in one change set.
    assert len({e.change_set for e in entries}) == 1
    assert len(by_part(entries, "joint operation", "created")) == 1
    assert len(by_part(entries, "seizure", "created")) == 2
    assert len(by_part(entries, "participation", "created")) == 2
    assert len(by_part(entries, "countries", "created")) == 1
    first = entries[0]
    assert (first.actor, first.reason, first.request_id) == (
        cast.officer.username,
        "Logged from the navy's report",
        "req-42",
    )

    patched = officer.patch(
        f"/api/v1/operations/{operation.pk}/",
        {"name": "Operation Mangrove II", "arrests": 12, "reason": "Name corrected"},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    update = by_part(timeline(operation, cast.officer), "joint operation", "changed")
    assert len(update) == 1
    assert changed(update[0]) == {
        "name": ("Operation Mangrove", "Operation Mangrove II"),
        "arrests": (0, 12),
    }
    assert update[0].reason == "Name corrected"
    assert update[0].request_id and update[0].request_id != "req-42"


def test_a_reason_too_long_is_a_400_and_writes_nothing(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia], name="Kept")
    response = api(cast.officer).patch(
        f"/api/v1/operations/{operation.pk}/",
        {"name": "Changed"},
        format="json",
        HTTP_X_CHANGE_REASON="x" * 501,
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"] or "reason" in str(response.json())
    operation.refresh_from_db()
    assert operation.name == "Kept"


def test_a_form_edit_records_its_reason_and_field_changes(client, cast):
    client.force_login(cast.officer)
    client.post("/operations/new/", form_data(rows=two_participants_and_two_seizures(cast)))
    operation = JointOperation.objects.get(name="Operation Tidewater")
    data = edit_data(client, operation, arrests="9", reason="Court records came in")
    for index, participation in enumerate(operation.participations.order_by("id")):
        data[f"participations-{index}-contribution"] = participation.contribution
    data["seizures-1-DELETE"] = "on"
    assert client.post(f"/operations/{operation.pk}/edit/", data).status_code == 302
    entries = timeline(operation, cast.officer)
    latest = change_sets(entries)[0]
    assert latest.reason == "Court records came in"
    assert latest.actor == cast.officer.username
    kinds = {(e.part, e.action) for e in latest.entries}
    assert kinds == {("joint operation", "changed"), ("seizure", "deleted")}
    assert changed(by_part(latest.entries, "joint operation")[0]) == {"arrests": (3, 9)}
    # The page shows it.
    page = client.get(operation.get_absolute_url()).text
    assert "Court records came in" in page and 'id="history"' in page


def test_bulk_and_raw_writes_are_recorded_too(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia], arrests=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE operations_jointoperation SET arrests = 2 WHERE id = %s", [operation.pk]
        )
    with changes(user=cast.administrator, reason="Bulk correction", source="command"):
        JointOperation.objects.filter(pk=operation.pk).update(arrests=3)
    updates = by_part(timeline(operation, cast.administrator), "joint operation", "changed")
    assert [changed(u)["arrests"] for u in updates] == [(1, 2), (2, 3)]
    assert updates[0].actor is None and updates[0].change_set is None
    assert (updates[1].actor, updates[1].reason, updates[1].source) == (
        cast.administrator.username,
        "Bulk correction",
        "command",
    )


def test_an_admin_write_is_recorded_with_its_user(client, cast):
    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:agreements_agreement_add"),
        {
            "kind": "mou",
            "scope": "bilateral",
            "title": "Whole deal",
            "sensitivity": "public",
            "parties-TOTAL_FORMS": "2",
            "parties-INITIAL_FORMS": "0",
            "parties-0-partner": cast.colombia.pk,
            "parties-0-role": "party",
            "parties-1-partner": cast.peru.pk,
            "parties-1-role": "party",
        },
    )
    assert response.status_code == 302, response.text
    agreement = Agreement.objects.get(title="Whole deal")
    entries = timeline(agreement, cast.administrator)
    assert {(e.part, e.action) for e in entries} == {
        ("agreement", "created"),
        ("agreement party", "created"),
    }
    assert {e.actor for e in entries} == {cast.administrator.username}
    assert len({e.change_set for e in entries}) == 1


@pytest.mark.parametrize("table", EVENT_TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET pgh_label = 'forged'",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_history_cannot_be_changed_or_deleted_in_the_database(cast, table, statement):
    operation = factories.JointOperationFactory(participants=[cast.colombia])
    factories.SeizureFactory(operation=operation)
    factories.AgreementFactory()
    Affiliation.objects.create(user=cast.analyst, partner=cast.peru)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        before = cursor.fetchone()[0]
    assert before > 0
    with (
        pytest.raises(REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE pgh_label = 'forged') FROM {table}"
        )
        assert cursor.fetchone() == (before, 0)


def test_history_cannot_be_changed_through_the_orm_or_the_admin(client, cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia])
    events = JointOperation.pgh_event_model.objects.filter(pgh_obj_id=operation.pk)
    with pytest.raises(REFUSED), transaction.atomic():
        events.update(name="forged")
    with pytest.raises(REFUSED), transaction.atomic():
        events.delete()
    assert events.count() == 1
    # The admin shows events to administrators and offers no way to change them.
    event = events.get()
    client.force_login(cast.administrator)
    label = event._meta.model_name
    change = reverse(f"admin:operations_{label}_change", args=[event.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"name": "forged"}).status_code == 403
    delete = reverse(f"admin:operations_{label}_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse(f"admin:operations_{label}_add")).status_code == 403
    for model, model_admin in site._registry.items():
        if getattr(model, "pgh_tracked_model", None) is not None:
            request = client.get(change).wsgi_request
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)
    assert events.get().name == event.name
    # Other users do not see the events at all.
    client.force_login(cast.officer)
    assert client.get(change).status_code in (302, 403)


def test_history_outlives_the_deleted_record(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia], name="Gone")
    factories.SeizureFactory(operation=operation)
    pk = operation.pk
    operation.delete()
    left = JointOperation.pgh_event_model.objects.filter(pgh_obj_id=pk)
    assert list(left.values_list("pgh_label", flat=True)) == ["insert", "delete"]
    assert Seizure.pgh_event_model.objects.filter(operation_id=pk, pgh_label="delete").exists()


def test_history_is_as_visible_as_the_record(cast):
    hidden = factories.JointOperationFactory(participants=[cast.colombia], sensitivity="restricted")
    shown = factories.JointOperationFactory(participants=[cast.colombia], sensitivity="public")
    secret = factories.AgreementFactory(sensitivity="restricted", parties=[cast.colombia])
    factories.LegalBasisFactory(operation=shown, agreement=secret)
    for path in (f"/api/v1/operations/{hidden.pk}/history/", "/api/v1/operations/0/history/"):
        response = api(cast.outsider).get(path)
        assert response.status_code == 404
    assert api(cast.officer).get(f"/api/v1/operations/{hidden.pk}/history/").status_code == 200
    # A row citing an agreement the reader may not see is not in their timeline.
    outsider = api(cast.outsider).get(f"/api/v1/operations/{shown.pk}/history/").json()
    assert [e["part"] for e in outsider] == ["joint operation", "participation"]
    officer = api(cast.officer).get(f"/api/v1/operations/{shown.pk}/history/").json()
    assert [e["part"] for e in officer] == ["joint operation", "participation", "legal basis"]
    # The public sees what changed and when, not who changed it.
    with changes(user=cast.officer):
        shown.name = "Renamed"
        shown.save()
    public = APIClient().get(f"/api/v1/operations/{shown.pk}/history/").json()
    assert public[-1]["action"] == "changed" and public[-1]["actor"] is None
    signed_in = api(cast.analyst).get(f"/api/v1/operations/{shown.pk}/history/").json()
    assert signed_in[-1]["actor"] == cast.officer.username


def test_agreement_and_partner_history_endpoints(cast):
    agreement = factories.AgreementFactory(sensitivity="public", parties=[cast.colombia, cast.peru])
    body = APIClient().get(f"/api/v1/agreements/{agreement.pk}/history/").json()
    assert {e["part"] for e in body} == {"agreement", "agreement party"}
    partner = APIClient().get(f"/api/v1/partners/{cast.peru.pk}/history/").json()
    assert partner[0]["action"] == "created" and partner[0]["part"] == "partner"
    assert any(c["field"] == "name" for c in partner[0]["changes"])


def test_a_command_groups_its_writes_in_one_change_set(cast):
    start = datetime.date(2024, 1, 1)
    with changes(user=cast.officer, reason="Import", source="import"):
        first = factories.JointOperationFactory(participants=[cast.colombia], started_on=start)
        second = factories.JointOperationFactory(participants=[cast.colombia], started_on=start)
    one = timeline(first, cast.officer)[0].change_set
    assert one is not None and one == timeline(second, cast.officer)[0].change_set


# -- restoring an earlier value -----------------------------------------------------------------


def renamed(operation, user, name: str):
    with changes(user=user):
        operation.name = name
        operation.save()
    return by_part(timeline(operation, user), "joint operation", "changed")[-1]


def test_an_officer_restores_a_field_through_the_api_and_the_restore_is_recorded(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia], name="First")
    change = renamed(operation, cast.officer, "Second")
    response = api(cast.officer).post(
        f"/api/v1/operations/{operation.pk}/revert/",
        {"event": change.id, "field": "name", "reason": "Wrong operation renamed"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "First" and response["ETag"]
    operation.refresh_from_db()
    assert operation.name == "First" and operation.updated_by == cast.officer
    restore = by_part(timeline(operation, cast.officer), "joint operation", "changed")[-1]
    assert changed(restore) == {"name": ("Second", "First")}
    assert restore.actor == cast.officer.username
    assert restore.reason.startswith("Restored “name” to its value before the change of")
    assert restore.reason.endswith(": Wrong operation renamed")


@pytest.mark.parametrize(
    "body, error",
    [
        ({"field": "uuid"}, "field"),
        ({"field": "created_by"}, "field"),
        ({"field": "arrests"}, "event"),  # that change did not touch arrests
        ({"event": "operations.SeizureEvent:1"}, "event"),
        ({"event": "operations.JointOperationEvent:999999"}, "event"),
        ({"event": "nonsense"}, "event"),
    ],
)
def test_a_restore_that_cannot_be_done_is_a_400_and_changes_nothing(cast, body, error):
    operation = factories.JointOperationFactory(participants=[cast.colombia], name="First")
    change = renamed(operation, cast.officer, "Second")
    events = JointOperation.pgh_event_model.objects.count()
    response = api(cast.officer).post(
        f"/api/v1/operations/{operation.pk}/revert/",
        {"event": change.id, "field": "name", **body},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert error in str(response.json())
    operation.refresh_from_db()
    assert operation.name == "Second"
    assert JointOperation.pgh_event_model.objects.count() == events


def test_a_restore_is_refused_to_analysts_and_to_those_who_cannot_see_the_record(cast):
    operation = factories.JointOperationFactory(
        participants=[cast.colombia], name="First", sensitivity="restricted"
    )
    change = renamed(operation, cast.officer, "Second")
    body = {"event": change.id, "field": "name"}
    path = f"/api/v1/operations/{operation.pk}/revert/"
    assert api(cast.analyst).post(path, body, format="json").status_code in (403, 404)
    assert api(cast.outsider).post(path, body, format="json").status_code == 404
    assert APIClient().post(path, body, format="json").status_code in (401, 403)
    operation.refresh_from_db()
    assert operation.name == "Second"


def test_a_restore_that_would_hide_the_record_from_its_author_is_refused(cast):
    operation = factories.JointOperationFactory(
        participants=[cast.peru], sensitivity="restricted", shared_with=[cast.colombia]
    )
    with changes(user=cast.administrator):
        operation.sensitivity = "public"
        operation.save()
    operation.shared_with.clear()
    opened = by_part(timeline(operation, cast.officer), "joint operation", "changed")[-1]
    # Restricted again, and no longer shared with Colombia: its officer would lose it.
    response = api(cast.officer).post(
        f"/api/v1/operations/{operation.pk}/revert/",
        {"event": opened.id, "field": "sensitivity"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "sensitivity" in str(response.json())
    operation.refresh_from_db()
    assert operation.sensitivity == "public"


def test_an_officer_restores_a_field_from_the_timeline_on_the_page(client, cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia], name="First")
    change = renamed(operation, cast.officer, "Second")
    client.force_login(cast.officer)
    page = client.get(operation.get_absolute_url()).text
    assert f'value="{change.id}"' in page and "Restore" in page
    response = client.post(
        f"/operations/{operation.pk}/history/revert/", {"event": change.id, "field": "name"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#history")
    operation.refresh_from_db()
    assert operation.name == "First"
    # An analyst sees the timeline without the buttons, and may not post.
    client.force_login(cast.analyst)
    assert "history/revert/" not in client.get(operation.get_absolute_url()).text
    refused = client.post(
        f"/operations/{operation.pk}/history/revert/", {"event": change.id, "field": "name"}
    )
    assert refused.status_code == 403


def test_a_deleted_records_history_is_read_through_its_tombstone(cast):
    operation = factories.JointOperationFactory(
        participants=[cast.colombia], sensitivity="restricted", name="Gone"
    )
    seizure = factories.SeizureFactory(operation=operation)
    assert api(cast.officer).delete(f"/api/v1/seizures/{seizure.pk}/").status_code == 204
    assert api(cast.officer).delete(f"/api/v1/operations/{operation.pk}/").status_code == 204
    feed = api(cast.officer).get("/api/v1/deleted/").json()["results"]
    tombstone = {row["resource"]: row["id"] for row in feed}
    body = api(cast.officer).get(f"/api/v1/deleted/{tombstone['operations']}/history/").json()
    assert [(e["part"], e["action"]) for e in body] == [
        ("joint operation", "created"),
        ("participation", "created"),
        ("seizure", "created"),
        ("seizure", "deleted"),
        ("participation", "deleted"),
        ("joint operation", "deleted"),
    ]
    assert body[-1]["actor"] == cast.officer.username
    # Only those who could see the record see its tombstone, and so its history.
    path = f"/api/v1/deleted/{tombstone['operations']}/history/"
    assert api(cast.outsider).get(path).status_code == 404
    assert APIClient().get(path).status_code == 404
    # A seizure's tombstone keeps no timeline of its own (its operation's has it).
    seizure_path = f"/api/v1/deleted/{tombstone['seizures']}/history/"
    assert api(cast.officer).get(seizure_path).status_code == 404
