"""The building blocks every API resource is made of: visibility-filtered querysets, paging,
response shaping, streamed export, ETags with If-Match, and the error format."""

from __future__ import annotations

import hashlib
import itertools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperation.api.errors import PreconditionFailed
from cooperation.api.fast import LeanPlan, compiled_for, lean_plan, rows_by_keys
from cooperation.api.pagination import PortalPagination
from cooperation.api.renderers import (
    EXPORT_RENDERERS,
    CSVRenderer,
    JSONRenderer,
    NDJSONRenderer,
    csv_line,
    dumps,
)
from cooperation.history import REASON_MAX, clean_reason, give_reason
from cooperation.visibility import (
    SensitiveRecordQuerySet,
    audiences_before,
    forget_viewer,
    read_back,
    refuse_opening,
    remember_viewer,
    visibility_key,
)

EXPORT_CHUNK = 1000


def holds_nul(value) -> bool:
    """Whether any text in ``value`` (a parsed body, or a list of URL keys) has a NUL."""
    if hasattr(value, "lists"):  # a QueryDict (form data): every value of every key
        value = dict(value.lists())
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


class ResourceMixin:
    """Shared by read-only and writable resources.

    A view declares ``serializer_class``, ``filterset_class`` and :meth:`base_queryset` (the
    rows with their related data loaded); :meth:`get_queryset` applies ``visible_to`` when the
    model has it, so no resource can forget it.
    """

    lookup_field = "pk"
    pagination_class = PortalPagination
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, NDJSONRenderer]

    def base_queryset(self):
        return self.serializer_class.Meta.model.objects.all()

    def initial(self, request, *args, **kwargs):
        """Refuse NUL characters, which PostgreSQL can neither store nor compare: in a key
        they name no row (404), in a body they are bad input (400)."""
        super().initial(request, *args, **kwargs)
        remember_viewer(request.user)
        if holds_nul(list(kwargs.values())):
            raise Http404
        if request.method not in SAFE_METHODS and holds_nul(request.data):
            raise serializers.ValidationError(
                {"non_field_errors": ["Text may not contain NUL characters."]}
            )

    def finalize_response(self, request, response, *args, **kwargs):
        forget_viewer(getattr(request, "_user", None))
        return super().finalize_response(request, response, *args, **kwargs)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": self.request.user}

    def get_queryset(self):
        queryset = self.base_queryset()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)
        return queryset

    # -- versions ----------------------------------------------------------------------------
    def etag(self, instance) -> str:
        """The version of a row: a digest of its full representation."""
        data = self.get_serializer(
            instance, context={**self.get_serializer_context(), "unshaped": True}
        ).data
        return '"' + hashlib.sha256(dumps(data, sort_keys=True)).hexdigest()[:32] + '"'

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = self.etag(instance)
        return response

    # -- export ------------------------------------------------------------------------------
    def exporting(self) -> bool:
        return isinstance(getattr(self.request, "accepted_renderer", None), EXPORT_RENDERERS)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        cache_key = self.rows_cache_key()
        lookups = queryset._prefetch_related_lookups
        queryset = queryset.prefetch_related(None)
        if cache_key is None or self.exporting():
            plan = LeanPlan(queryset.model, lookups)
        else:
            plan = lean_plan(cache_key, lambda: LeanPlan(queryset.model, lookups))
        if self.exporting():
            return self.export(plan.annotate(queryset), plan)
        # The page is found by its keys alone, then its rows are read with everything they
        # carry: PostgreSQL would compute the folded relations of every row an OFFSET skips.
        page = self.paginate_queryset(queryset.select_related(None).only("pk"))
        represent = compiled_for(self)
        if page is None:
            objects = list(plan.annotate(queryset))
            plan.load(objects)
            return Response([represent(obj) for obj in objects])
        keys = [obj.pk for obj in page]
        represented = {}

        def take(chunk):
            plan.load(chunk)
            for obj in chunk:
                represented[obj.pk] = represent(obj)

        # The keys passed the filters and visibility: the rows are read by key alone, with a
        # statement built once per resource and reader's visibility (the nested rows it folds
        # in, such as legal basis, depend on what the reader may see).
        if cache_key is None:
            take(list(plan.annotate(queryset).order_by().filter(pk__any=keys)))
        else:

            def read():
                return plan.annotate(self.get_queryset().prefetch_related(None))

            if plan.self_contained:
                rows_by_keys(read, keys, cache_key, take)  # represented as they arrive
            else:
                # Relations not folded into the statement are read for the whole page at once.
                take(rows_by_keys(read, keys, cache_key))
        return self.get_paginated_response([represented[key] for key in keys if key in represented])

    def rows_cache_key(self):
        """What the statement reading a page's rows by key depends on besides the keys:
        :meth:`get_queryset` (the rows with their related data, cut by ``visible_to``) for
        this reader. A view whose queryset depends on more of the request says so, or
        returns None (the statement is then built for each request)."""
        return (type(self), visibility_key(self.request.user))

    def export(self, queryset, plan: LeanPlan):
        """Stream every row of ``queryset`` in the requested format, a chunk at a time, so
        that a million rows never sit in memory at once."""
        renderer = self.request.accepted_renderer
        columns = list(self.get_serializer().fields)

        represent = compiled_for(self)

        def rows():
            chunk = []
            for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
                chunk.append(obj)
                if len(chunk) == EXPORT_CHUNK:
                    plan.load(chunk)
                    yield from map(represent, chunk)
                    chunk = []
            plan.load(chunk)
            yield from map(represent, chunk)

        if isinstance(renderer, CSVRenderer):
            content = itertools.chain(
                [csv_line(columns)], (csv_line(row[c] for c in columns) for row in rows())
            )
        else:
            content = (dumps(row) + b"\n" for row in rows())
        response = StreamingHttpResponse(content, content_type=renderer.media_type)
        name = self.basename or "export"
        response["Content-Disposition"] = f'attachment; filename="{name}.{renderer.format}"'
        return response

    def handle_exception(self, exc):
        # Errors are always JSON, whatever format the request asked for.
        if isinstance(getattr(self.request, "accepted_renderer", None), EXPORT_RENDERERS):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class ReadOnlyResource(ResourceMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RecordResource(ResourceMixin, viewsets.ModelViewSet):
    """A writable resource with optimistic concurrency: every response about one row carries
    an ``ETag``; a write whose ``If-Match`` names another version gets 412 and changes
    nothing."""

    def initial(self, request, *args, **kwargs):
        """A write may say why it is made: ``X-Change-Reason``, or ``reason`` in the body; the
        reason is kept in the history with the change."""
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE_METHODS:
            reason = request.headers.get("X-Change-Reason")
            if reason is None and isinstance(request.data, dict):
                reason = request.data.get("reason")
            reason = clean_reason(reason)
            if len(reason) > REASON_MAX:
                raise serializers.ValidationError(
                    {"reason": [f"Ensure this field has no more than {REASON_MAX} characters."]}
                )
            give_reason(reason)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = self.saved_and_visible(serializer)
        return self.written(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.check_if_match(request)
            serializer = self.get_serializer(
                instance, data=request.data, partial=kwargs.pop("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            instance = self.saved_and_visible(serializer)
        return self.written(instance, status.HTTP_200_OK)

    def saved_and_visible(self, serializer):
        """Save, then re-read the row as its author will see it; a write that would hide it
        from them is refused (:func:`~cooperation.visibility.read_back`), and so is one that
        opens its record to more people when its author may not
        (:func:`~cooperation.visibility.refuse_opening`), inside the transaction, so nothing
        stays written."""
        model, pks = records_written(serializer)
        before = audiences_before(model, pks) if model is not None else {}
        instance = serializer.save()
        if before:
            refuse_opening(self.request.user, model, before)
        return read_back(self.get_queryset(), instance.pk)

    def written(self, instance, code: int) -> Response:
        response = Response(self.get_serializer(instance).data, status=code)
        response["ETag"] = self.etag(instance)
        return response

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.check_if_match(request)
            return super().destroy(request, *args, **kwargs)

    def check_if_match(self, request):
        """Lock the row, then compare its current ETag with ``If-Match`` (when sent); return
        the row as the user sees it."""
        expected = request.headers.get("If-Match")
        model = self.serializer_class.Meta.model
        try:
            key = model._meta.pk.to_python(self.kwargs[self.lookup_field])
        except ValidationError:
            raise Http404 from None  # a malformed key names no row, as on a read
        model.objects.select_for_update().filter(pk=key).exists()
        instance = self.get_object()  # 404 for what the user may not see
        if expected and expected.strip() != "*":
            candidates = {tag.strip().removeprefix("W/") for tag in expected.split(",")}
            if self.etag(instance) not in candidates:
                raise PreconditionFailed()
        return instance


def records_written(serializer) -> tuple[type | None, set]:
    """The agreements or operations whose audience a write through ``serializer`` may change:
    the record it updates, or the record(s) a row of it belongs to, before and after."""
    model = serializer.Meta.model
    queryset = model.objects.all()
    if isinstance(queryset, SensitiveRecordQuerySet):
        return model, {serializer.instance.pk} if serializer.instance is not None else set()
    parent_field = getattr(queryset, "parent_field", "")
    if not parent_field:
        return None, set()
    parents = set()
    if serializer.instance is not None:
        parents.add(getattr(serializer.instance, f"{parent_field}_id"))
    moved_to = serializer.validated_data.get(parent_field)
    if moved_to is not None:
        parents.add(moved_to.pk)
    return model._meta.get_field(parent_field).related_model, parents


class NoSuchPath(APIView):
    """Any other path under ``/api/v1/``: a 404 in the API's error format, as JSON like every
    other answer of the API, rather than Django's HTML page."""

    schema = None
    permission_classes = []
    renderer_classes = [JSONRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise Http404
