"""The history of every change to the records: who, when, what (field by field), why, and the
request it came from.

Changes are caught by database triggers (django-pghistory): a row inserted, updated or deleted
in a tracked table writes an event row in the same transaction, whatever wrote it — a form,
the API, the admin, ``QuerySet.update()``, a bulk import or raw SQL. Each event points at the
*context* of the change: the user, the request (path, method, id) and the reason given, set
by :class:`HistoryMiddleware` for web writes and by :func:`changes` elsewhere (commands,
Celery jobs).

Event tables are append-only in the database: triggers refuse any UPDATE, DELETE or TRUNCATE
of them, for every connection and role that does not drop the triggers themselves. An event
keeps the tracked row's id without a foreign key, so a record's history outlives it.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import uuid
from dataclasses import dataclass

import pghistory
import pgtrigger
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from pghistory.middleware import HistoryMiddleware as ContextMiddleware

# Columns every audited row changes on each write: recorded in the snapshot, but a change of
# these alone is not an event, and they are not shown as changes.
AUDIT_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by")
REASON_MAX = 500
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def tracked(model_name: str, **options):
    """Track a model's inserts, updates and deletes into an append-only event model named
    ``model_name``. Use as a class decorator, or call the result on an auto-created
    many-to-many ``through`` model (give ``app_label`` then). Generated columns are left
    out: they follow from the others."""

    def track(model):
        fields = model._meta.concrete_fields
        moving = [f.name for f in fields if f.name in ("updated_at", "updated_by")]
        generated = [f.name for f in fields if isinstance(f, models.GeneratedField)]
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(condition=pgtrigger.AnyChange(exclude=moving)),
            pghistory.DeleteEvent(),
            model_name=model_name,
            exclude=generated,
            append_only=True,
            meta={
                "triggers": [
                    pgtrigger.Trigger(
                        name="no_truncate",
                        operation=pgtrigger.Truncate,
                        level=pgtrigger.Statement,
                        when=pgtrigger.Before,
                        func="RAISE EXCEPTION 'history is append-only: % cannot be truncated', "
                        "TG_TABLE_NAME;",
                    )
                ]
            },
            **options,
        )(model)

    return track


def event_model_of(model):
    """The event model :func:`tracked` made for ``model``."""
    from django.apps import apps

    for candidate in apps.get_models():
        if getattr(candidate, "pgh_tracked_model", None) is model and issubclass(
            candidate, pghistory.models.Event
        ):
            return candidate
    raise LookupError(f"{model._meta.label} is not tracked")


def events_from(model, rows: str, inserted: str) -> tuple[str, str]:
    """For writers that change many rows of ``model`` in one statement (imports): SQL that
    records, from ``rows`` (a CTE of the written rows, ``inserted`` telling new from
    changed), the very events its triggers would — the same snapshot columns, labels and
    change set — set-wise; and the trigger URIs to ignore while it runs."""
    event_model = event_model_of(model)
    tracked_fields = {f.name: f for f in model._meta.concrete_fields}
    copied = [
        f.column
        for f in event_model._meta.concrete_fields
        if f.name in tracked_fields and not isinstance(f, models.AutoField)
    ]
    pk = model._meta.pk.column
    columns = [*copied, "pgh_obj_id", "pgh_label", "pgh_created_at", "pgh_context_id"]
    values = [
        *(f"{rows}.{qn(c)}" for c in copied),
        f"{rows}.{qn(pk)}",
        f"CASE WHEN {inserted} THEN 'insert' ELSE 'update' END",
        "clock_timestamp()",
        "(SELECT _pgh_attach_context())",
    ]
    sql = (
        f"INSERT INTO {qn(event_model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {rows}"
    )
    label = model._meta.label
    return sql, (f"{label}:insert_insert", f"{label}:update_update")


def qn(name: str) -> str:
    from django.db import connection

    return connection.ops.quote_name(name)


def clean_reason(value) -> str:
    """A reason as stored: text, trimmed, at most REASON_MAX characters (longer is an error
    for the caller to report)."""
    return str(value or "").strip()


@contextlib.contextmanager
def changes(*, user=None, reason: str = "", source: str = "", request_id: str | None = None):
    """Group the writes inside into one change set: one context, with who made them, why and
    from where. For writes outside a web request: commands, Celery jobs, imports."""
    metadata = {"request_id": request_id or str(uuid.uuid4()), "source": source}
    if user is not None and getattr(user, "pk", None) is not None:
        metadata["user"] = user.pk
    if reason:
        metadata["reason"] = reason
    with pghistory.context(**metadata) as context:
        yield context


def within_change_set(user, reason: str):
    """The change set under way (a request's), given ``reason``; else a new one of ``user``."""
    if hasattr(pghistory.runtime._tracker, "value"):
        return pghistory.context(reason=reason)
    return changes(user=user, reason=reason, source="revert")


def give_reason(reason: str) -> None:
    """Attach ``reason`` to the change set under way (a form's or an API write's reason)."""
    reason = clean_reason(reason)
    if reason:
        pghistory.context(reason=reason)


def request_id_of(request) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is a sane token, else a new
    one (kept on the request so that the response and any task carry the same)."""
    known = getattr(request, "request_id", None)
    if known:
        return known
    given = request.headers.get("X-Request-ID", "")
    request.request_id = given if REQUEST_ID.match(given) else str(uuid.uuid4())
    return request.request_id


class HistoryMiddleware(ContextMiddleware):
    """Every unsafe request's writes share one context: the user (also when DRF authenticates
    a token after the middleware), path, method and request id (which
    ``cooperation.observability.RequestIdMiddleware`` returns in ``X-Request-ID``)."""

    def get_context(self, request):
        context = super().get_context(request)
        context.update(method=request.method, request_id=request_id_of(request), source="web")
        return context


# -- reading a record's history --------------------------------------------------------------

# What a record's timeline holds: its own events and those of the rows that belong to it (an
# operation's participants, seizures, legal basis, reports, journal and links), each event
# model matched on its columns pointing at the record. Only rows that are part of the record:
# an agreement's timeline does not list the operations citing it (they have their own
# readers).
TIMELINES = {
    "operations.JointOperation": (
        "operations.JointOperationEvent",
        "operations.ParticipationEvent",
        "operations.SeizureEvent",
        "operations.LegalBasisEvent",
        "operations.ImpactReportEvent",
        "operations.JournalEntryEvent",
        "operations.JointOperationCountryEvent",
        "operations.JointOperationTechnologyEvent",
        "operations.JointOperationSharedWithEvent",
    ),
    "agreements.Agreement": (
        "agreements.AgreementEvent",
        "agreements.AgreementPartyEvent",
        "agreements.AgreementSharedWithEvent",
        "agreements.AgreementAreaEvent",
    ),
    "cooperation.Partner": (
        "cooperation.PartnerEvent",
        "cooperation.MembershipEvent",
        "cooperation.PartnerIdentifierEvent",
    ),
}
ACTIONS = {"insert": "created", "update": "changed", "delete": "deleted"}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class Entry:
    """One event of a timeline: a row of the record (or of one of its parts) created,
    changed or deleted, with the change set it belongs to."""

    id: str
    at: datetime.datetime
    action: str  # created / changed / deleted
    part: str  # what changed: "joint operation", "seizure", ...
    part_id: str
    event_model: str
    actor: str | None  # username, for signed-in readers
    reason: str
    request_id: str
    source: str
    change_set: str | None
    changes: tuple[Change, ...]


def _columns(event_model) -> dict[str, tuple[str, object]]:
    """Column -> (field name, field) of an event model's copied fields."""
    return {
        f.column: (f.name, f)
        for f in event_model._meta.concrete_fields
        if not f.name.startswith("pgh_") and f.name not in AUDIT_COLUMNS
    }


def _shown(field, value):
    """A value as a reader sees it: a choice's label beside its code."""
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else None
    if choices and value in choices:
        return f"{choices[value]} ({value})"
    return value


def _sensitive_links(event_model, record_model) -> list:
    """The columns of ``event_model`` pointing at records with their own visibility (an
    operation's legal basis names an agreement), other than the timeline's record."""
    return [
        f
        for f in event_model._meta.concrete_fields
        if f.is_relation
        and not f.name.startswith("pgh_")
        and f.related_model is not record_model
        and hasattr(f.related_model._default_manager.all(), "visible_to")
    ]


def _named(event, field) -> set:
    """The keys ``event`` names in ``field``'s column: in its snapshot and before a change."""
    named = {(event.pgh_data or {}).get(field.column)}
    named.update((event.pgh_diff or {}).get(field.column, ()))
    return named - {None}


def _without_hidden_links(events, by_label, record, reader) -> list:
    """``events`` less those naming, then or now, a record ``reader`` may not see: a row
    citing a restricted agreement is left out of the timeline, as it is of the record."""
    record_model = record._meta.concrete_model
    links = {label: _sensitive_links(model, record_model) for label, model in by_label.items()}
    wanted: dict = {}
    for event in events:
        for field in links[event.pgh_model]:
            wanted.setdefault(field.related_model, set()).update(_named(event, field))
    visible = {
        model: set(
            model._default_manager.filter(pk__in=ids)
            .visible_to(reader)
            .values_list("pk", flat=True)
        )
        for model, ids in wanted.items()
    }
    return [
        event
        for event in events
        if all(
            _named(event, field) <= visible[field.related_model] for field in links[event.pgh_model]
        )
    ]


def _part_name(tracked) -> str:
    """What a tracked model is, as a timeline names it: a plain link table (``Agreement_areas``)
    by the relation it holds (``areas``)."""
    if tracked._meta.auto_created:
        return tracked.__name__.split("_", 1)[1].replace("_", " ")
    return str(tracked._meta.verbose_name)


# Tombstone resources (``cooperation.deletions``) whose record kept a timeline.
TIMELINE_OF_RESOURCE = {
    "operations": "operations.JointOperation",
    "agreements": "agreements.Agreement",
    "partners": "cooperation.Partner",
}


def stand_in(deletion):
    """An unsaved instance of the record a tombstone names (only its key is set), for reading
    the history of a deleted record; None when that kind of record keeps no timeline."""
    from django.apps import apps

    label = TIMELINE_OF_RESOURCE.get(deletion.resource)
    return None if label is None else apps.get_model(label)(pk=deletion.object_id)


def shows_actor(reader) -> bool:
    """Who made a change is shown to signed-in readers; the public sees what changed and
    when."""
    return bool(reader and reader.is_authenticated)


def timeline(record, reader) -> list[Entry]:
    """The history of ``record`` (one the caller has already found visible to ``reader``),
    oldest first."""
    from django.apps import apps
    from pghistory.models import Events

    from cooperation.models import User

    labels = TIMELINES[record._meta.concrete_model._meta.label]
    event_models = [apps.get_model(label) for label in labels]
    by_label = {m._meta.label: m for m in event_models}
    events = Events.objects.across(*event_models).references(record)
    if shows_actor(reader):
        # The actor's name comes with the events, so the query count does not depend on who
        # made the changes.
        events = events.annotate(
            actor_id=Cast(KeyTextTransform("user", "pgh_context"), models.BigIntegerField())
        ).annotate(
            actor=Subquery(User.objects.filter(pk=OuterRef("actor_id")).values("username")[:1])
        )
    events = list(events.order_by("pgh_created_at", "pgh_id"))
    events = _without_hidden_links(events, by_label, record, reader)
    entries = []
    for event in events:
        model = by_label[event.pgh_model]
        columns = _columns(model)
        context = event.pgh_context or {}
        if event.pgh_label == "update":
            pairs = ((c, old, new) for c, (old, new) in (event.pgh_diff or {}).items())
        elif event.pgh_label == "insert":
            pairs = ((c, None, v) for c, v in (event.pgh_data or {}).items())
        else:
            pairs = ((c, v, None) for c, v in (event.pgh_data or {}).items())
        changes = tuple(
            Change(columns[c][0], str(columns[c][1].verbose_name), _shown(columns[c][1], old),
                   _shown(columns[c][1], new))
            for c, old, new in pairs
            if c in columns and c != "id" and not (old is None and new in (None, "", []))
        )  # fmt: skip
        entries.append(
            Entry(
                id=event.pgh_slug,
                at=event.pgh_created_at,
                action=ACTIONS.get(event.pgh_label, event.pgh_label),
                part=_part_name(model.pgh_tracked_model),
                part_id=str(event.pgh_obj_id or ""),
                event_model=event.pgh_model,
                actor=getattr(event, "actor", None),
                reason=context.get("reason", ""),
                request_id=context.get("request_id", ""),
                source=context.get("source", ""),
                change_set=str(event.pgh_context_id) if event.pgh_context_id else None,
                changes=changes,
            )
        )
    return entries


@dataclass(frozen=True)
class ChangeSet:
    """The events of one change set (one request, command or job) on a timeline."""

    id: str | None
    at: datetime.datetime
    actor: str | None
    reason: str
    source: str
    entries: tuple[Entry, ...]


def change_sets(entries: list[Entry]) -> list[ChangeSet]:
    """``entries`` grouped by change set, newest first (events written outside any change set
    stand alone)."""
    groups: dict = {}
    for entry in entries:
        key = entry.change_set or entry.id
        groups.setdefault(key, []).append(entry)
    sets = [
        ChangeSet(
            id=events[0].change_set,
            at=events[0].at,
            actor=events[0].actor,
            reason=events[0].reason,
            source=events[0].source,
            entries=tuple(events),
        )
        for events in groups.values()
    ]
    return sorted(sets, key=lambda s: s.at, reverse=True)


# -- restoring an earlier value ----------------------------------------------------------------


def revertible(model) -> list:
    """The fields of ``model`` an earlier value can be restored to from its timeline: its own
    plain columns (text, numbers, dates, choices, a vocabulary or partner it names), not its
    keys, audit columns, computed columns or lists of links."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and not f.unique
        and f.name not in AUDIT_COLUMNS
        and not isinstance(f, models.GeneratedField)
    ]


def revert_field(records, pk, *, event_id: str, field: str, user, reason: str = ""):
    """Restore ``field`` of the record ``pk`` (found in ``records``: a queryset already cut by
    ``visible_to(user)``) to the value it had before the change ``event_id`` (a timeline
    entry's id). The restore is an edit like any other: checked by the model, recorded in the
    history with its reason, and refused if it would hide the record from ``user``.

    Returns the record as ``user`` now sees it; raises ``PermissionDenied`` for a user who may
    not edit the record, ``ValidationError`` (nothing written) when the event is not a change
    of that field of that record, or the value is refused."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    from cooperation.models import stamp
    from cooperation.roles import may_change
    from cooperation.visibility import (
        audiences_before,
        read_back,
        refuse_opening,
    )

    model = records.model
    if not may_change(user, model):
        raise PermissionDenied("Restoring a value needs the permission to edit the record.")
    event_model = model.pgh_event_model
    label, _, number = event_id.partition(":")
    names = {f.name: f for f in revertible(model)}
    if field not in names:
        raise ValidationError({"field": [f"“{field}” cannot be restored from the history."]})
    if label != event_model._meta.label or not number.isdigit():
        raise ValidationError({"event": ["This is not a change of the record itself."]})
    with transaction.atomic():
        record = records.select_for_update(of=("self",)).filter(pk=pk).first()
        if record is None:
            raise model.DoesNotExist
        event = event_model.objects.filter(
            pgh_id=int(number), pgh_obj_id=record.pk, pgh_label="update"
        ).first()
        before = (
            event_model.objects.filter(pgh_obj_id=record.pk, pgh_id__lt=event.pgh_id)
            .order_by("-pgh_id")
            .first()
            if event is not None
            else None
        )
        target = names[field]
        if before is None or getattr(before, target.attname) == getattr(event, target.attname):
            raise ValidationError({"event": [f"This change did not change “{field}”."]})
        value = getattr(before, target.attname)
        if getattr(record, target.attname) == value:
            raise ValidationError({"field": [f"“{field}” already has that value."]})
        linked = target.related_model
        if (
            value is not None
            and linked is not None
            and hasattr(linked.objects, "visible_to")
            and not linked.objects.visible_to(user).filter(pk=value).exists()
        ):
            # As for any write: no link to a record its writer cannot see.
            raise ValidationError({"field": [f"“{field}” would name a record you cannot see."]})
        audiences = audiences_before(model, [record.pk])
        setattr(record, target.attname, value)
        stamp(record, user, creating=False)
        record.full_clean()
        when = timezone.localtime(event.pgh_created_at).strftime("%d %b %Y, %H:%M")
        said = f"Restored “{target.verbose_name}” to its value before the change of {when}"
        with within_change_set(user, f"{said}: {reason}" if reason else said):
            record.save()
        refuse_opening(user, model, audiences)
        return read_back(records, record.pk)
