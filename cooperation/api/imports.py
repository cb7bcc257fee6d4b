"""``/api/v1/imports/``: upload a CSV or XLSX file, read the dry run's report, confirm."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cooperation import imports
from cooperation.api.pagination import PageNumbers
from cooperation.api.permissions import ReadOnlyTokenPermission
from cooperation.models import ImportJob


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The spreadsheet's row number (1: the header).")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:import-detail", lookup_field="uuid", lookup_url_kwarg="pk"
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    problems = ProblemSerializer(many=True, read_only=True)
    confirmable = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id", "url", "kind", "mode", "mode_label", "filename", "user", "reason", "state",
            "state_label", "progress", "stage", "rows", "problems", "summary", "confirmable",
            "change_set", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(imports.KINDS), help_text="What the file holds.")
    file = serializers.FileField(help_text="A .csv (UTF-8) or .xlsx file, the template's columns.")
    mode = serializers.ChoiceField(
        choices=ImportJob.Mode.choices,
        default=ImportJob.Mode.ALL_OR_NOTHING,
        help_text="all: any error and nothing is written; skip: write the good rows.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    run = serializers.BooleanField(
        default=False,
        help_text="Import straight after the check when it allows (no separate confirm).",
    )


class ImportResource(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulk imports. ``POST`` a file: the job is checked in the background (every row error
    at once, nothing written) — poll the job until ``state`` is ``checked`` or ``rejected``,
    then ``POST …/confirm/`` to import it (or send ``run=true`` to import straight after a
    clean check). Each import is one change set in the records' history."""

    serializer_class = ImportJobSerializer
    permission_classes = [ReadOnlyTokenPermission, IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []
    pagination_class = PageNumbers
    lookup_field, lookup_url_kwarg = "uuid", "pk"  # the job's UUID, in the path as {pk}
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self):
        return (
            ImportJob.objects.visible_to(self.request.user).select_related("user").defer("content")
        )

    def get_object(self):
        try:
            return self.get_queryset().get(uuid=self.kwargs["pk"])
        except (ImportJob.DoesNotExist, DjangoValidationError):
            from rest_framework.exceptions import NotFound

            raise NotFound() from None

    @extend_schema(
        summary="Upload a file to import",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
    )
    def create(self, request, *args, **kwargs):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            job = imports.start(
                request.user,
                kind=data["kind"],
                upload=data["file"],
                mode=data["mode"],
                reason=data.get("reason", ""),
                then_import=data["run"],
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return self._accepted(job, request)

    @extend_schema(
        summary="Import a checked file", request=None, responses={202: ImportJobSerializer}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None, format=None):
        try:
            job = imports.confirm(self.get_object(), request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return self._accepted(job, request)

    def _accepted(self, job, request):
        job.refresh_from_db()
        body = ImportJobSerializer(job, context={"request": request}).data
        url = body["url"]
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})
