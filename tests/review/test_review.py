"""Review before sharing: drafts stay with the partner that wrote them; every move allowed
and refused per group; whoever submitted may not approve; each move in the history; only
approved records reach other readers, lists, counts, exports, search and summaries."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from cooperation.history import timeline
from operations.models import JointOperation
from summaries.compute import compute
from summaries.models import CooperationSummary
from tests import factories
from tests.api.test_nested_writes import new_operation

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def colleague(cast):
    """A second officer of Colombia's government: the one who approves."""
    return factories.UserFactory(groups=["officer"], partners=[cast.colombia])


@pytest.fixture
def draft(cast):
    payload = new_operation(
        cast,
        sensitivity="public",
        name="Operation Quiet Reef",
        started_on="2024-03-02",
        ended_on="2024-03-20",
    )
    for seizure in payload["seizures"]:
        seizure["seized_on"] = "2024-03-05"
    response = api(cast.officer).post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 201, response.content
    return JointOperation.objects.get(pk=response.json()["id"])


def move(user, operation, name: str, **extra):
    return api(user).post(
        f"/api/v1/operations/{operation.pk}/review/", {"move": name, **extra}, format="json"
    )


def seen_by(user, operation) -> dict:
    """Where ``user`` meets ``operation``: its page, the list and its count, an export, search
    and the statistics."""
    client = api(user)
    listed = client.get("/api/v1/operations/", {"q": "Quiet Reef"}).json()
    export = b"".join(
        client.get("/api/v1/operations/", {"format": "csv"}).streaming_content
    ).decode()
    stats = client.get("/api/v1/stats/operations/", {"group_by": "kind"}).json()
    return {
        "detail": client.get(f"/api/v1/operations/{operation.pk}/").status_code == 200,
        "list": any(row["id"] == operation.pk for row in listed["results"]),
        "count": listed["count"],
        "export": "Quiet Reef" in export,
        "stats": sum(row.get("count", 0) for row in stats.get("results", [])),
    }


def test_a_new_record_is_a_draft_seen_only_by_its_partner_and_administrators(
    cast, draft, colleague
):
    assert draft.review_state == "draft" and draft.author_partner == cast.colombia
    for user in (cast.officer, colleague, cast.administrator):
        seen = seen_by(user, draft)
        assert seen["detail"] and seen["list"] and seen["export"], user
    for user in (cast.analyst, cast.outsider, None):
        seen = seen_by(user, draft)
        assert seen == {"detail": False, "list": False, "count": 0, "export": False, "stats": 0}


def test_submit_then_approve_by_another_officer_shares_the_record(cast, draft, colleague):
    assert move(cast.officer, draft, "submit", reason="Ready").status_code == 200
    refused = move(cast.officer, draft, "approve")
    assert refused.status_code == 400 and "submitted" in str(refused.json())
    approved = move(colleague, draft, "approve", reason="Checked against the log")
    assert approved.status_code == 200, approved.content
    assert approved.json()["review_state"] == "approved"
    assert approved.json()["review_state_label"] == "Approved"
    draft.refresh_from_db()
    assert (draft.submitted_by, draft.approved_by) == (cast.officer, colleague)
    for user in (cast.analyst, cast.outsider, None):
        assert seen_by(user, draft)["detail"], user
    # Each move is in the history, with its reason.
    moves = [
        (entry.actor, {c.field: c.new for c in entry.changes}.get("review_state"))
        for entry in timeline(draft, cast.administrator)
        if entry.part == "joint operation" and entry.action == "changed"
    ]
    assert moves == [
        (cast.officer.username, "Submitted for review (submitted)"),
        (colleague.username, "Approved (approved)"),
    ]
    reasons = [e.reason for e in timeline(draft, cast.administrator) if e.action == "changed"]
    assert reasons == ["Submit for review: Ready", "Approve: Checked against the log"]


def test_withdrawing_hides_the_record_again(cast, draft, colleague):
    move(cast.officer, draft, "submit")
    move(colleague, draft, "approve")
    assert move(colleague, draft, "withdraw").status_code == 200
    assert not seen_by(cast.analyst, draft)["detail"]
    assert seen_by(cast.officer, draft)["detail"]
    # A withdrawn record may be submitted again; a submitted one returned to draft.
    assert move(cast.officer, draft, "submit").status_code == 200
    assert move(colleague, draft, "return").status_code == 200
    draft.refresh_from_db()
    assert draft.review_state == "draft" and draft.submitted_by is None


@pytest.mark.parametrize(
    "state, name",
    [
        ("draft", "approve"),
        ("draft", "withdraw"),
        ("draft", "return"),
        ("approved", "submit"),
        ("approved", "approve"),
        ("withdrawn", "approve"),
    ],
)
def test_a_move_that_does_not_apply_is_a_400_and_changes_nothing(cast, colleague, state, name):
    operation = factories.JointOperationFactory(
        participants=[cast.colombia], review_state=state, author_partner=cast.colombia
    )
    response = move(colleague, operation, name)
    assert response.status_code == 400, response.content
    operation.refresh_from_db()
    assert operation.review_state == state


def test_who_may_move_a_record(cast, colleague):
    operation = factories.JointOperationFactory(
        participants=[cast.colombia, cast.peru],
        review_state="submitted",
        author_partner=cast.colombia,
        submitted_by=colleague,
    )
    # Analysts hold no change permission; Peru's officer sees it (it takes part, once
    # approved) but did not write it; the public is refused.
    assert move(cast.analyst, operation, "approve").status_code in (403, 404)
    assert move(cast.outsider, operation, "approve").status_code == 404
    assert move(None, operation, "approve").status_code in (401, 403)
    operation.refresh_from_db()
    assert operation.review_state == "submitted"
    # An administrator approves any record but one they submitted.
    assert move(cast.administrator, operation, "approve").status_code == 200
    operation.refresh_from_db()
    assert operation.approved_by == cast.administrator
    assert move(cast.outsider, operation, "withdraw").status_code == 403


def test_the_database_refuses_an_approval_by_the_submitter(cast):
    operation = factories.JointOperationFactory(participants=[cast.colombia])
    operation.submitted_by = operation.approved_by = cast.officer
    with pytest.raises(IntegrityError), transaction.atomic():
        JointOperation.objects.filter(pk=operation.pk).update(
            submitted_by=cast.officer, approved_by=cast.officer
        )


def test_summaries_count_approved_records_only(cast, draft, colleague):
    factories.JointOperationFactory(participants=[cast.colombia], started_on=MARCH, arrests=5)
    compute("month", MARCH)

    def arrests(user):
        row = (
            CooperationSummary.objects.visible_to(user)
            .filter(granularity="month", period_start=MARCH, scope_kind="global")
            .first()
        )
        return row.figures.get("outcomes.arrests", 0)

    # The draft (with its arrests) counts for nobody, its own partner included.
    assert arrests(cast.officer) == arrests(cast.administrator) == arrests(cast.analyst) == 5
    move(cast.officer, draft, "submit")
    move(colleague, draft, "approve")
    JointOperation.objects.filter(pk=draft.pk).update(arrests=7)
    compute("month", MARCH)
    assert arrests(cast.analyst) == 12


def test_the_page_offers_the_moves_the_viewer_may_make(client, cast, draft, colleague):
    client.force_login(cast.officer)
    page = client.get(draft.get_absolute_url()).text
    assert "Seen only by Government of Colombia" in page
    assert 'value="submit"' in page and 'value="approve"' not in page
    response = client.post(f"/operations/{draft.pk}/review/", {"move": "submit"})
    assert response.status_code == 302
    assert 'value="approve"' not in client.get(draft.get_absolute_url()).text
    client.force_login(colleague)
    assert 'value="approve"' in client.get(draft.get_absolute_url()).text
    client.post(f"/operations/{draft.pk}/review/", {"move": "approve", "reason": "Fine"})
    draft.refresh_from_db()
    assert draft.review_state == "approved"
    client.force_login(cast.analyst)
    assert client.post(f"/operations/{draft.pk}/review/", {"move": "withdraw"}).status_code == 403


def test_a_deleted_draft_leaves_a_tombstone_only_its_partner_sees(cast, draft, colleague):
    assert api(cast.officer).delete(f"/api/v1/operations/{draft.pk}/").status_code == 204

    def tombstones(user) -> list:
        body = api(user).get("/api/v1/deleted/", {"resource": "operations"}).json()
        return [row["object_id"] for row in body["results"]]

    assert tombstones(colleague) == [draft.pk]
    assert tombstones(cast.administrator) == [draft.pk]
    assert tombstones(cast.analyst) == tombstones(cast.outsider) == tombstones(None) == []


def test_the_list_pages_filter_by_review(client, cast, draft):
    factories.JointOperationFactory(participants=[cast.colombia], name="Operation Open Sea")
    client.force_login(cast.officer)
    page = client.get("/operations/", {"review_state": "draft"}).text
    assert "Quiet Reef" in page and "Open Sea" not in page
    assert 'name="review_state"' in page  # offered in the panel
    client.force_login(cast.analyst)
    assert "Quiet Reef" not in client.get("/operations/", {"review_state": "draft"}).text


def test_a_reason_too_long_on_the_page_moves_nothing(client, cast, draft):
    client.force_login(cast.officer)
    page = client.post(
        f"/operations/{draft.pk}/review/", {"move": "submit", "reason": "x" * 501}, follow=True
    )
    assert "Nothing changed" in page.text
    draft.refresh_from_db()
    assert draft.review_state == "draft"
