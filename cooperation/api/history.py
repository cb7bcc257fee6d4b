"""``/api/v1/<resource>/<id>/history/``: a record's timeline, as visible as the record."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cooperation.history import ACTIONS, REASON_MAX, revert_field, stand_in, timeline
from cooperation.review import MOVES, review


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name.")
    label = serializers.CharField(help_text="The field's readable name.")
    old = serializers.JSONField(allow_null=True, help_text="The value before (null: none).")
    new = serializers.JSONField(allow_null=True, help_text="The value after (null: none).")


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The event's identifier.")
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=sorted(ACTIONS.values()))
    part = serializers.CharField(help_text="What changed: the record itself or one of its rows.")
    part_id = serializers.CharField(help_text="The id of the row that changed.")
    actor = serializers.CharField(
        allow_null=True, help_text="Who made the change (shown to signed-in callers)."
    )
    reason = serializers.CharField(allow_blank=True)
    request_id = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True, help_text="web, import, command, …")
    change_set = serializers.CharField(
        allow_null=True, help_text="Events of one request, command or job share it."
    )
    changes = ChangeSerializer(many=True, help_text="Field by field: old and new values.")


class HistoryMixin:
    """Adds ``<id>/history/`` to a resource: 404 when the caller cannot see the record."""

    @extend_schema(
        summary="History of the record",
        description="Every change to the record and its rows, oldest first: who, when, what "
        "(field by field), why and in which request.",
        responses=HistoryEntrySerializer(many=True),
        parameters=[],
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, *args, **kwargs):
        record = self.get_object()
        entries = timeline(record, request.user)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class RevertSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="The `id` of a history entry changing the record.")
    field = serializers.CharField(help_text="The field whose value before that change comes back.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=REASON_MAX)


class RevertMixin(HistoryMixin):
    """Adds ``<id>/revert/`` to a writable resource: restore one field's earlier value."""

    @extend_schema(
        summary="Restore a field's earlier value",
        description="Sets `field` back to the value it had before the history entry `event` "
        "changed it. The restore is itself a recorded change; the record must stay visible "
        "to the caller.",
        request=RevertSerializer,
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revert(self, request, *args, **kwargs):
        given = RevertSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        self.get_object()  # 404 for a record the caller may not see
        # Refusals (PermissionDenied, ValidationError) become API errors in errors.handle.
        record = revert_field(
            self.get_queryset(),
            self.kwargs[self.lookup_field],
            event_id=given.validated_data["event"],
            field=given.validated_data["field"],
            user=request.user,
            reason=given.validated_data.get("reason", ""),
        )
        return self.written(record, status.HTTP_200_OK)


class ReviewSerializer(serializers.Serializer):
    move = serializers.ChoiceField(
        choices=list(MOVES), help_text="submit, approve, return (to draft) or withdraw."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=REASON_MAX)


class ReviewMixin:
    """Adds ``<id>/review/`` to agreements and operations: move the record through its
    review (:mod:`cooperation.review`)."""

    @extend_schema(
        summary="Move the record through its review",
        description="draft → submitted → approved (→ withdrawn); `return` sends a submitted "
        "record back to draft. Officers of the partner that wrote the record (or "
        "administrators) move it; whoever submitted it may not approve it.",
        request=ReviewSerializer,
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request, *args, **kwargs):
        given = ReviewSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        self.get_object()  # 404 for a record the caller may not see
        record = review(
            self.get_queryset(),
            self.kwargs[self.lookup_field],
            move=given.validated_data["move"],
            user=request.user,
            reason=given.validated_data.get("reason", ""),
        )
        return self.written(record, status.HTTP_200_OK)


class DeletedHistoryMixin:
    """Adds ``<id>/history/`` to the deletions feed: the history of a deleted operation,
    agreement or partner, seen by those who see its tombstone (who could see the record)."""

    @extend_schema(
        summary="History of the deleted record",
        description="Every change the record and its rows went through, its deletion last; "
        "404 for a tombstone the caller may not see or of a row that keeps no timeline.",
        responses=HistoryEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, *args, **kwargs):
        record = stand_in(self.get_object())
        if record is None:
            raise NotFound("Only deleted operations, agreements and partners keep a history.")
        return Response(HistoryEntrySerializer(timeline(record, request.user), many=True).data)
