"""Review before sharing: an agreement or operation moves draft → submitted → approved
(→ withdrawn), and only approved records reach other partners, the public, API pulls of
others and the summaries (the rule itself is in ``SensitiveRecordQuerySet.member_condition``).

Who may move a record: an officer (or administrator) holding the change permission, acting
for the partner that wrote it (administrators for any). Whoever submitted a record may not
approve it — here, and by a database constraint. Each move is a change like any other: it
is in the record's history with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cooperation.history import within_change_set
from cooperation.models import stamp
from cooperation.roles import may_change
from cooperation.visibility import ReviewState, read_back, speaks_for


@dataclass(frozen=True)
class Move:
    label: str
    sources: tuple[str, ...]
    target: str


DRAFT, SUBMITTED, APPROVED, WITHDRAWN = (
    ReviewState.DRAFT, ReviewState.SUBMITTED, ReviewState.APPROVED, ReviewState.WITHDRAWN,
)  # fmt: skip
MOVES = {
    "submit": Move("Submit for review", (DRAFT, WITHDRAWN), SUBMITTED),
    "approve": Move("Approve", (SUBMITTED,), APPROVED),
    "return": Move("Return to draft", (SUBMITTED,), DRAFT),
    "withdraw": Move("Withdraw", (SUBMITTED, APPROVED), WITHDRAWN),
}


def may_move(user, record) -> bool:
    """Whether ``user`` may move ``record`` at all: the change permission, and acting for the
    partner that wrote it (administrators move any)."""
    return may_change(user, record) and speaks_for(user, record)


def moves_for(user, record) -> list[str]:
    """The moves ``user`` may make on ``record`` now."""
    if not may_move(user, record):
        return []
    return [
        name
        for name, move in MOVES.items()
        if record.review_state in move.sources
        and not (name == "approve" and record.submitted_by_id == user.pk)
    ]


def review(records, pk, *, move: str, user, reason: str = ""):
    """Make ``move`` on the record ``pk`` of ``records`` (a queryset already cut by
    ``visible_to(user)``): checked, locked, saved and recorded in one transaction. Returns
    the record as ``user`` sees it; raises ``ValidationError`` (nothing written) for a move
    that does not apply, ``PermissionDenied`` for a user who may not make it."""
    if move not in MOVES:
        raise ValidationError({"move": [f"Choose one of: {', '.join(MOVES)}."]})
    step = MOVES[move]
    with transaction.atomic():
        record = records.select_for_update(of=("self",)).get(pk=pk)
        if not may_move(user, record):
            raise PermissionDenied("Only officers of the partner that wrote it move this record.")
        if record.review_state not in step.sources:
            raise ValidationError(
                {"move": [f"A record that is {record.get_review_state_display().lower()} "
                          f"cannot be moved by “{step.label}”."]}
            )  # fmt: skip
        if move == "approve" and record.submitted_by_id == user.pk:
            raise ValidationError({"move": ["Whoever submitted a record may not approve it."]})
        record.review_state = step.target
        if move == "submit":
            record.submitted_by, record.approved_by = user, None
        elif move == "approve":
            record.approved_by = user
        elif move == "return":
            record.submitted_by = None
        stamp(record, user, creating=False)
        record.full_clean()
        said = f"{step.label}" + (f": {reason}" if reason else "")
        with within_change_set(user, said):
            record.save()
        return read_back(records, record.pk)
